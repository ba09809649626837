package reconcile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// --- helpers ---------------------------------------------------------------

func testConfig(pol wal.Policy, groups ...wal.Group) wal.Config {
	return wal.Config{Version: "v1", Provider: "aws", Region: "us-east-1", Policy: pol, Groups: groups}
}

func webGroup(count int) wal.Group {
	return wal.Group{Name: "web", Type: "ec2", Count: count, Size: "t3.micro", Tags: map[string]string{"team": "a"}}
}

// inst is a managed, running instance of group launched at launch.
func inst(id, group, size string, launch int64, extra ...string) wal.Resource {
	tags := map[string]string{wal.TagManaged: "true", wal.TagGroup: group, "team": "a"}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(tags, extra[i])
			continue
		}
		tags[extra[i]] = extra[i+1]
	}
	// A blessed instance Ovi manages carries EC2's termination protection
	// (Guard); the tests of a missing guard clear it.
	return wal.Resource{ID: id, Kind: wal.ResourceInstance, State: "running", Tags: tags,
		Managed: true, Group: group, Instance: &wal.Instance{Size: size, LaunchTime: launch,
			TerminationProtection: tags[wal.TagBlessed] == "true"}}
}

func unmanaged(id string) wal.Resource {
	return wal.Resource{ID: id, Kind: wal.ResourceInstance, State: "running", Tags: map[string]string{"Name": "legacy"},
		Instance: &wal.Instance{Size: "m5.large"}}
}

// confirmed is a Memory in which every id was already seen unwanted once.
func confirmed(ids ...string) Memory {
	m := Memory{Unwanted: map[string]int{}}
	for _, id := range ids {
		m.Unwanted[id] = 1
	}
	return m
}

var deleteOn = wal.Policy{DeleteUnwanted: true, MaxDeletions: 5}

// brief renders actions as "action group/resource: reason" lines.
func brief(p Plan) []string {
	out := make([]string, 0, len(p.Actions))
	for _, a := range p.Actions {
		out = append(out, fmt.Sprintf("%s %s/%s: %s", a.Action.String(), a.Group, a.ResourceID, a.Reason))
	}
	return out
}

func wantActions(t *testing.T, p Plan, want ...string) {
	t.Helper()
	if got := brief(p); (len(got) > 0 || len(want) > 0) && !reflect.DeepEqual(got, want) {
		t.Fatalf("actions:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// --- the four drift kinds, alone ------------------------------------------

func TestDecideInSyncDoesNothing(t *testing.T) {
	obs := []wal.Resource{inst("i-1", "web", "t3.micro", 1), inst("i-2", "web", "t3.micro", 2)}
	p := Decide(testConfig(deleteOn, webGroup(2)), obs, Memory{})
	wantActions(t, p)
	if p.Counts != (Counts{Observed: 2, InSync: 2}) {
		t.Errorf("counts = %+v", p.Counts)
	}
}

func TestDecideMissingCreatesOncePerGroup(t *testing.T) {
	g := webGroup(3)
	g.Image = "ami-0123456789abcdef0"
	p := Decide(testConfig(deleteOn, g), []wal.Resource{inst("i-1", "web", "t3.micro", 1)}, Memory{})
	wantActions(t, p, "create web/: Create: 2 instances missing from group web")
	a := p.Actions[0]
	wantTags := map[string]string{"team": "a", wal.TagManaged: "true", wal.TagGroup: "web"}
	if a.Count != 2 || a.Size != "t3.micro" || a.ImageID != g.Image || a.Drift != wal.DriftMissing ||
		!reflect.DeepEqual(a.SetTags, wantTags) {
		t.Errorf("create = %+v", a)
	}
	if p.Counts.Missing != 2 || p.Counts.InSync != 1 {
		t.Errorf("counts = %+v", p.Counts)
	}
	one := Decide(testConfig(deleteOn, webGroup(1)), nil, Memory{})
	wantActions(t, one, "create web/: Create: 1 instance missing from group web")
}

func TestDecideUnwantedIsRecheckedThenDeleted(t *testing.T) {
	cfg := testConfig(deleteOn) // group "old" removed from the file
	obs := []wal.Resource{inst("i-9", "old", "t3.micro", 1)}
	first := Decide(cfg, obs, Memory{})
	wantActions(t, first, "hold old/i-9: Held: re-checking before delete (first seen unwanted)")
	if first.Memory.Unwanted["i-9"] != 1 || first.Counts.Unwanted != 1 {
		t.Fatalf("memory %+v counts %+v", first.Memory, first.Counts)
	}
	second := Decide(cfg, obs, first.Memory)
	wantActions(t, second, "delete old/i-9: Delete: Not in desired configuration")
	if second.Actions[0].Drift != wal.DriftUnwanted {
		t.Errorf("drift = %d", second.Actions[0].Drift)
	}
	// Not unwanted in between: the count starts over.
	third := Decide(testConfig(deleteOn, wal.Group{Name: "old", Type: "ec2", Count: 1, Size: "t3.micro",
		Tags: map[string]string{"team": "a"}}), obs, second.Memory)
	wantActions(t, third)
	wantActions(t, Decide(cfg, obs, third.Memory), "hold old/i-9: Held: re-checking before delete (first seen unwanted)")
}

func TestDecideDriftedTagsAndSize(t *testing.T) {
	obs := []wal.Resource{inst("i-1", "web", "t3.micro", 1, "team", "b", "owner", "x")}
	g := webGroup(1)
	g.Tags["env"] = "prod"
	p := Decide(testConfig(deleteOn, g), obs, Memory{})
	wantActions(t, p, "update-tags web/i-1: Update: tags differ (env: (unset) → prod, owner: x → (removed), team: b → a)")
	a := p.Actions[0]
	if !reflect.DeepEqual(a.SetTags, map[string]string{"env": "prod", "team": "a"}) ||
		!reflect.DeepEqual(a.RemoveTags, []string{"owner"}) {
		t.Errorf("set %v remove %v", a.SetTags, a.RemoveTags)
	}
	simple := Decide(testConfig(deleteOn, webGroup(1)), []wal.Resource{inst("i-1", "web", "t3.micro", 1, "team", "b")}, Memory{})
	wantActions(t, simple, "update-tags web/i-1: Update: tags differ (team: b → a)")

	small := []wal.Resource{inst("i-2", "web", "t3.small", 1)}
	wantActions(t, Decide(testConfig(wal.Policy{AllowDisruptive: true}, webGroup(1)), small, Memory{}),
		"resize web/i-2: Resize: size differs (t3.small → t3.micro)")
	p = Decide(testConfig(wal.Policy{}, webGroup(1)), small, Memory{})
	wantActions(t, p, "refuse web/i-2: Refused: size differs (t3.small → t3.micro), but policy allow_disruptive is false")
	if p.Counts.Drifted != 1 {
		t.Errorf("counts = %+v", p.Counts)
	}
}

func TestDecideUnmanagedIsOnlyReported(t *testing.T) {
	blessedStranger := unmanaged("i-b")
	blessedStranger.Tags[wal.TagBlessed] = "true"
	p := Decide(testConfig(wal.Policy{DeleteUnwanted: true, MaxDeletions: 100, AllowDisruptive: true}),
		[]wal.Resource{unmanaged("i-u"), blessedStranger}, confirmed("i-u", "i-b"))
	wantActions(t, p,
		"report /i-b: Report: not managed by Ovi (no ovi:managed tag); never touched",
		"report /i-u: Report: not managed by Ovi (no ovi:managed tag); never touched")
	if p.Counts.Unmanaged != 2 || p.Actions[0].Drift != wal.DriftUnmanaged {
		t.Errorf("counts = %+v", p.Counts)
	}
}

// --- mixed, safety and policy ---------------------------------------------

func TestDecideMixed(t *testing.T) {
	cfg := testConfig(wal.Policy{DeleteUnwanted: true, MaxDeletions: 5, AllowDisruptive: true},
		webGroup(3), wal.Group{Name: "db", Type: "ec2", Count: 1, Size: "m5.large"})
	obs := []wal.Resource{
		inst("i-w1", "web", "t3.micro", 1),
		inst("i-w2", "web", "t3.large", 2, "team", "z"),
		unmanaged("i-x"),
		inst("i-o1", "gone", "t3.micro", 3),
		inst("i-d1", "db", "m5.large", 4, "team", ""),
		inst("i-d2", "db", "m5.large", 5, "team", ""),
	}
	p := Decide(cfg, obs, confirmed("i-o1", "i-d2"))
	wantActions(t, p,
		"create web/: Create: 1 instance missing from group web",
		"update-tags web/i-w2: Update: tags differ (team: z → a)",
		"resize web/i-w2: Resize: size differs (t3.large → t3.micro)",
		"delete db/i-d2: Delete: Surplus in group db (2 live, 1 desired)",
		"delete gone/i-o1: Delete: Not in desired configuration",
		"report /i-x: Report: not managed by Ovi (no ovi:managed tag); never touched")
	want := Counts{Observed: 6, InSync: 2, Missing: 1, Unwanted: 2, Drifted: 1, Unmanaged: 1}
	if p.Counts != want {
		t.Errorf("counts = %+v, want %+v", p.Counts, want)
	}
}

func TestDecideBlessedIsNeverDeletedOrStopped(t *testing.T) {
	all := wal.Policy{DeleteUnwanted: true, MaxDeletions: 100, AllowDisruptive: true}
	// Its group was removed from the file; it has been unwanted for long.
	orphan := inst("i-b", "legacy", "t3.micro", 1, wal.TagBlessed, "true")
	p := Decide(testConfig(all), []wal.Resource{orphan}, Memory{Unwanted: map[string]int{"i-b": 9}})
	wantActions(t, p, "refuse legacy/i-b: Protected: tagged ovi:blessed")
	if p.Counts.Protected != 1 {
		t.Errorf("counts = %+v", p.Counts)
	}
	// Surplus: the blessed one is kept, the plain one goes.
	obs := []wal.Resource{inst("i-new", "web", "t3.micro", 1), inst("i-bl", "web", "t3.micro", 2, wal.TagBlessed, "true")}
	wantActions(t, Decide(testConfig(all, webGroup(1)), obs, confirmed("i-new")),
		"delete web/i-new: Delete: Surplus in group web (2 live, 1 desired)")
	// Two blessed beyond the count: both refused.
	obs = []wal.Resource{inst("i-b1", "web", "t3.micro", 1, wal.TagBlessed, "true"),
		inst("i-b2", "web", "t3.micro", 2, wal.TagBlessed, "true")}
	wantActions(t, Decide(testConfig(all, webGroup(0)), obs, confirmed("i-b1", "i-b2")),
		"refuse web/i-b1: Protected: tagged ovi:blessed", "refuse web/i-b2: Protected: tagged ovi:blessed")
	// A resize would stop it.
	big := inst("i-b", "web", "t3.large", 1, wal.TagBlessed, "true")
	wantActions(t, Decide(testConfig(all, webGroup(1)), []wal.Resource{big}, Memory{}),
		"refuse web/i-b: Protected: tagged ovi:blessed (size differs: t3.large → t3.micro; a resize needs a stop)")
}

func TestDecideNeverRemovesBlessedOrOwnTags(t *testing.T) {
	r := inst("i-1", "web", "t3.micro", 1, wal.TagBlessed, "true", wal.TagDecision, "c-1-0", "aws:autoscaling:x", "y")
	p := Decide(testConfig(deleteOn, webGroup(1)), []wal.Resource{r}, Memory{})
	wantActions(t, p)
	g := webGroup(1)
	g.Tags[wal.TagBlessed] = "true"
	p = Decide(testConfig(deleteOn, g), []wal.Resource{inst("i-2", "web", "t3.micro", 1)}, Memory{})
	wantActions(t, p, "update-tags web/i-2: Update: tags differ (ovi:blessed: (unset) → true)")
}

func TestDecideDeletionCap(t *testing.T) {
	var obs []wal.Resource
	var ids []string
	for i := 1; i <= 8; i++ {
		id := fmt.Sprintf("i-%d", i)
		obs = append(obs, inst(id, "gone", "t3.micro", int64(i)))
		ids = append(ids, id)
	}
	p := Decide(testConfig(wal.Policy{DeleteUnwanted: true, MaxDeletions: 5}), obs, confirmed(ids...))
	// Newest launches go first; the three oldest wait for the next run.
	wantActions(t, p,
		"delete gone/i-4: Delete: Not in desired configuration",
		"delete gone/i-5: Delete: Not in desired configuration",
		"delete gone/i-6: Delete: Not in desired configuration",
		"delete gone/i-7: Delete: Not in desired configuration",
		"delete gone/i-8: Delete: Not in desired configuration",
		"hold gone/i-1: Held: deletion cap of 5 per run reached",
		"hold gone/i-2: Held: deletion cap of 5 per run reached",
		"hold gone/i-3: Held: deletion cap of 5 per run reached")
	zero := Decide(testConfig(wal.Policy{DeleteUnwanted: true}), obs[:1], confirmed(ids...))
	wantActions(t, zero, "hold gone/i-1: Held: deletion cap of 0 per run reached")
}

func TestDecidePolicyOff(t *testing.T) {
	obs := []wal.Resource{inst("i-1", "gone", "t3.micro", 1), inst("i-2", "web", "t3.micro", 1),
		inst("i-3", "web", "t3.micro", 2)}
	p := Decide(testConfig(DefaultPolicy(), webGroup(1)), obs, confirmed("i-1", "i-3"))
	wantActions(t, p,
		"refuse gone/i-1: Refused: Not in desired configuration, but policy delete_unwanted is false",
		"refuse web/i-3: Refused: Surplus in group web (2 live, 1 desired), but policy delete_unwanted is false")
}

func TestDecideConfirmationsParameter(t *testing.T) {
	cfg := testConfig(deleteOn)
	obs := []wal.Resource{inst("i-1", "gone", "t3.micro", 1)}
	d := Decider{Confirmations: 3}
	p1 := d.Decide(cfg, obs, Memory{})
	p2 := d.Decide(cfg, obs, p1.Memory)
	wantActions(t, p2, "hold gone/i-1: Held: re-checking before delete (seen unwanted 2 of 3 times)")
	wantActions(t, d.Decide(cfg, obs, p2.Memory), "delete gone/i-1: Delete: Not in desired configuration")
	wantActions(t, Decider{Confirmations: 1}.Decide(cfg, obs, Memory{}), "delete gone/i-1: Delete: Not in desired configuration")
}

func TestDecideCountsLaunchesNotVisibleYet(t *testing.T) {
	cfg := testConfig(deleteOn, webGroup(3))
	obs := []wal.Resource{inst("i-1", "web", "t3.micro", 1)}
	mem := Memory{Launched: map[string]Launch{"i-2": {Group: "web"}, "i-3": {Group: "web"}, "i-1": {Group: "web"}}}
	p := Decide(cfg, obs, mem)
	wantActions(t, p, "hold web/: Held: 2 instances launched for group web not visible yet")
	if !reflect.DeepEqual(p.Memory.Launched, map[string]Launch{"i-2": {Group: "web", Cycles: 1}, "i-3": {Group: "web", Cycles: 1}}) {
		t.Errorf("launched = %+v", p.Memory.Launched)
	}
	p = Decide(cfg, obs, p.Memory)
	p = Decide(cfg, obs, p.Memory) // still invisible after Confirmations cycles: create again
	wantActions(t, p, "create web/: Create: 2 instances missing from group web")
}

func TestDecideHoldsTerminalFailures(t *testing.T) {
	mem := Memory{Failed: map[string]string{"create/web": "InvalidAMIID.NotFound"}}
	p := Decide(testConfig(deleteOn, webGroup(2)), nil, mem)
	wantActions(t, p, "hold web/: Held: last attempt failed permanently (InvalidAMIID.NotFound); not retried until the configuration changes")
	if p.Memory.Failed["create/web"] != "InvalidAMIID.NotFound" {
		t.Errorf("failure forgotten: %+v", p.Memory.Failed)
	}
	p = Decide(testConfig(deleteOn, webGroup(0)), nil, mem)
	if len(p.Memory.Failed) != 0 {
		t.Errorf("failure kept although nothing is decided: %+v", p.Memory.Failed)
	}
}

func TestDecideIgnoresTerminatingResources(t *testing.T) {
	gone := inst("i-1", "web", "t3.micro", 1)
	gone.State = "shutting-down"
	p := Decide(testConfig(deleteOn, webGroup(1)), []wal.Resource{gone}, Memory{})
	wantActions(t, p, "create web/: Create: 1 instance missing from group web")
}

// --- determinism ------------------------------------------------------------

func TestDecideIsDeterministic(t *testing.T) {
	cfg := testConfig(wal.Policy{DeleteUnwanted: true, MaxDeletions: 3, AllowDisruptive: true},
		webGroup(4), wal.Group{Name: "api", Type: "ec2", Count: 2, Size: "t3.small", Tags: map[string]string{"a": "1", "b": "2"}},
		wal.Group{Name: "db", Type: "ec2", Count: 1, Size: "m5.large"})
	var obs []wal.Resource
	for i := range 40 {
		group := []string{"web", "api", "db", "gone"}[i%4]
		size := []string{"t3.micro", "t3.small", "m5.large"}[i%3]
		r := inst(fmt.Sprintf("i-%03d", i), group, size, int64(i%7), "b", fmt.Sprint(i%2))
		if i%9 == 0 {
			r.Tags[wal.TagBlessed] = "true"
		}
		obs = append(obs, r)
		if i%5 == 0 {
			obs = append(obs, unmanaged(fmt.Sprintf("i-u%02d", i)))
		}
	}
	mem := confirmed("i-003", "i-007", "i-011", "i-015", "i-019", "i-023")
	want, err := json.Marshal(Decide(cfg, obs, mem))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		o := append([]wal.Resource(nil), obs...)
		rng.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
		c := cfg
		c.Groups = append([]wal.Group(nil), cfg.Groups...)
		rng.Shuffle(len(c.Groups), func(i, j int) { c.Groups[i], c.Groups[j] = c.Groups[j], c.Groups[i] })
		got, err := json.Marshal(Decide(c, o, mem))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("plan differs for shuffled input:\n%s\nvs\n%s", got, want)
		}
	}
}

func TestDecideDoesNotModifyInputs(t *testing.T) {
	cfg := testConfig(deleteOn, webGroup(1))
	obs := []wal.Resource{inst("i-2", "web", "t3.micro", 2), inst("i-1", "web", "t3.micro", 1, "team", "b")}
	before, _ := json.Marshal(obs)
	mem := confirmed("i-2")
	Decide(cfg, obs, mem)
	after, _ := json.Marshal(obs)
	if !bytes.Equal(before, after) || mem.Unwanted["i-2"] != 1 || len(mem.Unwanted) != 1 {
		t.Fatal("Decide modified its inputs")
	}
}

// --- benchmark --------------------------------------------------------------

// benchFleet builds 100 groups of 1,000 desired instances and 100,000
// observations: 97 % in sync, 1 % tag-drifted, 1 % unmanaged and 1 %
// orphaned (already seen unwanted once, per the returned Memory), so 2 %
// of each group is missing.
func benchFleet() (wal.Config, []wal.Resource, Memory) {
	const groups, per = 100, 1000
	cfg := testConfig(wal.Policy{DeleteUnwanted: true, MaxDeletions: 50, AllowDisruptive: true})
	obs := make([]wal.Resource, 0, groups*per)
	mem := Memory{Unwanted: map[string]int{}}
	for g := range groups {
		name := fmt.Sprintf("g%03d", g)
		cfg.Groups = append(cfg.Groups, wal.Group{Name: name, Type: "ec2", Count: per, Size: "t3.micro",
			Tags: map[string]string{"team": "a", "env": "prod"}})
		for i := range per {
			id := fmt.Sprintf("i-%03d%05d", g, i)
			var r wal.Resource
			switch i % 100 {
			case 1:
				r = unmanaged(id)
			case 2:
				r = inst(id, "removed", "t3.micro", int64(i), "env", "prod")
				mem.Unwanted[id] = 1
			case 3:
				r = inst(id, name, "t3.micro", int64(i), "team", "b", "env", "prod")
			default:
				r = inst(id, name, "t3.micro", int64(i), "env", "prod")
			}
			obs = append(obs, r)
		}
	}
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(obs), func(i, j int) { obs[i], obs[j] = obs[j], obs[i] })
	return cfg, obs, mem
}

// BenchmarkDecide also reports process CPU time per op (cpu-ns/op), which
// stays meaningful when the machine is shared and wall time is not.
func BenchmarkDecide(b *testing.B) {
	cfg, obs, mem := benchFleet()
	b.ReportAllocs()
	var p Plan
	cpu0 := cpuTime(b)
	n := 0
	for b.Loop() {
		p = Decide(cfg, obs, mem)
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(n), "cpu-ns/op")
	b.ReportMetric(float64(len(p.Actions)), "actions")
	want := Counts{Observed: 100000, InSync: 97000, Missing: 2000, Unwanted: 1000, Drifted: 1000, Unmanaged: 1000}
	if p.Counts != want {
		b.Fatalf("counts = %+v, want %+v", p.Counts, want)
	}
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
