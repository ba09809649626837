package aws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// Delete terminates ids in batches of at most 1000 and reports one outcome
// per id, in the order given. Immediately before terminating, it describes
// the instances again: one that carries ovi:blessed=true now is refused
// (CodeBlessed) and never terminated, whatever the decision said. The
// error is non-nil only for invalid input or a cancelled ctx.
func (p *Provider) Delete(ctx context.Context, ids []string) ([]reconcile.Outcome, error) {
	return p.guarded(ctx, "delete", "terminate", ids, p.terminate)
}

// Start starts stopped instances (batched, up to 1000 per StartInstances),
// with one outcome per id; like Delete it describes them again first and
// refuses any that carries ovi:blessed=true now.
func (p *Provider) Start(ctx context.Context, ids []string) ([]reconcile.Outcome, error) {
	return p.guarded(ctx, "start", "start", ids, func(ctx context.Context, ids []string) error {
		_, err := p.api.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids})
		return err
	})
}

// guarded runs call on ids in batches, after describing each batch again:
// an instance that is blessed now is refused (CodeBlessed), never touched.
func (p *Provider) guarded(ctx context.Context, what, op string, ids []string, call batchCall) ([]reconcile.Outcome, error) {
	ids, err := cleanIDs(ids)
	if err != nil {
		return nil, fmt.Errorf("aws: %s: %w", what, err)
	}
	res := make(map[string]error, len(ids))
	for _, batch := range chunks(ids, maxBatch) {
		seen, errs := p.recheck(ctx, batch)
		var act []string
		for _, id := range batch {
			switch {
			case errs[id] != nil:
				res[id] = errs[id]
			case seen[id].Tags[wal.TagBlessed] == "true":
				res[id] = blessedError(op, id)
			default:
				act = append(act, id)
			}
		}
		for id, err := range p.perID(ctx, op, act, call) {
			res[id] = err
		}
	}
	return outcomes(ids, res), ctx.Err()
}

// recheck describes ids by InstanceId and returns what it saw, plus an
// error for each id it could not see.
func (p *Provider) recheck(ctx context.Context, ids []string) (map[string]wal.Resource, map[string]error) {
	seen := make(map[string]wal.Resource, len(ids))
	errs := p.perID(ctx, "describe", ids, func(ctx context.Context, batch []string) error {
		found, err := p.describeIDs(ctx, batch)
		if err != nil {
			return err
		}
		for _, inst := range found {
			r := toResource(inst)
			seen[r.ID] = r
		}
		return nil
	})
	for _, id := range ids {
		if _, ok := seen[id]; !ok && errs[id] == nil {
			errs[id] = wrap("describe "+id, &reconcile.ProviderError{Code: CodeNotFound, Message: "instance not returned by DescribeInstances"})
		}
	}
	for id, err := range errs {
		if err == nil {
			delete(errs, id)
		}
	}
	return seen, errs
}

// describeIDs describes the given instances (any state), following
// NextToken should the endpoint paginate.
func (p *Provider) describeIDs(ctx context.Context, ids []string) ([]types.Instance, error) {
	var out []types.Instance
	pages := ec2.NewDescribeInstancesPaginator(p.api, &ec2.DescribeInstancesInput{InstanceIds: ids})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, instances(page)...)
	}
	return out, nil
}

// terminate is one TerminateInstances call.
func (p *Provider) terminate(ctx context.Context, ids []string) error {
	_, err := p.api.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
	return err
}

// blessedError refuses an action on a blessed instance.
func blessedError(op, id string) error {
	return fmt.Errorf("aws: %s %s: %w", op, id, &reconcile.ProviderError{
		Code:     CodeBlessed,
		Message:  "instance carries " + wal.TagBlessed + "=true; Ovi never deletes or stops it",
		Terminal: true,
	})
}
