package ec2sim_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

func TestRunInstancesLaunchesMaxCountWithTags(t *testing.T) {
	h := newHarness(t, quietOptions())
	out, err := h.client.RunInstances(context.Background(), runInput(3, "", tag("ovi:managed", "true"), tag("app", "web")))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 3 || aws.ToString(out.ReservationId) == "" || aws.ToString(out.OwnerId) != "123456789012" {
		t.Fatalf("reservation %s owner %s with %d instances", aws.ToString(out.ReservationId), aws.ToString(out.OwnerId), len(out.Instances))
	}
	for i, in := range out.Instances {
		if in.State.Name != types.InstanceStateNamePending || aws.ToInt32(in.AmiLaunchIndex) != int32(i) {
			t.Fatalf("instance %d: state %s launch index %d", i, in.State.Name, aws.ToInt32(in.AmiLaunchIndex))
		}
		if len(in.Tags) != 2 {
			t.Fatalf("instance %d tags %+v", i, in.Tags)
		}
	}
	sim := h.sim.Instances()
	if len(sim) != 3 || sim[0].Tags[0] != (ec2sim.Tag{Key: "app", Value: "web"}) {
		t.Fatalf("simulator holds %+v", sim)
	}
}

func TestRunInstancesClientTokenIsIdempotent(t *testing.T) {
	h := newHarness(t, quietOptions())
	first := h.run(t, 4, "decision-42", tag("ovi:decision", "42"))
	h.clock.Advance(11 * time.Second) // now running
	again := h.run(t, 4, "decision-42", tag("ovi:decision", "42"))
	if !slices.Equal(first, again) {
		t.Fatalf("retry returned %v, want the original %v", again, first)
	}
	if n := len(h.sim.Instances()); n != 4 {
		t.Fatalf("simulator holds %d instances after the retry, want 4", n)
	}
	if got := h.stateOf(t, again[0]); got != types.InstanceStateNameRunning {
		t.Fatalf("state %s, want running", got)
	}

	_, err := h.client.RunInstances(context.Background(), runInput(5, "decision-42", tag("ovi:decision", "42")))
	wantCode(t, err, "IdempotentParameterMismatch")
	_, err = h.client.RunInstances(context.Background(), runInput(4, "decision-42", tag("ovi:decision", "43")))
	wantCode(t, err, "IdempotentParameterMismatch")
	if n := len(h.sim.Instances()); n != 4 {
		t.Fatalf("simulator holds %d instances after mismatches, want 4", n)
	}
	other := h.run(t, 4, "decision-43", tag("ovi:decision", "42"))
	if slices.Contains(other, first[0]) || len(h.sim.Instances()) != 8 {
		t.Fatalf("a new token must launch new instances")
	}
}

func TestRunInstancesIgnoreClientTokenKnob(t *testing.T) {
	h := newHarness(t, quietOptions())
	h.sim.SetIgnoreClientToken(true)
	a := h.run(t, 2, "same")
	b := h.run(t, 2, "same")
	if slices.Equal(a, b) || len(h.sim.Instances()) != 4 {
		t.Fatalf("with ClientToken ignored both calls must launch: %v %v", a, b)
	}
}

func TestRunInstancesIdsAreReproducibleFromSeed(t *testing.T) {
	a := newHarness(t, quietOptions()).run(t, 3, "")
	b := newHarness(t, quietOptions()).run(t, 3, "")
	opts := quietOptions()
	opts.Seed = 2
	c := newHarness(t, opts).run(t, 3, "")
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Fatalf("seed 1: %v and %v; seed 2: %v", a, b, c)
	}
}

func TestRunInstancesCapacity(t *testing.T) {
	h := newHarness(t, quietOptions())
	h.sim.SetLaunchCapacity(3)
	in := runInput(5, "")
	in.MinCount = aws.Int32(2)
	out, err := h.client.RunInstances(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Instances) != 3 {
		t.Fatalf("launched %d, want the capacity 3", len(out.Instances))
	}
	in.MinCount = aws.Int32(4)
	in.ClientToken = nil // the SDK filled in a token on the first call
	_, err = h.client.RunInstances(context.Background(), in)
	wantCode(t, err, "InsufficientInstanceCapacity")
}

func TestRunInstancesValidation(t *testing.T) {
	h := newHarness(t, quietOptions())
	mod := func(f func(*ec2.RunInstancesInput)) *ec2.RunInstancesInput {
		in := runInput(1, "")
		f(in)
		return in
	}
	cases := []struct {
		name string
		in   *ec2.RunInstancesInput
		code string
	}{
		{"unknown image", mod(func(in *ec2.RunInstancesInput) { in.ImageId = aws.String("ami-0123456789abcdef0") }), "InvalidAMIID.NotFound"},
		{"malformed image", mod(func(in *ec2.RunInstancesInput) { in.ImageId = aws.String("image-1") }), "InvalidAMIID.Malformed"},
		{"max below min", mod(func(in *ec2.RunInstancesInput) { in.MaxCount = aws.Int32(0) }), "InvalidParameterValue"},
		{"zero min", mod(func(in *ec2.RunInstancesInput) { in.MinCount = aws.Int32(0) }), "InvalidParameterValue"},
		{"bad type", mod(func(in *ec2.RunInstancesInput) { in.InstanceType = "huge" }), "InvalidParameterValue"},
		{"long token", mod(func(in *ec2.RunInstancesInput) { in.ClientToken = aws.String(strings.Repeat("x", 65)) }), "InvalidParameterValue"},
		{"aws: tag", runInput(1, "", tag("aws:owner", "me")), "InvalidParameterValue"},
		{"long tag key", runInput(1, "", tag(strings.Repeat("k", 129), "v")), "InvalidParameterValue"},
		{"51 tags", runInput(1, "", manyTags(51)...), "TagLimitExceeded"},
		{"bad resource type", mod(func(in *ec2.RunInstancesInput) {
			in.TagSpecifications = []types.TagSpecification{{ResourceType: "bucket", Tags: []types.Tag{tag("a", "b")}}}
		}), "InvalidParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.client.RunInstances(context.Background(), c.in)
			wantCode(t, err, c.code)
		})
	}
	if n := len(h.sim.Instances()); n != 0 {
		t.Fatalf("rejected calls launched %d instances", n)
	}
}

func manyTags(n int) []types.Tag {
	tags := make([]types.Tag, n)
	for i := range tags {
		tags[i] = tag(fmt.Sprintf("k%d", i), "v")
	}
	return tags
}

func TestClientTokenOutlivesTheInstances(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 2, "decision-7")
	h.terminate(t, ids...)
	h.clock.Advance(2 * time.Hour) // terminated and forgotten
	if n := len(h.sim.Instances()); n != 0 {
		t.Fatalf("%d instances left", n)
	}
	out, err := h.client.RunInstances(context.Background(), runInput(2, "decision-7"))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{aws.ToString(out.Instances[0].InstanceId), aws.ToString(out.Instances[1].InstanceId)}
	if !slices.Equal(got, ids) || out.Instances[0].State.Name != types.InstanceStateNameTerminated {
		t.Fatalf("replay returned %v in state %s, want %v terminated", got, out.Instances[0].State.Name, ids)
	}
	if n := len(h.sim.Instances()); n != 0 {
		t.Fatalf("replay launched %d instances", n)
	}
}
