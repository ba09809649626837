package aws

import (
	"context"
	"fmt"
	"slices"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/wal"
)

// pageSize is DescribeInstances' largest page: observing N instances costs
// ceil(N/1000) calls (one call when there are none).
const pageSize = 1000

// liveStates are the instance states Observe reports. Terminated instances
// stay visible in EC2 for up to an hour, and shutting-down ones are on
// their way there; neither is live.
func liveStates() []string {
	return []string{
		string(types.InstanceStateNamePending),
		string(types.InstanceStateNameRunning),
		string(types.InstanceStateNameStopping),
		string(types.InstanceStateNameStopped),
	}
}

// Observe returns every live instance in the region, managed or not, in
// ceil(N/1000) DescribeInstances calls, plus one DescribeInstanceAttribute
// per managed blessed instance for its termination protection
// (protection.go).
func (p *Provider) Observe(ctx context.Context) ([]wal.Resource, error) {
	res, err := p.describeLive(ctx)
	if err != nil {
		return nil, wrap("observe", err)
	}
	if err := p.fillProtection(ctx, res); err != nil {
		return nil, err
	}
	return res, nil
}

// FindByDecision returns the live instances tagged ovi:decision=decisionID,
// so a new leader sees what an interrupted launch already did, even where
// the endpoint does not honour ClientToken.
func (p *Provider) FindByDecision(ctx context.Context, decisionID string) ([]wal.Resource, error) {
	if decisionID == "" {
		return nil, fmt.Errorf("aws: find by decision: %w", invalid("empty decision id"))
	}
	res, err := p.describeLive(ctx, types.Filter{
		Name:   awssdk.String("tag:" + wal.TagDecision),
		Values: []string{decisionID},
	})
	if err != nil {
		return nil, wrap("find by decision "+decisionID, err)
	}
	return res, nil
}

// describeLive pages through DescribeInstances (MaxResults 1000) with the
// given filters plus a live-state filter, skipping anything not live in
// case the endpoint ignores the filter.
func (p *Provider) describeLive(ctx context.Context, filters ...types.Filter) ([]wal.Resource, error) {
	in := &ec2.DescribeInstancesInput{
		MaxResults: awssdk.Int32(pageSize),
		Filters: append(append([]types.Filter(nil), filters...), types.Filter{
			Name:   awssdk.String("instance-state-name"),
			Values: liveStates(),
		}),
	}
	var out []wal.Resource
	pages := ec2.NewDescribeInstancesPaginator(p.api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, inst := range instances(page) {
			if live(inst) {
				out = append(out, toResource(inst))
			}
		}
	}
	return out, nil
}

// instances flattens the reservations of a DescribeInstances page.
func instances(page *ec2.DescribeInstancesOutput) []types.Instance {
	var out []types.Instance
	for _, r := range page.Reservations {
		out = append(out, r.Instances...)
	}
	return out
}

func stateName(inst types.Instance) types.InstanceStateName {
	if inst.State == nil {
		return ""
	}
	return inst.State.Name
}

func live(inst types.Instance) bool {
	switch stateName(inst) {
	case types.InstanceStateNameTerminated, types.InstanceStateNameShuttingDown:
		return false
	}
	return true
}

// toResource maps an EC2 instance to the WAL's resource. Management is
// read from Ovi's own tags.
func toResource(inst types.Instance) wal.Resource {
	tags := tagMap(inst.Tags)
	attrs := &wal.Instance{
		Size:           string(inst.InstanceType),
		ImageID:        awssdk.ToString(inst.ImageId),
		SubnetID:       awssdk.ToString(inst.SubnetId),
		SecurityGroups: groupIDs(inst.SecurityGroups),
	}
	if inst.LaunchTime != nil {
		attrs.LaunchTime = inst.LaunchTime.UnixNano()
	}
	if inst.Placement != nil {
		attrs.AvailabilityZone = awssdk.ToString(inst.Placement.AvailabilityZone)
	}
	return wal.Resource{
		ID:       awssdk.ToString(inst.InstanceId),
		Kind:     wal.ResourceInstance,
		State:    string(stateName(inst)),
		Tags:     tags,
		Managed:  tags[wal.TagManaged] == "true",
		Group:    tags[wal.TagGroup],
		Instance: attrs,
	}
}

// groupIDs are the sorted ids of an instance's security groups (nil when
// it has none).
func groupIDs(gs []types.GroupIdentifier) []string {
	var ids []string
	for _, g := range gs {
		if id := awssdk.ToString(g.GroupId); id != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// tagMap returns the tags as a map (nil when there are none); the WAL
// encodes it in sorted key order.
func tagMap(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
	}
	return m
}
