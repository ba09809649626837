package aws

import (
	"context"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// terminating reports whether the simulator has the instance on its way out.
func terminating(in ec2sim.Instance) bool {
	return in.State == ec2sim.StateShuttingDown || in.State == ec2sim.StateTerminated
}

func TestDelete1500In2Calls(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := append(e.create("web", 1000, nil), e.create("web", 500, nil)...)
	e.sim.ResetCounts()

	out, err := e.p.Delete(context.Background(), ids)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if len(out) != len(ids) {
		t.Fatalf("%d outcomes for %d ids", len(out), len(ids))
	}
	for i, o := range out {
		if o.ID != ids[i] || o.Err != nil {
			t.Fatalf("outcome %d = %+v", i, o)
		}
		if !terminating(e.simInstance(o.ID)) {
			t.Fatalf("instance %s not terminated", o.ID)
		}
	}
	if n := e.calls("TerminateInstances"); n != 2 {
		t.Fatalf("TerminateInstances calls = %d, want 2", n)
	}
	if n := e.calls("DescribeInstances"); n != 2 {
		t.Fatalf("DescribeInstances (re-check) calls = %d, want 2", n)
	}
}

func TestDeleteRefusesInstanceBlessedSinceTheDecision(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := e.create("web", 3, nil)
	// Someone blesses one instance after Ovi decided to delete all three.
	_, err := e.raw.CreateTags(context.Background(), &ec2.CreateTagsInput{
		Resources: []string{ids[1]},
		Tags:      []types.Tag{{Key: awssdk.String(wal.TagBlessed), Value: awssdk.String("true")}},
	})
	if err != nil {
		t.Fatalf("bless: %v", err)
	}
	out, err := e.p.Delete(context.Background(), ids)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantCode(t, out[1].Err, CodeBlessed, true)
	if terminating(e.simInstance(ids[1])) {
		t.Fatal("blessed instance was terminated")
	}
	for _, i := range []int{0, 2} {
		if out[i].Err != nil || !terminating(e.simInstance(ids[i])) {
			t.Fatalf("instance %s: outcome %v, state %s", ids[i], out[i].Err, e.simInstance(ids[i]).State)
		}
	}
}

func TestDeleteReportsPartialFailurePerInstance(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := e.create("web", 8, nil)
	e.sim.FailInstance("TerminateInstances", ids[5], ec2sim.Fault{Code: "OperationNotPermitted"})

	out, err := e.p.Delete(context.Background(), ids)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for i, o := range out {
		if i == 5 {
			wantCode(t, o.Err, "OperationNotPermitted", true)
			if terminating(e.simInstance(o.ID)) {
				t.Fatal("failed instance terminated")
			}
			continue
		}
		if o.Err != nil || !terminating(e.simInstance(o.ID)) {
			t.Fatalf("instance %s: %v", o.ID, o.Err)
		}
	}
	// The simulator names the failing instance: one failed call, one for the rest.
	if n := e.calls("TerminateInstances"); n != 2 {
		t.Fatalf("TerminateInstances calls = %d, want 2", n)
	}
}

func TestDeleteIsolatesUnknownInstance(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := e.create("web", 4, nil)
	ghost := "i-0123456789abcdef0"
	all := append([]string{ghost}, ids...)

	out, err := e.p.Delete(context.Background(), all)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantCode(t, out[0].Err, CodeNotFound, false)
	for _, o := range out[1:] {
		if o.Err != nil || !terminating(e.simInstance(o.ID)) {
			t.Fatalf("instance %s: %v", o.ID, o.Err)
		}
	}
	if n := e.calls("TerminateInstances"); n != 1 {
		t.Fatalf("TerminateInstances calls = %d, want 1", n)
	}
}

func TestDeleteOnlyUnknownInstancesTerminatesNothing(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{Consistency: Backoff{Initial: time.Second, Max: time.Second, Total: 3 * time.Second}})
	ghosts := []string{"i-0123456789abcdef0", "i-0123456789abcdef1", "i-0123456789abcdef2"}
	out, err := e.p.Delete(context.Background(), ghosts)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, o := range out {
		wantCode(t, o.Err, CodeNotFound, false)
	}
	// One describe names all three, then one retry per second of the window.
	if n, tc := e.calls("DescribeInstances"), e.calls("TerminateInstances"); n != 4 || tc != 0 {
		t.Fatalf("DescribeInstances %d, TerminateInstances %d calls; want 4 and 0", n, tc)
	}
}

func TestDeleteRejectsMalformedIDs(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	for _, ids := range [][]string{{""}, {"web-1"}, {"i-"}, {"i-abc", "vol-123"}} {
		if _, err := e.p.Delete(context.Background(), ids); err == nil {
			t.Fatalf("Delete(%q) succeeded", ids)
		}
	}
	if n := totalCalls(e); n != 0 {
		t.Fatalf("calls made: %v", e.sim.Counts())
	}
	out, err := e.p.Delete(context.Background(), nil)
	if err != nil || len(out) != 0 {
		t.Fatalf("Delete(nil) = %v, %v", out, err)
	}
}

func TestOutcomesKeepInputOrderAndDeduplicate(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := e.create("web", 2, nil)
	out, err := e.p.Delete(context.Background(), []string{ids[1], ids[0], ids[1]})
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	want := []reconcile.Outcome{{ID: ids[1]}, {ID: ids[0]}}
	if len(out) != 2 || out[0] != want[0] || out[1] != want[1] {
		t.Fatalf("outcomes %+v, want %+v", out, want)
	}
}
