package ec2sim_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// createGroup creates a group in vpc ("" = default VPC) and returns its id.
func (h *harness) createGroup(t testing.TB, name, vpc string, tags ...types.Tag) string {
	t.Helper()
	in := &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name + " servers")}
	if vpc != "" {
		in.VpcId = aws.String(vpc)
	}
	if len(tags) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: tags}}
	}
	out, err := h.client.CreateSecurityGroup(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateSecurityGroup(%s): %v", name, err)
	}
	return aws.ToString(out.GroupId)
}

// describeGroups pages through DescribeSecurityGroups.
func (h *harness) describeGroups(t testing.TB, in *ec2.DescribeSecurityGroupsInput) []types.SecurityGroup {
	t.Helper()
	var out []types.SecurityGroup
	p := ec2.NewDescribeSecurityGroupsPaginator(h.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("DescribeSecurityGroups: %v", err)
		}
		out = append(out, page.SecurityGroups...)
	}
	return out
}

// group describes one group by id.
func (h *harness) group(t testing.TB, id string) types.SecurityGroup {
	t.Helper()
	out, err := h.client.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil || len(out.SecurityGroups) != 1 {
		t.Fatalf("DescribeSecurityGroups(%s): %d groups, %v", id, len(out.SecurityGroups), err)
	}
	return out.SecurityGroups[0]
}

func groupNames(gs []types.SecurityGroup) []string {
	names := make([]string, 0, len(gs))
	for _, g := range gs {
		names = append(names, aws.ToString(g.GroupName))
	}
	return names
}

func TestEveryVPCHasADefaultGroup(t *testing.T) {
	h := newHarness(t, quietOptions())
	got := h.describeGroups(t, &ec2.DescribeSecurityGroupsInput{})
	if len(got) != 2 {
		t.Fatalf("%d groups in a fresh region, want one default group per VPC", len(got))
	}
	for i, vpc := range []string{ec2sim.DefaultVPC, ec2sim.OtherVPC} {
		g := got[i]
		if aws.ToString(g.GroupName) != "default" || aws.ToString(g.VpcId) != vpc || aws.ToString(g.OwnerId) != "123456789012" {
			t.Fatalf("group %d: %s in %s owned by %s", i, aws.ToString(g.GroupName), aws.ToString(g.VpcId), aws.ToString(g.OwnerId))
		}
		in, out := g.IpPermissions, g.IpPermissionsEgress
		if len(in) != 1 || aws.ToString(in[0].IpProtocol) != "-1" || len(in[0].UserIdGroupPairs) != 1 ||
			aws.ToString(in[0].UserIdGroupPairs[0].GroupId) != aws.ToString(g.GroupId) || in[0].FromPort != nil {
			t.Fatalf("default ingress %+v, want all traffic from the group itself", in)
		}
		if len(out) != 1 || aws.ToString(out[0].IpProtocol) != "-1" || aws.ToString(out[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
			t.Fatalf("default egress %+v, want all traffic out", out)
		}
	}
}

func TestCreateSecurityGroup(t *testing.T) {
	h := newHarness(t, quietOptions())
	id := h.createGroup(t, "web", ec2sim.DefaultVPC, tag("ovi:managed", "true"), tag("ovi:decision", "d-1"))
	g := h.group(t, id)
	if aws.ToString(g.GroupName) != "web" || aws.ToString(g.Description) != "web servers" || aws.ToString(g.VpcId) != ec2sim.DefaultVPC {
		t.Fatalf("created %s %q in %s", aws.ToString(g.GroupName), aws.ToString(g.Description), aws.ToString(g.VpcId))
	}
	if len(g.Tags) != 2 || aws.ToString(g.Tags[0].Key) != "ovi:decision" {
		t.Fatalf("tags %+v", g.Tags)
	}
	if len(g.IpPermissions) != 0 || len(g.IpPermissionsEgress) != 1 || aws.ToString(g.IpPermissionsEgress[0].IpProtocol) != "-1" {
		t.Fatalf("a new group allows nothing in and everything out; got in %+v out %+v", g.IpPermissions, g.IpPermissionsEgress)
	}
	if arn := aws.ToString(g.SecurityGroupArn); arn != "arn:aws:ec2:us-east-1:123456789012:security-group/"+id {
		t.Fatalf("arn %s", arn)
	}
	if other := h.createGroup(t, "web", ec2sim.OtherVPC); other == id {
		t.Fatal("the same name in another VPC is another group")
	}
	if omitted := h.group(t, h.createGroup(t, "api", "")); aws.ToString(omitted.VpcId) != ec2sim.DefaultVPC {
		t.Fatalf("VpcId omitted: created in %s, want the default VPC", aws.ToString(omitted.VpcId))
	}
}

func TestCreateSecurityGroupErrors(t *testing.T) {
	h := newHarness(t, quietOptions())
	h.createGroup(t, "web", ec2sim.DefaultVPC)
	cases := []struct {
		name, group, desc, vpc, code string
	}{
		{"duplicate name in the VPC", "web", "again", ec2sim.DefaultVPC, "InvalidGroup.Duplicate"},
		{"duplicate name, VPC omitted", "web", "again", "", "InvalidGroup.Duplicate"},
		{"reserved name", "default", "mine", "", "InvalidGroup.Reserved"},
		{"id-like name", "sg-web", "x", "", "InvalidParameterValue"},
		{"no description", "db", "", "", "MissingParameter"},
		{"no name", "", "x", "", "MissingParameter"},
		{"unknown VPC", "db", "x", "vpc-0123456789abcdef0", "InvalidVpcID.NotFound"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := &ec2.CreateSecurityGroupInput{GroupName: aws.String(c.group), Description: aws.String(c.desc)}
			if c.vpc != "" {
				in.VpcId = aws.String(c.vpc)
			}
			_, err := h.client.CreateSecurityGroup(context.Background(), in)
			wantCode(t, err, c.code)
		})
	}
	_, err := h.client.CreateSecurityGroup(context.Background(), &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("db"), Description: aws.String("x"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{tag("a", "b")}}},
	})
	wantCode(t, err, "InvalidParameterValue")
	if n := len(h.sim.SecurityGroups()); n != 3 {
		t.Fatalf("%d groups after failed creates, want the 2 defaults and web", n)
	}
}

func TestDescribeSecurityGroupsPages(t *testing.T) {
	h := newHarness(t, quietOptions())
	var want []string
	for i := range 12 {
		name := fmt.Sprintf("g%02d", i)
		want = append(want, name)
		h.createGroup(t, name, "", tag("team", []string{"web", "data"}[i%2]))
	}
	h.sim.ResetCounts()
	got := h.describeGroups(t, &ec2.DescribeSecurityGroupsInput{
		MaxResults: aws.Int32(5), Filters: []types.Filter{filterOf("vpc-id", ec2sim.DefaultVPC), filterOf("group-name", "g*")},
	})
	if !slices.Equal(groupNames(got), want) {
		t.Fatalf("paged: %v, want %v", groupNames(got), want)
	}
	if n := h.sim.Counts()["DescribeSecurityGroups"]; n != 3 {
		t.Fatalf("%d calls for 12 groups at 5 a page, want 3", n)
	}
	all := h.describeGroups(t, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(1000)})
	if len(all) != 14 {
		t.Fatalf("%d groups, want 12 and the 2 defaults", len(all))
	}
	web := h.describeGroups(t, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filterOf("tag:team", "web")}})
	if len(web) != 6 || aws.ToString(web[0].GroupName) != "g00" {
		t.Fatalf("tag:team=web: %v", groupNames(web))
	}
	other := h.describeGroups(t, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filterOf("vpc-id", ec2sim.OtherVPC)}})
	if !slices.Equal(groupNames(other), []string{"default"}) {
		t.Fatalf("vpc-id=%s: %v", ec2sim.OtherVPC, groupNames(other))
	}
}

func TestDescribeSecurityGroupsErrors(t *testing.T) {
	h := newHarness(t, quietOptions())
	id := h.createGroup(t, "web", "")
	ctx := context.Background()
	cases := []struct {
		name string
		in   *ec2.DescribeSecurityGroupsInput
		code string
	}{
		{"page too small", &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(4)}, "InvalidParameterValue"},
		{"page too large", &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(1001)}, "InvalidParameterValue"},
		{"ids with a page size", &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}, MaxResults: aws.Int32(5)}, "InvalidParameterCombination"},
		{"unknown id", &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id, "sg-0123456789abcdef0"}}, "InvalidGroup.NotFound"},
		{"malformed id", &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-xyz"}}, "InvalidGroupId.Malformed"},
		{"unknown name", &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"nope"}}, "InvalidGroup.NotFound"},
		{"bad token", &ec2.DescribeSecurityGroupsInput{NextToken: aws.String("garbage")}, "InvalidPaginationToken"},
		{"unknown filter", &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filterOf("color", "red")}}, "InvalidParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.client.DescribeSecurityGroups(ctx, c.in)
			wantCode(t, err, c.code)
		})
	}
	byName, err := h.client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"web", "default"}})
	if err != nil || !slices.Equal(groupNames(byName.SecurityGroups), []string{"default", "web"}) {
		t.Fatalf("by name: %v, %v", groupNames(byName.SecurityGroups), err)
	}
}

func TestDeleteSecurityGroup(t *testing.T) {
	h := newHarness(t, quietOptions())
	ctx := context.Background()
	del := func(id string) error {
		_, err := h.client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(id)})
		return err
	}
	def := h.sim.SecurityGroups()[0]
	wantCode(t, del(def.ID), "CannotDelete")

	web := h.createGroup(t, "web", "")
	in := runInput(1, "")
	in.SecurityGroupIds = []string{web}
	out, err := h.client.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, del(web), "DependencyViolation")
	h.clock.Advance(11 * time.Second)
	h.terminate(t, aws.ToString(out.Instances[0].InstanceId))
	wantCode(t, del(web), "DependencyViolation") // shutting down still holds its interface
	h.clock.Advance(11 * time.Second)            // terminated
	if err := del(web); err != nil {
		t.Fatalf("deleting a group no live instance uses: %v", err)
	}
	_, err = h.client.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{web}})
	wantCode(t, err, "InvalidGroup.NotFound")
	wantCode(t, del(web), "InvalidGroup.NotFound")
	wantCode(t, del("sg-nothex"), "InvalidGroupId.Malformed")
	_, err = h.client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{})
	wantCode(t, err, "MissingParameter")
}

func TestDeleteSecurityGroupReferencedByARule(t *testing.T) {
	h := newHarness(t, quietOptions())
	ctx := context.Background()
	lb, app := h.createGroup(t, "lb", ""), h.createGroup(t, "app", "")
	h.authorizeIn(t, app, fromGroup("tcp", 8080, 8080, lb))
	_, err := h.client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(lb)})
	wantCode(t, err, "DependencyViolation")
	if _, err := h.client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupName: aws.String("app")}); err != nil {
		t.Fatalf("delete by name in the default VPC: %v", err)
	}
	if _, err := h.client.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: aws.String(lb)}); err != nil {
		t.Fatalf("delete once the referencing group is gone: %v", err)
	}
	if n := len(h.sim.SecurityGroups()); n != 2 {
		t.Fatalf("%d groups left, want the 2 defaults", n)
	}
}

func TestTagsOnSecurityGroups(t *testing.T) {
	h := newHarness(t, quietOptions())
	ctx := context.Background()
	web := h.createGroup(t, "web", "", tag("ovi:managed", "true"))
	ids := h.run(t, 1, "")
	_, err := h.client.CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{web, ids[0]}, Tags: []types.Tag{tag("ovi:blessed", "true")},
	})
	if err != nil {
		t.Fatalf("CreateTags on a group and an instance: %v", err)
	}
	blessed := h.describeGroups(t, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filterOf("tag:ovi:blessed", "true")}})
	if len(blessed) != 1 || aws.ToString(blessed[0].GroupId) != web || len(blessed[0].Tags) != 2 {
		t.Fatalf("tag:ovi:blessed=true finds %+v", blessed)
	}
	if _, err := h.client.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{web}, Tags: []types.Tag{{Key: aws.String("ovi:managed")}}}); err != nil {
		t.Fatal(err)
	}
	if got := h.simGroup(t, web).Tags; !slices.Equal(got, []ec2sim.Tag{{Key: "ovi:blessed", Value: "true"}}) {
		t.Fatalf("tags after DeleteTags: %v", got)
	}
	_, err = h.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{web, "sg-0123456789abcdef0"}, Tags: []types.Tag{tag("a", "b")}})
	wantCode(t, err, "InvalidGroup.NotFound")
	if n := len(h.simGroup(t, web).Tags); n != 1 {
		t.Fatalf("a failed CreateTags tagged the group: %d tags", n)
	}
}
