package aws

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// volumePageSize is DescribeVolumes' largest page: observing N volumes
// costs ceil(N/500) calls (one when there are none).
const volumePageSize = 500

// volumeKind is the EBS volume kind's observer (DescribeVolumes) and
// executor (CreateVolume with the decision's ClientToken, ModifyVolume,
// AttachVolume, DetachVolume, DeleteVolume, Create/DeleteTags).
type volumeKind struct{ p *Provider }

// Observe implements reconcile.Observer: every volume that is not being
// deleted, in ceil(N/500) DescribeVolumes calls.
func (k volumeKind) Observe(ctx context.Context) ([]wal.Resource, error) {
	res, err := k.describe(ctx, &ec2.DescribeVolumesInput{})
	if err != nil {
		return nil, wrap("observe volumes", err)
	}
	return res, nil
}

// FindByDecision implements reconcile.Observer: the volumes tagged
// ovi:decision=decisionID.
func (k volumeKind) FindByDecision(ctx context.Context, decisionID string) ([]wal.Resource, error) {
	if decisionID == "" {
		return nil, fmt.Errorf("aws: find volumes by decision: %w", invalid("empty decision id"))
	}
	res, err := k.describe(ctx, &ec2.DescribeVolumesInput{Filters: []types.Filter{{
		Name: awssdk.String("tag:" + wal.TagDecision), Values: []string{decisionID},
	}}})
	if err != nil {
		return nil, wrap("find volumes by decision "+decisionID, err)
	}
	return res, nil
}

// describe pages through DescribeVolumes (MaxResults 500), leaving out
// volumes being deleted.
func (k volumeKind) describe(ctx context.Context, in *ec2.DescribeVolumesInput) ([]wal.Resource, error) {
	in.MaxResults = awssdk.Int32(volumePageSize)
	var out []wal.Resource
	pages := ec2.NewDescribeVolumesPaginator(k.p.api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Volumes {
			if v.State != types.VolumeStateDeleting && v.State != types.VolumeStateDeleted {
				out = append(out, volumeResource(v))
			}
		}
	}
	return out, nil
}

// volumeResource maps an EBS volume to the WAL's resource.
func volumeResource(v types.Volume) wal.Resource {
	tags := tagMap(v.Tags)
	p := &wal.Volume{
		AvailabilityZone: awssdk.ToString(v.AvailabilityZone), SizeGiB: int64(awssdk.ToInt32(v.Size)),
		VolumeType: string(v.VolumeType), Iops: int64(awssdk.ToInt32(v.Iops)),
		Throughput: int64(awssdk.ToInt32(v.Throughput)), Encrypted: awssdk.ToBool(v.Encrypted),
	}
	if v.CreateTime != nil {
		p.LaunchTime = v.CreateTime.UnixNano()
	}
	if len(v.Attachments) > 0 {
		a := v.Attachments[0]
		p.AttachedTo, p.Device, p.AttachmentState = awssdk.ToString(a.InstanceId), awssdk.ToString(a.Device), string(a.State)
	}
	return wal.Resource{
		ID: awssdk.ToString(v.VolumeId), Kind: wal.ResourceVolume, State: string(v.State),
		Tags: tags, Managed: tags[wal.TagManaged] == "true", Group: tags[wal.TagGroup], Volume: p,
	}
}

// Execute implements reconcile.Executor for volumes: one call per
// decision (EBS takes one volume per call), tags batched.
func (k volumeKind) Execute(ctx context.Context, call reconcile.Call) reconcile.CallResult {
	errs := make([]error, len(call.Decisions))
	if call.Action == wal.ActionCreate {
		id, err := k.create(ctx, call, call.Decisions[0])
		errs[0] = err
		if err != nil {
			return reconcile.CallResult{Errs: errs}
		}
		return reconcile.CallResult{Errs: errs, Created: []string{id}}
	}
	if call.Action == wal.ActionAdopt {
		return reconcile.CallResult{Errs: k.p.adopt(ctx, call)}
	}
	if call.Action == wal.ActionUpdateTags {
		d := call.Decisions[0].Action
		outs, err := k.p.tagAll(ctx, "volume", TagRequest{IDs: call.IDs(), Set: d.SetTags, Remove: d.RemoveTags})
		return reconcile.CallResult{Errs: reconcile.SpreadOutcomes(call, outs, err)}
	}
	for i, d := range call.Decisions {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		errs[i] = k.act(ctx, call.Action, d.Action)
	}
	return reconcile.CallResult{Errs: errs}
}

// act runs one modify, attach, detach or delete.
func (k volumeKind) act(ctx context.Context, action wal.Action, a reconcile.PlannedAction) error {
	switch action {
	case wal.ActionModify:
		return k.modify(ctx, a)
	case wal.ActionAttach:
		return k.attach(ctx, a)
	case wal.ActionDetach:
		return k.detach(ctx, a)
	case wal.ActionDelete:
		return k.delete(ctx, a.ResourceID)
	}
	return invalid("volumes have no %s action", action)
}
