package reconcile

import (
	"context"
	"fmt"

	"github.com/yairfalse/ovi/wal"
)

// CreateRequest, CreateResult and TagRequest are the fake's instance
// verbs (the aws package has its own).
type CreateRequest struct {
	Group          string
	Count          int
	Size           string
	ImageID        string
	SubnetID       string
	SecurityGroups []string
	Tags           map[string]string
	DecisionID     string
	ClientToken    string
}

type CreateResult struct{ IDs []string }

type TagRequest struct {
	IDs    []string
	Set    map[string]string
	Remove []string
}

// Kind implements Provider: the fake serves the instance kind; every
// other kind is an empty cloud.
func (p *fakeProvider) Kind(_ context.Context, k wal.ResourceKind) (KindProvider, error) {
	if k != wal.ResourceInstance {
		return emptyKind{k}, nil
	}
	return p, nil
}

// emptyKind is a kind of which the cloud holds nothing and which cannot
// be acted on.
type emptyKind struct{ k wal.ResourceKind }

func (emptyKind) Observe(context.Context) ([]wal.Resource, error) { return nil, nil }

func (emptyKind) FindByDecision(context.Context, string) ([]wal.Resource, error) { return nil, nil }

func (e emptyKind) Execute(_ context.Context, call Call) CallResult {
	errs := make([]error, len(call.Decisions))
	for i := range errs {
		errs[i] = fmt.Errorf("fake: no executor for %s", e.k)
	}
	return CallResult{Errs: errs}
}

// Resolve implements Resolver: the default image.
func (p *fakeProvider) Resolve(ctx context.Context, a *PlannedAction) error {
	if a.ImageID != "" {
		return nil
	}
	img, err := p.DefaultImage(ctx)
	if err != nil {
		return &UnresolvedError{What: "the default image", Err: err}
	}
	a.ImageID = img
	return nil
}

// Execute implements Executor by dispatching to the fake's verbs.
func (p *fakeProvider) Execute(ctx context.Context, call Call) CallResult {
	errs := make([]error, len(call.Decisions))
	d := call.Decisions[0]
	switch call.Action {
	case wal.ActionCreate:
		req := CreateRequest{Group: d.Action.Group, Count: d.Action.Count, Size: d.Action.Size, ImageID: d.Action.ImageID,
			Tags: d.Action.SetTags, DecisionID: d.DecisionID, ClientToken: d.ClientToken}
		if call.Unit != nil && call.Unit.Group != nil {
			req.SubnetID, req.SecurityGroups = call.Unit.Group.SubnetID, call.Unit.Group.SecurityGroups
		}
		res, err := p.Create(ctx, req)
		errs[0] = err
		return CallResult{Errs: errs, Created: res.IDs}
	case wal.ActionResize:
		errs[0] = p.Resize(ctx, d.Action.ResourceID, d.Action.Size)
	case wal.ActionDelete:
		outs, err := p.Delete(ctx, call.IDs())
		errs = SpreadOutcomes(call, outs, err)
	case wal.ActionStart:
		p.mu.Lock()
		outs, err := p.perID("start", call.IDs(), func(id string) error {
			r := cloneResource(p.instances[id])
			r.State = "running"
			p.instances[id] = r
			return nil
		})
		p.mu.Unlock()
		errs = SpreadOutcomes(call, outs, err)
	case wal.ActionUpdateTags:
		outs, err := p.UpdateTags(ctx, TagRequest{IDs: call.IDs(), Set: d.Action.SetTags, Remove: d.Action.RemoveTags})
		errs = SpreadOutcomes(call, outs, err)
	case wal.ActionAdopt:
		for i, d := range call.Decisions {
			outs, err := p.UpdateTags(ctx, TagRequest{IDs: []string{d.Action.ResourceID}, Set: d.Action.SetTags})
			errs[i] = SpreadOutcomes(Call{Decisions: call.Decisions[i : i+1]}, outs, err)[0]
		}
	case wal.ActionProtect:
		p.mu.Lock()
		outs, err := p.perID("protect", call.IDs(), func(id string) error {
			r := cloneResource(p.instances[id])
			r.Instance.TerminationProtection = true
			p.instances[id] = r
			return nil
		})
		p.mu.Unlock()
		errs = SpreadOutcomes(call, outs, err)
	}
	return CallResult{Errs: errs}
}
