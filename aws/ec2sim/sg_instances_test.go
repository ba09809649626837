package ec2sim_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

func TestRunInstancesWithSecurityGroups(t *testing.T) {
	h := newHarness(t, quietOptions())
	ctx := context.Background()
	web, ssh := h.createGroup(t, "web", ""), h.createGroup(t, "ssh", "")
	in := runInput(2, "")
	in.SecurityGroupIds = []string{web, ssh}
	out, err := h.client.RunInstances(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range out.Instances {
		if len(i.SecurityGroups) != 2 || aws.ToString(i.SecurityGroups[0].GroupId) != web ||
			aws.ToString(i.SecurityGroups[1].GroupName) != "ssh" || aws.ToString(i.VpcId) != ec2sim.DefaultVPC {
			t.Fatalf("launched with groups %+v in %s", i.SecurityGroups, aws.ToString(i.VpcId))
		}
	}
	described := h.describeAll(t, &ec2.DescribeInstancesInput{})
	if len(described) != 2 || len(described[0].SecurityGroups) != 2 {
		t.Fatalf("DescribeInstances lost the groups: %+v", described)
	}
	if got := h.sim.Instances()[0].SecurityGroupIDs; !slices.Equal(got, []string{web, ssh}) {
		t.Fatalf("simulator holds groups %v", got)
	}

	plain := h.run(t, 1, "")
	def := h.sim.SecurityGroups()[0]
	if got := h.sim.Instances()[2].SecurityGroupIDs; plain[0] != h.sim.Instances()[2].ID || !slices.Equal(got, []string{def.ID}) {
		t.Fatalf("no groups given: %v, want the default VPC's default group %s", got, def.ID)
	}
}

func TestRunInstancesSecurityGroupErrors(t *testing.T) {
	h := newHarness(t, quietOptions())
	ctx := context.Background()
	other := h.createGroup(t, "other", ec2sim.OtherVPC)
	web := h.createGroup(t, "web", "")
	var six []string
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		six = append(six, h.createGroup(t, n, ""))
	}
	cases := []struct {
		name string
		ids  []string
		code string
	}{
		{"unknown group", []string{"sg-0123456789abcdef0"}, "InvalidGroup.NotFound"},
		{"malformed group", []string{"web"}, "InvalidGroupId.Malformed"},
		{"groups of two VPCs", []string{web, other}, "InvalidParameterValue"},
		{"six groups", six, "SecurityGroupsPerInterfaceLimitExceeded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := runInput(1, "")
			in.SecurityGroupIds = c.ids
			_, err := h.client.RunInstances(ctx, in)
			wantCode(t, err, c.code)
		})
	}
	byName := runInput(1, "")
	byName.SecurityGroups = []string{"web"}
	out, err := h.client.RunInstances(ctx, byName)
	if err != nil || aws.ToString(out.Instances[0].SecurityGroups[0].GroupId) != web {
		t.Fatalf("launch by group name in the default VPC: %v", err)
	}
	if n := len(h.sim.Instances()); n != 1 {
		t.Fatalf("%d instances, want only the one launched by name", n)
	}
}

func TestSecurityGroupsSurviveRestart(t *testing.T) {
	opts := quietOptions()
	opts.StateFile = filepath.Join(t.TempDir(), "cloud.json")
	first := newHarness(t, opts)
	lb := first.createGroup(t, "lb", "", tag("ovi:managed", "true"))
	web := first.createGroup(t, "web", ec2sim.OtherVPC)
	first.authorizeIn(t, lb, fromCIDR("tcp", 443, 443, "0.0.0.0/0"))
	in := runInput(1, "")
	in.SecurityGroupIds = []string{lb}
	if _, err := first.client.RunInstances(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	before := first.sim.SecurityGroups()

	second := newHarness(t, opts)
	after := second.sim.SecurityGroups()
	if len(after) != 4 || !slices.EqualFunc(before, after, equalGroups) {
		t.Fatalf("after restart\n%+v\nwant\n%+v", after, before)
	}
	if got := second.sim.Instances()[0].SecurityGroupIDs; !slices.Equal(got, []string{lb}) {
		t.Fatalf("instance groups after restart: %v", got)
	}
	_, err := second.client.DeleteSecurityGroup(context.Background(), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(lb)})
	wantCode(t, err, "DependencyViolation")
	next := second.createGroup(t, "api", "")
	if next == lb || next == web {
		t.Fatalf("a group created after restart reused id %s", next)
	}
}

func equalGroups(a, b ec2sim.SecurityGroup) bool {
	return a.ID == b.ID && a.Name == b.Name && a.VpcID == b.VpcID && a.Description == b.Description &&
		slices.Equal(a.Ingress, b.Ingress) && slices.Equal(a.Egress, b.Egress) && slices.Equal(a.Tags, b.Tags)
}

func TestStateFileWithoutGroupsGetsTheDefaults(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cloud.json")
	old := `{"version":1,"next_id":0,"instances":[],"reservations":[]}`
	if err := os.WriteFile(file, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := quietOptions()
	opts.StateFile = file
	sim, err := ec2sim.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	fresh := ec2sim.New(quietOptions()).SecurityGroups()
	if got := sim.SecurityGroups(); !slices.EqualFunc(got, fresh, equalGroups) {
		t.Fatalf("groups %+v, want the defaults %+v", got, fresh)
	}
}

func TestGroupsDoNotShiftInstanceIDs(t *testing.T) {
	plain := newHarness(t, quietOptions()).run(t, 2, "")
	h := newHarness(t, quietOptions())
	web := h.createGroup(t, "web", "")
	h.authorizeIn(t, web, fromCIDR("tcp", 22, 22, "0.0.0.0/0"))
	if got := h.run(t, 2, ""); !slices.Equal(got, plain) {
		t.Fatalf("instance ids %v after creating a group, want %v as without", got, plain)
	}
}

func TestDeletedGroupIDIsNotReusedAfterRestart(t *testing.T) {
	opts := quietOptions()
	opts.StateFile = filepath.Join(t.TempDir(), "cloud.json")
	first := newHarness(t, opts)
	gone := first.createGroup(t, "gone", "")
	out := first.authorizeIn(t, gone, fromCIDR("tcp", 22, 22, "0.0.0.0/0"))
	rule := aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId)
	if _, err := first.client.DeleteSecurityGroup(context.Background(), &ec2.DeleteSecurityGroupInput{GroupId: aws.String(gone)}); err != nil {
		t.Fatal(err)
	}
	second := newHarness(t, opts)
	next := second.createGroup(t, "next", "")
	again := second.authorizeIn(t, next, fromCIDR("tcp", 22, 22, "0.0.0.0/0"))
	if next == gone || aws.ToString(again.SecurityGroupRules[0].SecurityGroupRuleId) == rule {
		t.Fatalf("ids reused after restart: group %s, rule %s", next, rule)
	}
}
