package reconcile

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// handMade is an instance someone launched by hand that matches web.
func handMade(id string, extra ...string) wal.Resource {
	return bare(inst(id, "", "t3.micro", 1), append([]string{"Name", "legacy"}, extra...)...)
}

// adoptRig is a rig whose configuration is in force (one cycle ran: web's
// two members launched) and whose cloud holds two hand-made instances.
func adoptRig(t *testing.T) (*rig, *Engine) {
	t.Helper()
	r := newRig(t, webYAML)
	e := r.engine()
	r.run(e, Request{})
	bigger, err := ParseConfig("infrastructure.yaml", []byte(strings.Replace(webYAML, "count: 2", "count: 3", 1)))
	if err != nil {
		t.Fatal(err)
	}
	cfg := wal.Record{Kind: wal.KindConfigApplied, Time: r.clock.now(), Config: &bigger}
	if _, err := r.log.Propose(context.Background(), []wal.Record{cfg}); err != nil {
		t.Fatal(err)
	}
	r.cfg = bigger
	r.cloud.add(handMade("i-hand1", "team", "payments"), handMade("i-hand2"))
	return r, e
}

func adoptWeb(ids ...string) AdoptSelection { return AdoptSelection{Into: "web", IDs: ids} }

// TestAdoptRecordsDecidedExecutingExecuted: an adoption records its
// decision, the intent and the outcome per resource, tags the resource
// with exactly Ovi's management tags, and the next cycle counts it as a
// member of web in sync (a tag update aside), launching nothing.
func TestAdoptRecordsDecidedExecutingExecuted(t *testing.T) {
	r, e := adoptRig(t)
	before := r.log.len()
	rep, err := e.Adopt(context.Background(), AdoptRequest{Selection: adoptWeb("i-hand2")})
	if err != nil {
		t.Fatal(err)
	}
	recs := r.log.since(before)
	wantKinds(t, recs[len(recs)-3:], "decided:adopt", "executing:adopt", "executed:adopt")
	d := recs[len(recs)-3]
	if d.Decided.Group != "web" || d.Decided.SetTags[wal.TagDecision] != d.DecisionID || len(d.Decided.SetTags) != 3 {
		t.Errorf("decided %+v", d.Decided)
	}
	if rep.Decisions[0].Status != StatusExecuted || recs[len(recs)-1].Executed.Message != "Adopted into web" {
		t.Errorf("report %+v, executed %+v", rep.Decisions[0], recs[len(recs)-1].Executed)
	}
	tags := r.cloud.instances["i-hand2"].Tags
	if tags[wal.TagManaged] != "true" || tags[wal.TagGroup] != "web" || tags[wal.TagDecision] != d.DecisionID || tags["Name"] != "legacy" {
		t.Errorf("tags after adoption %v", tags)
	}
	for _, rec := range recs {
		if rec.Kind == wal.KindCycleSummary {
			t.Errorf("an adoption recorded a cycle summary: %+v", rec.Summary)
		}
	}
	next := r.run(e, Request{})
	if next.Counts.Missing != 0 || r.cloud.count("create") != 1 {
		t.Errorf("after adopting, web is short %d (creates %d)", next.Counts.Missing, r.cloud.count("create"))
	}
	if got := findDecision(next, "i-hand2"); got.Action.Action != wal.ActionUpdateTags {
		t.Errorf("next cycle on the adopted instance: %+v (want its tags updated to web's)", got.Action)
	}
}

// TestAdoptDryRunRecordsNothing: a dry run shows the decisions flagged
// dry_run and writes nothing, to the log or the cloud.
func TestAdoptDryRunRecordsNothing(t *testing.T) {
	r, e := adoptRig(t)
	before := r.log.len()
	var shown []wal.Record
	rep, err := e.Adopt(context.Background(), AdoptRequest{DryRun: true, Selection: AdoptSelection{Into: "web", Matching: true},
		Progress: func(rec wal.Record) { shown = append(shown, rec) }})
	if err != nil {
		t.Fatal(err)
	}
	if r.log.len() != before || r.cloud.count("tags") != 0 {
		t.Fatalf("dry run wrote %d records and made %d tag calls", r.log.len()-before, r.cloud.count("tags"))
	}
	wantKinds(t, decidedOnly(shown), "decided:adopt", "decided:refuse")
	if !shown[len(shown)-1].Decided.DryRun || !strings.Contains(rep.Decisions[1].Action.Reason, "would exceed the count") {
		t.Errorf("dry run decisions %+v", rep.Decisions)
	}
}

func decidedOnly(recs []wal.Record) []wal.Record {
	var out []wal.Record
	for _, r := range recs {
		if r.Kind == wal.KindDecided {
			out = append(out, r)
		}
	}
	return out
}

// TestAdoptBadInputRecordsNothing: an unknown id fails before anything is
// written, observations included.
func TestAdoptBadInputRecordsNothing(t *testing.T) {
	r, e := adoptRig(t)
	before := r.log.len()
	_, err := e.Adopt(context.Background(), AdoptRequest{Selection: adoptWeb("i-nope")})
	if !errors.Is(err, ErrAdoptInput) || r.log.len() != before {
		t.Fatalf("err %v, %d records written", err, r.log.len()-before)
	}
}

// TestAdoptSurvivesFailover: a leader that dies after the tags were
// written but before the outcome was recorded leaves an open intent; the
// next leader sees its ovi:decision on the resource and records the
// adoption executed (recovered) without tagging again. One that dies
// before the call has its adoption retried with the same tags.
func TestAdoptSurvivesFailover(t *testing.T) {
	for _, c := range []struct {
		at      crashPoint
		message string
		calls   int
	}{
		{crashAfterCall, "Recovered: already adopted into web", 1},
		{crashAfterIntent, "Adopted into web", 1},
	} {
		r, e := adoptRig(t)
		r.cloud.crashAt, r.cloud.crashOn = c.at, "tags"
		rep, _ := e.Adopt(context.Background(), AdoptRequest{Selection: adoptWeb("i-hand2")})
		if len(rep.Decisions) != 1 || rep.Decisions[0].Status != StatusUnknown {
			t.Fatalf("crash at %d: report %+v, want the outcome unknown", c.at, rep.Decisions)
		}
		next := r.restart()
		if _, err := next.Recover(context.Background()); err != nil {
			t.Fatal(err)
		}
		last := r.log.all()[r.log.len()-1]
		if last.Executed == nil || last.Executed.Action != wal.ActionAdopt || last.Executed.Message != c.message {
			t.Errorf("crash at %d: last record %s", c.at, last.Describe())
		}
		if n := r.cloud.count("tags"); n != c.calls {
			t.Errorf("crash at %d: %d tag calls, want %d", c.at, n, c.calls)
		}
		if open, _ := r.log.OpenIntents(context.Background()); len(open) != 0 {
			t.Errorf("crash at %d: %d intents still open", c.at, len(open))
		}
	}
}

// TestAdoptWithAFilePutsItInForceFirst: adopting into a file's
// configuration records it, then adopts, so the first cycle under it
// creates only what nothing matched; a dry run records neither.
func TestAdoptWithAFilePutsItInForceFirst(t *testing.T) {
	r := newRig(t, webYAML)
	e := r.engine()
	r.cloud.add(handMade("i-hand1"))
	if _, err := e.Adopt(context.Background(), AdoptRequest{DryRun: true, Config: &r.cfg, Selection: AdoptSelection{Into: "web", Matching: true}}); err != nil {
		t.Fatal(err)
	}
	if r.log.len() != 0 {
		t.Fatalf("a dry run recorded %d records", r.log.len())
	}
	if _, err := e.Adopt(context.Background(), AdoptRequest{Config: &r.cfg, Selection: AdoptSelection{Into: "web", Matching: true}}); err != nil {
		t.Fatal(err)
	}
	recs := r.log.all()
	if recs[0].Kind != wal.KindConfigApplied || recs[len(recs)-1].Executed == nil || recs[len(recs)-1].Executed.Action != wal.ActionAdopt {
		t.Fatalf("records: %v", kinds(recs))
	}
	rep := r.run(e, Request{})
	web := 0
	for _, res := range r.cloud.instances {
		if res.Tags[wal.TagGroup] == "web" {
			web++
		}
	}
	if rep.Counts.Missing != 1 || web != 2 {
		t.Errorf("after adopting one of two, the cycle created %d (web has %d)", rep.Counts.Missing, web)
	}
}

// TestAdoptCountsLaunchesInFlight: web's two launches are executed but
// not visible yet (EC2's eventual consistency); an adoption --matching web
// planned then counts them as the next cycle would, so it adopts none of
// the two hand-made matches instead of overfilling web to four.
func TestAdoptCountsLaunchesInFlight(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.hideNew = 5
	e := r.engine()
	r.run(e, Request{})
	if got := r.cloud.count("create"); got != 1 {
		t.Fatalf("%d creates, want the group's one", got)
	}
	r.cloud.add(handMade("i-hand1"), handMade("i-hand2"))
	rep, err := e.Adopt(context.Background(), AdoptRequest{Selection: AdoptSelection{Into: "web", Matching: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rep.Decisions {
		if d.Action.Action == wal.ActionAdopt || !strings.Contains(d.Action.Reason, "2 launched not visible yet") {
			t.Errorf("%s: %s %q, want refused for the launches in flight", d.Action.ResourceID, d.Action.Action, d.Action.Reason)
		}
	}
	if len(rep.Decisions) != 2 {
		t.Fatalf("%d decisions, want one per hand-made instance: %+v", len(rep.Decisions), rep.Decisions)
	}
}
