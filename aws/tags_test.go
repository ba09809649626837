package aws

import (
	"context"
	"testing"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/wal"
)

func TestUpdateTagsBatchesAcrossInstances(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := e.create("web", 1000, map[string]string{"old": "1", "keep": "1"})
	ids = append(ids, e.create("web", 1000, map[string]string{"old": "1", "keep": "1"})...)
	ids = append(ids, e.create("web", 500, map[string]string{"old": "1", "keep": "1"})...)
	e.sim.ResetCounts()

	out, err := e.p.UpdateTags(context.Background(), TagRequest{
		IDs:    ids,
		Set:    map[string]string{"env": "prod", "team": "core"},
		Remove: []string{"old"},
	})
	if err != nil {
		t.Fatalf("UpdateTags: %v", err)
	}
	for _, o := range out {
		if o.Err != nil {
			t.Fatalf("instance %s: %v", o.ID, o.Err)
		}
	}
	if c, d := e.calls("CreateTags"), e.calls("DeleteTags"); c != 3 || d != 3 {
		t.Fatalf("CreateTags %d, DeleteTags %d calls for 2500 instances, want 3 and 3", c, d)
	}
	for _, id := range []string{ids[0], ids[1500], ids[2499]} {
		in := e.simInstance(id)
		env, _ := simTag(in, "env")
		_, old := simTag(in, "old")
		_, keep := simTag(in, "keep")
		if env != "prod" || old || !keep {
			t.Fatalf("instance %s tags %v", id, in.Tags)
		}
	}
}

func TestUpdateTagsNeverRemovesBlessed(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := e.create("web", 2, map[string]string{wal.TagBlessed: "true", "old": "1"})
	e.sim.ResetCounts()

	// Removing only ovi:blessed is no change at all.
	out, err := e.p.UpdateTags(context.Background(), TagRequest{IDs: ids, Remove: []string{wal.TagBlessed}})
	if err != nil || out[0].Err != nil || out[1].Err != nil {
		t.Fatalf("UpdateTags: %v %+v", err, out)
	}
	if n := totalCalls(e); n != 0 {
		t.Fatalf("calls %v, want none", e.sim.Counts())
	}
	// Mixed with another key, only the other key goes.
	if _, err := e.p.UpdateTags(context.Background(), TagRequest{IDs: ids, Remove: []string{"old", wal.TagBlessed}}); err != nil {
		t.Fatalf("UpdateTags: %v", err)
	}
	for _, id := range ids {
		in := e.simInstance(id)
		blessed, _ := simTag(in, wal.TagBlessed)
		_, old := simTag(in, "old")
		if blessed != "true" || old {
			t.Fatalf("instance %s tags %v", id, in.Tags)
		}
	}
}

func TestUpdateTagsRefusesBadRequests(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := e.create("web", 1, nil)
	e.sim.ResetCounts()
	for name, req := range map[string]TagRequest{
		"unbless":        {IDs: ids, Set: map[string]string{wal.TagBlessed: "false"}},
		"reserved":       {IDs: ids, Set: map[string]string{"aws:cloudformation": "x"}},
		"set and remove": {IDs: ids, Set: map[string]string{"a": "1"}, Remove: []string{"a"}},
		"bad id":         {IDs: []string{"web-1"}, Set: map[string]string{"a": "1"}},
		"empty remove":   {IDs: ids, Remove: []string{""}},
	} {
		if _, err := e.p.UpdateTags(context.Background(), req); err == nil {
			t.Fatalf("%s: accepted", name)
		}
	}
	if n := totalCalls(e); n != 0 {
		t.Fatalf("calls %v, want none", e.sim.Counts())
	}
	// Blessing is allowed.
	out, err := e.p.UpdateTags(context.Background(), TagRequest{IDs: ids, Set: map[string]string{wal.TagBlessed: "true"}})
	if err != nil || out[0].Err != nil {
		t.Fatalf("bless: %v %+v", err, out)
	}
}

func TestUpdateTagsIsolatesFailingInstance(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	ids := e.create("web", 6, nil)
	e.sim.FailInstance("CreateTags", ids[2], ec2sim.Fault{Code: "IncorrectInstanceState"})
	out, err := e.p.UpdateTags(context.Background(), TagRequest{IDs: ids, Set: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatalf("UpdateTags: %v", err)
	}
	for i, o := range out {
		if i == 2 {
			wantCode(t, o.Err, "IncorrectInstanceState", false)
			continue
		}
		if o.Err != nil {
			t.Fatalf("instance %s: %v", o.ID, o.Err)
		}
		if v, _ := simTag(e.simInstance(o.ID), "a"); v != "1" {
			t.Fatalf("instance %s not tagged", o.ID)
		}
	}
}
