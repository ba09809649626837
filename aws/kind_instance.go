package aws

import (
	"context"
	"fmt"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// CreateRequest asks for Count identical instances in one RunInstances.
type CreateRequest struct {
	Group          string
	Count          int
	Size           string
	ImageID        string
	SubnetID       string
	SecurityGroups []string
	Tags           map[string]string // desired tags plus Ovi's management tags
	DecisionID     string            // also written as the ovi:decision tag
	ClientToken    string            // ≤ 64 ASCII characters, derived from DecisionID
}

// CreateResult lists what was launched; len(IDs) may be below Count.
type CreateResult struct {
	IDs []string
}

// TagRequest sets and removes the same tags on several instances.
type TagRequest struct {
	IDs    []string
	Set    map[string]string
	Remove []string
}

// Kind implements reconcile.Provider: the observer and executor of one
// resource kind. EC2 instances are served by instanceKind.
func (p *Provider) Kind(_ context.Context, k wal.ResourceKind) (reconcile.KindProvider, error) {
	switch k {
	case wal.ResourceInstance:
		return instanceKind{p}, nil
	case wal.ResourceSecurityGroup:
		return securityGroupKind{p}, nil
	case wal.ResourceVolume:
		return volumeKind{p}, nil
	}
	return nil, fmt.Errorf("aws: no observer or executor for resource kind %s", k)
}

// instanceKind is the instance kind's observer (DescribeInstances, see
// observe.go) and executor (RunInstances, TerminateInstances, Create/
// DeleteTags, Stop/Modify/StartInstances: create.go, delete.go, tags.go,
// resize.go; ModifyInstanceAttribute for termination protection:
// protection.go).
type instanceKind struct{ p *Provider }

// Observe implements reconcile.Observer.
func (k instanceKind) Observe(ctx context.Context) ([]wal.Resource, error) { return k.p.Observe(ctx) }

// FindByDecision implements reconcile.Observer.
func (k instanceKind) FindByDecision(ctx context.Context, decisionID string) ([]wal.Resource, error) {
	return k.p.FindByDecision(ctx, decisionID)
}

// Resolve implements reconcile.Resolver: a launch without an image gets
// the region's default image.
func (k instanceKind) Resolve(ctx context.Context, a *reconcile.PlannedAction) error {
	if a.ImageID != "" {
		return nil
	}
	img, err := k.p.DefaultImage(ctx)
	if err != nil {
		return &reconcile.UnresolvedError{What: "the default image", Err: err}
	}
	a.ImageID = img
	return nil
}

// Execute implements reconcile.Executor for instances.
func (k instanceKind) Execute(ctx context.Context, call reconcile.Call) reconcile.CallResult {
	errs := make([]error, len(call.Decisions))
	d := call.Decisions[0]
	switch call.Action {
	case wal.ActionCreate:
		req := launchOf(call, d)
		groups, err := securityGroupKind(k).ResolveNames(ctx, req.SecurityGroups)
		if err != nil {
			errs[0] = err
			return reconcile.CallResult{Errs: errs}
		}
		req.SecurityGroups = groups
		res, err := k.p.Create(ctx, req)
		errs[0] = err
		return reconcile.CallResult{Errs: errs, Created: res.IDs}
	case wal.ActionResize:
		errs[0] = k.p.Resize(ctx, d.Action.ResourceID, d.Action.Size)
	case wal.ActionDelete:
		outs, err := k.p.Delete(ctx, call.IDs())
		errs = reconcile.SpreadOutcomes(call, outs, err)
	case wal.ActionUpdateTags:
		outs, err := k.p.UpdateTags(ctx, TagRequest{IDs: call.IDs(), Set: d.Action.SetTags, Remove: d.Action.RemoveTags})
		errs = reconcile.SpreadOutcomes(call, outs, err)
	case wal.ActionStart:
		outs, err := k.p.Start(ctx, call.IDs())
		errs = reconcile.SpreadOutcomes(call, outs, err)
	case wal.ActionAdopt:
		errs = k.p.adopt(ctx, call)
	case wal.ActionProtect:
		errs[0] = k.p.Protect(ctx, d.Action.ResourceID)
	default:
		for i := range errs {
			errs[i] = invalid("instances have no %s action", call.Action)
		}
	}
	return reconcile.CallResult{Errs: errs}
}

// createRequest is the launch of a create decision; the network placement
// comes from the group in the configuration.
func launchOf(call reconcile.Call, d reconcile.CallDecision) CreateRequest {
	a := d.Action
	req := CreateRequest{Group: a.Group, Count: a.Count, Size: a.Size, ImageID: a.ImageID, Tags: a.SetTags,
		DecisionID: d.DecisionID, ClientToken: d.ClientToken}
	if call.Unit != nil && call.Unit.Group != nil {
		req.SubnetID, req.SecurityGroups = call.Unit.Group.SubnetID, call.Unit.Group.SecurityGroups
	}
	return req
}
