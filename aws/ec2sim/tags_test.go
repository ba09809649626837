package ec2sim_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// tagsOf returns the simulator's tags of id.
func tagsOf(t *testing.T, h *harness, id string) []ec2sim.Tag {
	t.Helper()
	for _, in := range h.sim.Instances() {
		if in.ID == id {
			return in.Tags
		}
	}
	t.Fatalf("instance %s not found", id)
	return nil
}

func TestCreateTagsBatchedAcrossInstances(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 3, "", tag("env", "dev"))
	_, err := h.client.CreateTags(context.Background(), &ec2.CreateTagsInput{
		Resources: ids[:2], Tags: []types.Tag{tag("env", "prod"), tag("team", "core")},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []ec2sim.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "core"}}
	for _, id := range ids[:2] {
		if got := tagsOf(t, h, id); !slices.Equal(got, want) {
			t.Fatalf("%s tags %v, want %v", id, got, want)
		}
	}
	if got := tagsOf(t, h, ids[2]); !slices.Equal(got, []ec2sim.Tag{{Key: "env", Value: "dev"}}) {
		t.Fatalf("untouched instance has %v", got)
	}
	got := idsOf(h.describeAll(t, &ec2.DescribeInstancesInput{Filters: []types.Filter{filterOf("tag:team", "core")}}))
	if !slices.Equal(got, ids[:2]) {
		t.Fatalf("tag:team=core finds %v", got)
	}
}

func TestCreateTagsIsAllOrNothing(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 1, "")
	ctx := context.Background()
	_, err := h.client.CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{ids[0], "i-0123456789abcdef0"}, Tags: []types.Tag{tag("a", "b")},
	})
	wantCode(t, err, "InvalidInstanceID.NotFound")
	if got := tagsOf(t, h, ids[0]); len(got) != 0 {
		t.Fatalf("failed call tagged %v", got)
	}
	_, err = h.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: []types.Tag{tag("aws:x", "b")}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = h.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"vpc-12345678"}, Tags: []types.Tag{tag("a", "b")}})
	wantCode(t, err, "InvalidID")
}

func TestCreateTagsLimits(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 1001, "", manyTags(49)...)
	ctx := context.Background()
	_, err := h.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids, Tags: []types.Tag{tag("a", "b")}})
	wantCode(t, err, "InvalidParameterValue") // 1001 resources
	_, err = h.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids[:1000], Tags: []types.Tag{tag("k0", "overwrite"), tag("new", "1")}})
	if err != nil {
		t.Fatalf("50 tags in all must be accepted: %v", err)
	}
	_, err = h.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: ids[:1], Tags: []types.Tag{tag("one-too-many", "1")}})
	wantCode(t, err, "TagLimitExceeded")
}

func TestDeleteTags(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 2, "", tag("a", "1"), tag("b", "2"), tag("c", "3"), tag("ovi:blessed", "true"))
	ctx := context.Background()
	del := func(resources []string, tags ...types.Tag) {
		t.Helper()
		if _, err := h.client.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: resources, Tags: tags}); err != nil {
			t.Fatal(err)
		}
	}
	del(ids, tag("a", "wrong-value"))         // value given, does not match: kept
	del(ids, types.Tag{Key: aws.String("b")}) // no value: removed whatever it is
	del(ids[:1], tag("c", "3"))               // matching value: removed
	want := []ec2sim.Tag{{Key: "a", Value: "1"}, {Key: "ovi:blessed", Value: "true"}}
	if got := tagsOf(t, h, ids[0]); !slices.Equal(got, want) {
		t.Fatalf("tags %v, want %v", got, want)
	}
	del(ids[1:]) // no tags at all: every tag goes
	if got := tagsOf(t, h, ids[1]); len(got) != 0 {
		t.Fatalf("tags %v, want none", got)
	}
}

func TestTagsOnManyInstancesInOneCall(t *testing.T) {
	h := newHarness(t, quietOptions())
	ids := h.run(t, 1000, "")
	h.sim.ResetCounts()
	_, err := h.client.CreateTags(context.Background(), &ec2.CreateTagsInput{Resources: ids, Tags: []types.Tag{tag("batch", "yes")}})
	if err != nil {
		t.Fatal(err)
	}
	if n := h.sim.Counts()["CreateTags"]; n != 1 {
		t.Fatalf("CreateTags calls = %d", n)
	}
	got := h.describeAll(t, &ec2.DescribeInstancesInput{Filters: []types.Filter{filterOf("tag:batch", "yes")}})
	if len(got) != 1000 {
		t.Fatalf("%d tagged, want 1000", len(got))
	}
}
