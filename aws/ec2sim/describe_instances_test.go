package ec2sim_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestDescribeInstancesPaginates2500In3Pages(t *testing.T) {
	h := newHarness(t, quietOptions())
	launched := append(h.run(t, 1000, ""), h.run(t, 1000, "")...)
	launched = append(launched, h.run(t, 500, "")...)
	h.sim.ResetCounts()

	got := h.describeAll(t, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	if n := h.sim.Counts()["DescribeInstances"]; n != 3 {
		t.Fatalf("DescribeInstances calls = %d, want 3", n)
	}
	ids := make([]string, 0, len(got))
	for _, in := range got {
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	if !slices.Equal(ids, launched) {
		t.Fatalf("described %d instances, want the 2500 launched, in launch order", len(ids))
	}
}

func TestDescribeInstancesExactMultipleNeedsNoExtraPage(t *testing.T) {
	h := newHarness(t, quietOptions())
	h.run(t, 1000, "")
	h.run(t, 1000, "")
	h.sim.ResetCounts()
	got := h.describeAll(t, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)})
	if len(got) != 2000 || h.sim.Counts()["DescribeInstances"] != 2 {
		t.Fatalf("got %d instances in %d calls, want 2000 in 2", len(got), h.sim.Counts()["DescribeInstances"])
	}
}

func TestDescribeInstancesDefaultPageIs1000(t *testing.T) {
	h := newHarness(t, quietOptions())
	h.run(t, 1001, "")
	out, err := h.client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range out.Reservations {
		n += len(r.Instances)
	}
	if n != 1000 || out.NextToken == nil {
		t.Fatalf("first page has %d instances (next token %v), want 1000 and a token", n, out.NextToken)
	}
}

func TestDescribeInstancesSmallPagesKeepOrder(t *testing.T) {
	h := newHarness(t, quietOptions())
	launched := h.run(t, 12, "")
	got := h.describeAll(t, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	if len(got) != 12 || aws.ToString(got[11].InstanceId) != launched[11] {
		t.Fatalf("got %d instances, want 12 ending with %s", len(got), launched[11])
	}
	if h.sim.Counts()["DescribeInstances"] != 3 {
		t.Fatalf("calls = %d, want 3", h.sim.Counts()["DescribeInstances"])
	}
}

func TestDescribeInstancesRejectsBadParameters(t *testing.T) {
	h := newHarness(t, quietOptions())
	id := h.run(t, 1, "")[0]
	ctx := context.Background()
	cases := []struct {
		name string
		in   *ec2.DescribeInstancesInput
		code string
	}{
		{"max results too small", &ec2.DescribeInstancesInput{MaxResults: aws.Int32(4)}, "InvalidParameterValue"},
		{"max results too large", &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1001)}, "InvalidParameterValue"},
		{"ids with max results", &ec2.DescribeInstancesInput{InstanceIds: []string{id}, MaxResults: aws.Int32(5)}, "InvalidParameterCombination"},
		{"bad token", &ec2.DescribeInstancesInput{NextToken: aws.String("garbage!")}, "InvalidPaginationToken"},
		{"unknown filter", &ec2.DescribeInstancesInput{Filters: []types.Filter{{Name: aws.String("color"), Values: []string{"red"}}}}, "InvalidParameterValue"},
		{"unknown id", &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}}, "InvalidInstanceID.NotFound"},
		{"malformed id", &ec2.DescribeInstancesInput{InstanceIds: []string{"i-xyz"}}, "InvalidInstanceID.Malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.client.DescribeInstances(ctx, c.in)
			wantCode(t, err, c.code)
		})
	}
}

func TestDescribeInstancesFilters(t *testing.T) {
	h := newHarness(t, quietOptions())
	web := h.run(t, 3, "", tag("role", "web"), tag("ovi:managed", "true"))
	db := h.run(t, 2, "", tag("role", "db"))
	bare := h.run(t, 1, "")
	h.terminate(t, web[0])
	h.clock.Advance(11 * time.Second) // web[0] terminated, others running

	cases := []struct {
		name    string
		filters []types.Filter
		want    []string
	}{
		{"tag value", []types.Filter{filterOf("tag:role", "web")}, web},
		{"tag value glob", []types.Filter{filterOf("tag:role", "d*")}, db},
		{"tag value any of", []types.Filter{filterOf("tag:role", "web", "db")}, append(slices.Clone(web), db...)},
		{"tag key", []types.Filter{filterOf("tag-key", "ovi:managed")}, web},
		{"state", []types.Filter{filterOf("instance-state-name", "running")}, append(append(slices.Clone(web[1:]), db...), bare...)},
		{"state terminated", []types.Filter{filterOf("instance-state-name", "terminated")}, web[:1]},
		{"id", []types.Filter{filterOf("instance-id", db[1], bare[0])}, []string{db[1], bare[0]}},
		{"anded", []types.Filter{filterOf("tag:role", "web"), filterOf("instance-state-name", "running")}, web[1:]},
		{"none", []types.Filter{filterOf("tag:role", "cache")}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := idsOf(h.describeAll(t, &ec2.DescribeInstancesInput{Filters: c.filters}))
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestDescribeInstancesByID(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 4, "")
	out, err := h.client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{
		InstanceIds: []string{ids[2], ids[0]},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Reservations {
		got = append(got, idsOf(r.Instances)...)
	}
	if !slices.Equal(got, []string{ids[0], ids[2]}) {
		t.Fatalf("got %v", got)
	}
	_, err = h.client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{
		InstanceIds: []string{ids[1], "i-0000000000000dead"},
	})
	msg := wantCode(t, err, "InvalidInstanceID.NotFound")
	if !strings.Contains(msg, "i-0000000000000dead") {
		t.Fatalf("message %q does not name the missing id", msg)
	}
}

func TestDescribeInstancesReportsLaunchDetails(t *testing.T) {
	h := newHarness(t, quietOptions())
	id := h.run(t, 1, "", tag("Name", "web-1"))[0]
	got := h.describeAll(t, &ec2.DescribeInstancesInput{})
	if len(got) != 1 {
		t.Fatalf("got %d instances", len(got))
	}
	in := got[0]
	switch {
	case aws.ToString(in.InstanceId) != id:
		t.Fatalf("id %s, want %s", aws.ToString(in.InstanceId), id)
	case in.InstanceType != types.InstanceTypeT3Micro:
		t.Fatalf("type %s", in.InstanceType)
	case aws.ToString(in.ImageId) != al2023:
		t.Fatalf("image %s", aws.ToString(in.ImageId))
	case in.State == nil || in.State.Name != types.InstanceStateNamePending || aws.ToInt32(in.State.Code) != 0:
		t.Fatalf("state %+v, want pending/0", in.State)
	case !aws.ToTime(in.LaunchTime).Equal(epoch):
		t.Fatalf("launch time %v, want %v", aws.ToTime(in.LaunchTime), epoch)
	case len(in.Tags) != 1 || aws.ToString(in.Tags[0].Key) != "Name" || aws.ToString(in.Tags[0].Value) != "web-1":
		t.Fatalf("tags %+v", in.Tags)
	case in.Placement == nil || aws.ToString(in.Placement.AvailabilityZone) != "us-east-1a":
		t.Fatalf("placement %+v", in.Placement)
	}
	if !ec2simIDPattern(id) {
		t.Fatalf("id %q is not i- + 17 hex", id)
	}
}

func filterOf(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

func idsOf(ins []types.Instance) []string {
	var out []string
	for _, in := range ins {
		out = append(out, aws.ToString(in.InstanceId))
	}
	return out
}

func ec2simIDPattern(id string) bool {
	if len(id) != 19 || id[:2] != "i-" {
		return false
	}
	for _, c := range id[2:] {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}
