package aws

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/wal"
)

// securityGroupKind is the security group kind's observer (one paginated
// DescribeSecurityGroups, MaxResults 1000) and executor (kind_sg_exec.go).
// EC2 has no ClientToken for CreateSecurityGroup: a create is idempotent
// through the group's natural unique key (its name in its VPC) and the
// ovi:decision tag it is created with.
type securityGroupKind struct{ p *Provider }

// securityGroupState is the state every observed group reports (EC2
// groups have no lifecycle).
const securityGroupState = "available"

// Observe implements reconcile.Observer: every group in the region.
func (k securityGroupKind) Observe(ctx context.Context) ([]wal.Resource, error) {
	res, err := k.describe(ctx)
	if err != nil {
		return nil, wrap("observe security groups", err)
	}
	return res, nil
}

// FindByDecision implements reconcile.Observer.
func (k securityGroupKind) FindByDecision(ctx context.Context, decisionID string) ([]wal.Resource, error) {
	if decisionID == "" {
		return nil, fmt.Errorf("aws: find security groups by decision: %w", invalid("empty decision id"))
	}
	res, err := k.describe(ctx, types.Filter{Name: awssdk.String("tag:" + wal.TagDecision), Values: []string{decisionID}})
	if err != nil {
		return nil, wrap("find security groups by decision "+decisionID, err)
	}
	return res, nil
}

// describe pages through DescribeSecurityGroups with filters. A rule
// naming an Ovi-managed group shows that group's name (its ovi:group), as
// the file does; any other group stays an id. With filters, referenced
// groups outside the answer stay ids.
func (k securityGroupKind) describe(ctx context.Context, filters ...types.Filter) ([]wal.Resource, error) {
	groups, err := k.describeRaw(ctx, filters...)
	if err != nil {
		return nil, err
	}
	names := managedNames(groups)
	out := make([]wal.Resource, 0, len(groups))
	for _, g := range groups {
		out = append(out, groupResource(g, names))
	}
	return out, nil
}

func (k securityGroupKind) describeRaw(ctx context.Context, filters ...types.Filter) ([]types.SecurityGroup, error) {
	in := &ec2.DescribeSecurityGroupsInput{MaxResults: awssdk.Int32(pageSize)}
	if len(filters) > 0 {
		in.Filters = filters
	}
	var out []types.SecurityGroup
	pages := ec2.NewDescribeSecurityGroupsPaginator(k.p.api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.SecurityGroups...)
	}
	return out, nil
}

// managedNames maps the ids of Ovi-managed groups to their names.
func managedNames(groups []types.SecurityGroup) map[string]string {
	names := make(map[string]string)
	for _, g := range groups {
		tags := tagMap(g.Tags)
		if tags[wal.TagManaged] == "true" && tags[wal.TagGroup] != "" {
			names[awssdk.ToString(g.GroupId)] = tags[wal.TagGroup]
		}
	}
	return names
}

func groupResource(g types.SecurityGroup, names map[string]string) wal.Resource {
	tags := tagMap(g.Tags)
	return wal.Resource{
		ID: awssdk.ToString(g.GroupId), Kind: wal.ResourceSecurityGroup, State: securityGroupState,
		Tags: tags, Managed: tags[wal.TagManaged] == "true", Group: tags[wal.TagGroup],
		SecurityGroup: &wal.SecurityGroup{
			Name: awssdk.ToString(g.GroupName), VpcID: awssdk.ToString(g.VpcId), Description: awssdk.ToString(g.Description),
			Ingress: rulesOf(g.IpPermissions, names), Egress: rulesOf(g.IpPermissionsEgress, names),
		},
	}
}

// rulesOf expands EC2's permissions into one rule per peer, sorted.
// IPv6 ranges and prefix lists are not modelled and left out.
func rulesOf(perms []types.IpPermission, names map[string]string) []wal.Rule {
	var out []wal.Rule
	for _, p := range perms {
		base := wal.Rule{Protocol: awssdk.ToString(p.IpProtocol), FromPort: -1, ToPort: -1}
		if base.Protocol != wal.ProtocolAll && p.FromPort != nil && p.ToPort != nil {
			base.FromPort, base.ToPort = *p.FromPort, *p.ToPort
		}
		for _, r := range p.IpRanges {
			rule := base
			rule.CIDR = awssdk.ToString(r.CidrIp)
			out = append(out, rule)
		}
		for _, pair := range p.UserIdGroupPairs {
			rule := base
			rule.Group = awssdk.ToString(pair.GroupId)
			if name, ok := names[rule.Group]; ok {
				rule.Group = name
			}
			out = append(out, rule)
		}
	}
	return wal.SortRules(out)
}

// permission is the EC2 form of one rule whose group peer (if any) is
// already an id.
func permission(r wal.Rule, groupID string) types.IpPermission {
	p := types.IpPermission{IpProtocol: awssdk.String(r.Protocol)}
	if r.Protocol != wal.ProtocolAll {
		p.FromPort, p.ToPort = awssdk.Int32(r.FromPort), awssdk.Int32(r.ToPort)
	}
	if groupID != "" {
		p.UserIdGroupPairs = []types.UserIdGroupPair{{GroupId: awssdk.String(groupID)}}
	} else {
		p.IpRanges = []types.IpRange{{CidrIp: awssdk.String(r.CIDR)}}
	}
	return p
}
