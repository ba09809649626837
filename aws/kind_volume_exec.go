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

// create sends CreateVolume with the decision's ClientToken: a retry, by
// this leader or a new one after a failover, returns the volume the first
// call made instead of a second one. The volume carries the create's tags
// (ovi:managed, ovi:group, ovi:decision) from the start.
func (k volumeKind) create(ctx context.Context, call reconcile.Call, d reconcile.CallDecision) (string, error) {
	if call.Unit == nil || call.Unit.Spec == nil || call.Unit.Spec.Volume == nil {
		return "", invalid("volume %s is no longer in the configuration", d.Action.Group)
	}
	if err := validateToken(d.ClientToken); err != nil {
		return "", err
	}
	if err := validateTags(d.Action.SetTags); err != nil {
		return "", err
	}
	s := call.Unit.Spec.Volume
	in := &ec2.CreateVolumeInput{
		AvailabilityZone: awssdk.String(s.AvailabilityZone), Size: awssdk.Int32(int32(s.SizeGiB)),
		VolumeType: types.VolumeType(s.VolumeType), Encrypted: awssdk.Bool(s.Encrypted),
		ClientToken:       awssdk.String(d.ClientToken),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: sdkTags(d.Action.SetTags)}},
	}
	if s.Iops > 0 {
		in.Iops = awssdk.Int32(int32(s.Iops))
	}
	if s.Throughput > 0 {
		in.Throughput = awssdk.Int32(int32(s.Throughput))
	}
	out, err := k.p.api.CreateVolume(ctx, in)
	if err != nil {
		return "", wrap("create volume "+d.Action.Group, err)
	}
	return awssdk.ToString(out.VolumeId), nil
}

// modify sends one ModifyVolume with the decided shape.
func (k volumeKind) modify(ctx context.Context, a reconcile.PlannedAction) error {
	t, err := a.Target()
	if err != nil {
		return invalid("%v", err)
	}
	in := &ec2.ModifyVolumeInput{VolumeId: awssdk.String(a.ResourceID), Size: awssdk.Int32(int32(t.SizeGiB)),
		VolumeType: types.VolumeType(t.VolumeType)}
	if t.Iops > 0 {
		in.Iops = awssdk.Int32(int32(t.Iops))
	}
	if t.Throughput > 0 {
		in.Throughput = awssdk.Int32(int32(t.Throughput))
	}
	_, err = k.p.api.ModifyVolume(ctx, in)
	return wrap("modify volume "+a.ResourceID, err)
}

// attach sends AttachVolume to the decided instance and device.
func (k volumeKind) attach(ctx context.Context, a reconcile.PlannedAction) error {
	t, err := a.Target()
	if err != nil {
		return invalid("%v", err)
	}
	_, err = k.p.api.AttachVolume(ctx, &ec2.AttachVolumeInput{VolumeId: awssdk.String(a.ResourceID),
		InstanceId: awssdk.String(t.InstanceID), Device: awssdk.String(t.Device)})
	return wrap("attach volume "+a.ResourceID, err)
}

// detach re-checks the volume just before: a blessed volume is never
// detached (CodeBlessed).
func (k volumeKind) detach(ctx context.Context, a reconcile.PlannedAction) error {
	t, err := a.Target()
	if err != nil {
		return invalid("%v", err)
	}
	if _, err := k.refuseBlessed(ctx, "detach", a.ResourceID); err != nil {
		return err
	}
	_, err = k.p.api.DetachVolume(ctx, &ec2.DetachVolumeInput{VolumeId: awssdk.String(a.ResourceID),
		InstanceId: awssdk.String(t.InstanceID)})
	return wrap("detach volume "+a.ResourceID, err)
}

// delete re-checks the volume just before: a blessed volume is never
// deleted (CodeBlessed); one already gone or being deleted counts as
// deleted.
func (k volumeKind) delete(ctx context.Context, id string) error {
	gone, err := k.refuseBlessed(ctx, "delete", id)
	if errorCode(err) == "InvalidVolume.NotFound" || (err == nil && gone) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = k.p.api.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: awssdk.String(id)})
	if errorCode(err) == "InvalidVolume.NotFound" {
		return nil
	}
	return wrap("delete volume "+id, err)
}

// refuseBlessed describes the volume and refuses if it carries
// ovi:blessed=true now; gone reports a volume already being deleted.
func (k volumeKind) refuseBlessed(ctx context.Context, op, id string) (gone bool, err error) {
	out, err := k.p.api.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	if err != nil {
		return false, wrap(op+" volume "+id, err)
	}
	for _, v := range out.Volumes {
		if tagMap(v.Tags)[wal.TagBlessed] == "true" {
			return false, fmt.Errorf("aws: %s %s: %w", op, id, &reconcile.ProviderError{
				Code: CodeBlessed, Message: "volume carries " + wal.TagBlessed + "=true; Ovi never deletes or detaches it", Terminal: true,
			})
		}
		if v.State == types.VolumeStateDeleting || v.State == types.VolumeStateDeleted {
			gone = true
		}
	}
	return gone, nil
}

// tagAll sets and removes tags on resources of any kind (never removing
// ovi:blessed): one CreateTags and one DeleteTags for all of req.IDs (a
// batch holds at most reconcile.MaxBatchIDs, what EC2 takes in one call).
// what names the kind in errors.
func (p *Provider) tagAll(ctx context.Context, what string, req TagRequest) ([]reconcile.Outcome, error) {
	set, remove, err := tagChange(req)
	if err != nil {
		return nil, fmt.Errorf("aws: update %s tags: %w", what, err)
	}
	if len(set) > 0 {
		if _, err := p.api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: req.IDs, Tags: set}); err != nil {
			return nil, wrap("create "+what+" tags", err)
		}
	}
	if len(remove) > 0 {
		if _, err := p.api.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: req.IDs, Tags: remove}); err != nil {
			return nil, wrap("delete "+what+" tags", err)
		}
	}
	outs := make([]reconcile.Outcome, len(req.IDs))
	for i, id := range req.IDs {
		outs[i] = reconcile.Outcome{ID: id}
	}
	return outs, nil
}
