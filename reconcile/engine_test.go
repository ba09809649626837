package reconcile

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// tick is a deterministic clock: every reading is 1 ms after the last.
type tick struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tick) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// rig is one fake cluster: a log with its state, a cloud, a crash switch.
type rig struct {
	t     *testing.T
	log   *fakeLog
	cloud *fakeProvider
	sw    *crashSwitch
	clock *tick
	cfg   wal.ConfigApplied
	seeds uint64 // each engine gets its own random source, as separate processes would
}

func newRig(t *testing.T, yaml string) *rig {
	t.Helper()
	cfg, err := ParseConfig("infrastructure.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	sw := &crashSwitch{}
	log := newFakeLog()
	log.crash = sw
	return &rig{t: t, log: log, cloud: newFakeProvider(sw), sw: sw,
		clock: &tick{t: time.Date(2025, 11, 25, 10, 30, 0, 0, time.UTC)}, cfg: cfg}
}

// engine is a (new) leader's engine over the rig's log and cloud.
func (r *rig) engine(mod ...func(*Options)) *Engine {
	r.t.Helper()
	r.seeds++
	opts := Options{Provider: r.cloud, Log: r.log, State: r.log, Node: "n1", Now: r.clock.now,
		Rand: rand.New(rand.NewPCG(r.seeds, 2))}
	for _, m := range mod {
		m(&opts)
	}
	e, err := New(opts)
	if err != nil {
		r.t.Fatal(err)
	}
	return e
}

// restart simulates a failover: the crashed process is gone, a new leader
// with a fresh engine (empty memory) takes over the same log and cloud.
func (r *rig) restart() *Engine {
	r.sw.down.Store(false)
	r.cloud.mu.Lock()
	r.cloud.crashAt = crashNone
	r.cloud.mu.Unlock()
	return r.engine()
}

func (r *rig) run(e *Engine, req Request) Report {
	r.t.Helper()
	if req.Config == nil && !req.DryRun {
		req.Config = &r.cfg
	}
	rep, err := e.Run(context.Background(), req)
	if err != nil {
		r.t.Fatalf("run: %v", err)
	}
	return rep
}

func wantKinds(t *testing.T, recs []wal.Record, want ...string) {
	t.Helper()
	if got := kinds(recs); !reflect.DeepEqual(got, want) {
		t.Fatalf("records:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

const webYAML = `version: v1
provider: aws
region: us-east-1
policy: {delete_unwanted: true, max_deletions_per_run: 5}
resources:
  - {name: web, type: ec2, count: 2, size: t3.micro, tags: {team: a}}
`

func TestRunFullCycleRecordsLifecycleInOrder(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(unmanaged("i-legacy"))
	var streamed []wal.Record
	rep := r.run(r.engine(), Request{Progress: func(rec wal.Record) { streamed = append(streamed, rec) }})
	recs := r.log.all()
	wantKinds(t, recs, "config", "observed", "decided:create", "decided:report", "executing:create",
		"executed:create", "summary")
	if !reflect.DeepEqual(kinds(streamed), kinds(recs)) {
		t.Errorf("progress saw %v", kinds(streamed))
	}
	decided, executing, executed := recs[2], recs[4], recs[5]
	if decided.DecisionID == "" || executing.DecisionID != decided.DecisionID || executed.DecisionID != decided.DecisionID {
		t.Fatalf("decision ids not linked: %q %q %q", decided.DecisionID, executing.DecisionID, executed.DecisionID)
	}
	if !strings.HasPrefix(decided.DecisionID, rep.CycleID+"-") || decided.CycleID != rep.CycleID {
		t.Errorf("decision %q / cycle %q, report cycle %q", decided.DecisionID, decided.CycleID, rep.CycleID)
	}
	if decided.Decided.Reason != "Create: 2 instances missing from group web" || decided.Decided.DryRun {
		t.Errorf("decided = %+v", decided.Decided)
	}
	if executing.Executing.ClientToken != ClientToken(decided.DecisionID) || executing.Executing.Attempt != 1 {
		t.Errorf("executing = %+v", executing.Executing)
	}
	if len(executed.Executed.ResourceIDs) != 2 || executed.Executed.Message != "Launched 2 instances" {
		t.Errorf("executed = %+v", executed.Executed)
	}
	if got := r.cloud.byGroup(); got["web"] != 2 {
		t.Fatalf("cloud = %v", got)
	}
	req := r.cloud.creates[0]
	if req.Tags[wal.TagDecision] != decided.DecisionID || req.Tags[wal.TagManaged] != "true" ||
		req.Tags[wal.TagGroup] != "web" || req.Tags["team"] != "a" || req.ImageID != "ami-00000000000000001" {
		t.Errorf("create request = %+v", req)
	}
	sum := recs[6].Summary
	if sum.Observed != 1 || sum.Missing != 2 || sum.Unmanaged != 1 || sum.Actions != 1 || sum.Failures != 0 {
		t.Errorf("summary = %+v", sum)
	}
	if rep.Records != len(recs) || !rep.ConfigStored || rep.Decisions[0].Status != StatusExecuted {
		t.Errorf("report = %+v", rep)
	}
}

func TestRunIdleCycleRecordsOnlySummary(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(unmanaged("i-legacy"))
	e := r.engine()
	r.run(e, Request{})
	mark := r.log.len()
	r.run(e, Request{}) // sees its two new instances
	wantKinds(t, r.log.since(mark), "observed", "observed", "summary")
	mark = r.log.len()
	rep := r.run(e, Request{})
	wantKinds(t, r.log.since(mark), "summary")
	if len(rep.Decisions) != 1 || rep.Decisions[0].Recorded || rep.Decisions[0].Action.Action != wal.ActionReport {
		t.Errorf("idle report = %+v", rep.Decisions)
	}
	if r.cloud.count("create") != 1 {
		t.Errorf("creates = %d", r.cloud.count("create"))
	}
}

func TestDryRunExecutesNothing(t *testing.T) {
	r := newRig(t, webYAML)
	orphan := inst("i-old", "gone", "t3.micro", 1)
	r.cloud.add(orphan, unmanaged("i-legacy"))
	e := r.engine()
	var recs []wal.Record
	rep, err := e.Run(context.Background(), Request{DryRun: true, Config: &r.cfg, Progress: func(rec wal.Record) { recs = append(recs, rec) }})
	if err != nil {
		t.Fatal(err)
	}
	if logged := r.log.all(); len(logged) != 0 {
		t.Fatalf("a dry run recorded %d records, want none (it needs no write access)", len(logged))
	}
	wantKinds(t, recs, "observed", "observed", "decided:create", "decided:hold", "decided:report", "summary")
	for _, rec := range recs {
		if rec.Decided != nil && !rec.Decided.DryRun {
			t.Errorf("decision without dry_run: %+v", rec.Decided)
		}
	}
	if !recs[5].Summary.DryRun || !rep.DryRun || rep.ConfigStored {
		t.Errorf("summary %+v report %+v", recs[5].Summary, rep)
	}
	if n := r.cloud.count("create") + r.cloud.count("delete"); n != 0 {
		t.Errorf("dry run made %d mutating calls", n)
	}
	if cfg, _ := r.log.Config(context.Background()); cfg != nil {
		t.Error("dry run stored the configuration")
	}
	if open, _ := r.log.OpenIntents(context.Background()); len(open) != 0 {
		t.Errorf("dry run left open decisions: %d", len(open))
	}
	for _, d := range rep.Decisions {
		if d.Status != StatusPlanned {
			t.Errorf("dry-run decision %s status %s", d.DecisionID, d.Status)
		}
	}
	// The dry run did not count as the first sighting of the orphan.
	real := r.run(e, Request{})
	if d := findDecision(real, "i-old"); d.Action.Action != wal.ActionHold {
		t.Errorf("after a dry run the orphan got %+v", d.Action)
	}
}

func findDecision(rep Report, resourceID string) DecisionReport {
	for _, d := range rep.Decisions {
		if d.Action.ResourceID == resourceID {
			return d
		}
	}
	return DecisionReport{}
}

func TestRunRecordsConfigOnlyWhenItChanges(t *testing.T) {
	r := newRig(t, webYAML)
	e := r.engine()
	r.run(e, Request{})
	r.run(e, Request{})
	if n := countKind(r.log.all(), wal.KindConfigApplied); n != 1 {
		t.Fatalf("config records = %d, want 1", n)
	}
	changed, err := ParseConfig("infrastructure.yaml", []byte(strings.Replace(webYAML, "count: 2", "count: 3", 1)))
	if err != nil {
		t.Fatal(err)
	}
	rep := r.run(e, Request{Config: &changed})
	if n := countKind(r.log.all(), wal.KindConfigApplied); n != 2 || !rep.ConfigStored {
		t.Fatalf("config records = %d, want 2", n)
	}
	// The loop's cycles use the stored configuration.
	rep, err = e.Run(context.Background(), Request{})
	if err != nil || rep.ConfigDigest != changed.Digest {
		t.Fatalf("stored config not used: %v %q", err, rep.ConfigDigest)
	}
	if got := r.cloud.byGroup()["web"]; got != 3 {
		t.Errorf("web = %d, want 3", got)
	}
}

func countKind(recs []wal.Record, k wal.Kind) int {
	n := 0
	for _, r := range recs {
		if r.Kind == k {
			n++
		}
	}
	return n
}

func TestRunWithoutConfigurationFails(t *testing.T) {
	r := newRig(t, webYAML)
	_, err := r.engine().Run(context.Background(), Request{})
	if !errors.Is(err, ErrNoConfig) {
		t.Fatalf("err = %v", err)
	}
	if r.log.len() != 0 {
		t.Errorf("wrote %d records", r.log.len())
	}
}

func TestNewRequiresCollaborators(t *testing.T) {
	if _, err := New(Options{}); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("err = %v", err)
	}
}

// An explicit run (one with a Progress watcher, such as `ovi reconcile`)
// shows its caller every decision, but records an unchanged report only
// once per change of its reason, as the loop does.
func TestRequestedRunShowsUnchangedDecisionsWithoutRecordingThem(t *testing.T) {
	r := newRig(t, webYAML)
	r.cloud.add(unmanaged("i-legacy"))
	e := r.engine()
	r.run(e, Request{})
	r.run(e, Request{})
	before := len(r.log.all())
	var streamed []wal.Record
	rep := r.run(e, Request{Progress: func(rec wal.Record) { streamed = append(streamed, rec) }})
	if len(rep.Decisions) != 1 || rep.Decisions[0].Recorded {
		t.Fatalf("requested run report = %+v, want its one decision shown, not recorded again", rep.Decisions)
	}
	if added := r.log.all()[before:]; len(added) != 1 || added[0].Kind != wal.KindCycleSummary {
		t.Fatalf("the watched run recorded %d records, want only its summary: %+v", len(added), added)
	}
	kinds := make([]string, 0, len(streamed))
	for _, rec := range streamed {
		kinds = append(kinds, rec.Kind.String())
	}
	if strings.Join(kinds, ",") != "decided,summary" {
		t.Fatalf("streamed kinds = %v, want the report decision and the summary", kinds)
	}
}
