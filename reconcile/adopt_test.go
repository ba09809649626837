package reconcile

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

var updateAdoptGolden = flag.Bool("update-adopt", false, "rewrite reconcile/testdata/adopt-*.golden")

// bare turns a managed resource of the test helpers into one Ovi did not
// make: no ovi:managed, no ovi:group.
func bare(r wal.Resource, extra ...string) wal.Resource {
	r.Managed, r.Group = false, ""
	tags := map[string]string{}
	for k, v := range r.Tags {
		if k != wal.TagManaged && k != wal.TagGroup {
			tags[k] = v
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		tags[extra[i]] = extra[i+1]
	}
	r.Tags = tags
	return r
}

// adoptionWorld is a fleet with every case adoption distinguishes: a web
// group of 3 (one member live) with its image and security group named,
// a security group and a volume the file names, and unmanaged resources
// that match, differ, or are already Ovi's.
func adoptionWorld() (wal.Config, []wal.Resource) {
	web := webGroup(3)
	web.Image, web.SecurityGroups = "ami-1", []string{"web"}
	cfg := testConfig(wal.Policy{}, web)
	cfg.Resources = []wal.Spec{sgSpec(map[string]string{"team": "a"}), {Kind: wal.ResourceVolume, Name: "scratch",
		Volume: &wal.VolumeSpec{AvailabilityZone: "us-east-1a", SizeGiB: 50, VolumeType: "gp3", Iops: 3000, Throughput: 125}}}
	withImage := func(r wal.Resource, image string, sgs ...string) wal.Resource {
		r.Instance.ImageID, r.Instance.SecurityGroups = image, sgs
		return r
	}
	stopped := bare(withImage(inst("i-05", "", "t3.micro", 5), "ami-1", "sg-web"))
	stopped.State = "stopped"
	blessed := bare(withImage(inst("i-06", "", "t3.micro", 6), "ami-1", "sg-web"), wal.TagBlessed, "true")
	observed := []wal.Resource{
		sg("sg-web", nil, ssh, https),
		withImage(inst("i-01", "web", "t3.micro", 1), "ami-1", "sg-web"),
		bare(withImage(inst("i-02", "", "t3.micro", 2), "ami-1", "sg-web"), "team", "payments", "Name", "old-web"),
		bare(withImage(inst("i-03", "", "t3.small", 3), "ami-2", "sg-other")),
		withImage(inst("i-04", "db", "t3.micro", 4), "ami-1", "sg-web"),
		stopped, blessed,
		bare(withImage(inst("i-07", "", "t3.micro", 7), "ami-1", "sg-web"), "team", "payments"),
		bare(sg("sg-legacy", map[string]string{"team": "data"}, worldSSH)),
		bare(vol("vol-1", "", 50, "")),
		bare(vol("vol-2", "", 100, "")),
	}
	observed[8].SecurityGroup.Name = "legacy-admin"
	return cfg, observed
}

// adoptLines renders a plan as "action kind id → unit: reason" lines.
func adoptLines(p AdoptionPlan) string {
	var b strings.Builder
	for _, a := range p.Actions {
		fmt.Fprintf(&b, "%-6s %-14s %-9s → %s: %s", a.Action, a.Kind, a.ResourceID, a.Group, a.Reason)
		if len(a.SetTags) > 0 {
			fmt.Fprintf(&b, " [writes %s]", tagList(a.SetTags))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func checkAdoptGolden(t *testing.T, name, got string) {
	t.Helper()
	path := "testdata/adopt-" + name + ".golden"
	if *updateAdoptGolden {
		if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write it with go test ./reconcile/ -run Adopt -update-adopt)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", name, path, got, want)
	}
}

// TestPlanAdoptionGolden: every unit kind, every reason for a refusal, and
// the count: web has room for 2 more, so the third matching instance is
// refused for the count.
func TestPlanAdoptionGolden(t *testing.T) {
	cfg, observed := adoptionWorld()
	var out strings.Builder
	for _, sel := range []AdoptSelection{
		{Into: "web", Kind: wal.ResourceInstance, Matching: true},
		{Into: "web", IDs: []string{"i-04", "i-03", "i-02"}},
		{Into: "web", Kind: wal.ResourceSecurityGroup, Matching: true},
		{Into: "scratch", Matching: true},
		{Into: "web", Kind: wal.ResourceInstance, Filters: []TagFilter{{Key: "team", Value: "payments"}}},
	} {
		p, err := PlanAdoption(DefaultKinds(), cfg, observed, sel)
		if err != nil {
			t.Fatalf("%+v: %v", sel, err)
		}
		fmt.Fprintf(&out, "# %+v\n%s\n", sel, adoptLines(p))
	}
	checkAdoptGolden(t, "plan", out.String())
}

// TestPlanAdoptionCountAndOrder: adoption fills the group's room in id
// order and refuses the rest, saying how many it took before.
func TestPlanAdoptionCountAndOrder(t *testing.T) {
	cfg, observed := adoptionWorld()
	p, err := PlanAdoption(DefaultKinds(), cfg, observed, AdoptSelection{Into: "web", Kind: wal.ResourceInstance, Matching: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Actions {
		got = append(got, a.ResourceID+" "+a.Action.String())
	}
	want := []string{"i-02 adopt", "i-03 refuse", "i-05 refuse", "i-06 adopt", "i-07 refuse"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decisions %v, want %v", got, want)
	}
	if r := p.Actions[4].Reason; !strings.Contains(r, "would exceed the count (3 desired, 1 live, 2 adopted before it)") {
		t.Errorf("count refusal: %q", r)
	}
	if p.Adopted() != 2 {
		t.Errorf("Adopted() = %d, want 2", p.Adopted())
	}
	if tags := p.Actions[0].SetTags; !reflect.DeepEqual(tags, map[string]string{wal.TagManaged: "true", wal.TagGroup: "web"}) {
		t.Errorf("tags written %v: want exactly ovi:managed and ovi:group", tags)
	}
}

// TestPlanAdoptionIsPure: the same inputs in any order give the same plan.
func TestPlanAdoptionIsPure(t *testing.T) {
	cfg, observed := adoptionWorld()
	sel := AdoptSelection{Into: "web", Kind: wal.ResourceInstance, Matching: true}
	first, err := PlanAdoption(DefaultKinds(), cfg, observed, sel)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		rng.Shuffle(len(observed), func(i, j int) { observed[i], observed[j] = observed[j], observed[i] })
		again, err := PlanAdoption(DefaultKinds(), cfg, observed, sel)
		if err != nil || !reflect.DeepEqual(again, first) {
			t.Fatalf("shuffled inputs planned differently:\n%s\nvs\n%s", adoptLines(again), adoptLines(first))
		}
	}
}

// TestPlanAdoptionApprovedBoundsTheApply: an apply adopts at most what the
// approved plan named, even if more match by now.
func TestPlanAdoptionApprovedBoundsTheApply(t *testing.T) {
	cfg, observed := adoptionWorld()
	p, err := PlanAdoption(DefaultKinds(), cfg, observed,
		AdoptSelection{Into: "web", Kind: wal.ResourceInstance, Matching: true, Approved: []string{"i-06"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Actions) != 1 || p.Actions[0].ResourceID != "i-06" || p.Actions[0].Action != wal.ActionAdopt {
		t.Fatalf("approved i-06 only, planned:\n%s", adoptLines(p))
	}
	if !strings.Contains(p.Actions[0].Reason, "member 2 of 3") {
		t.Errorf("reason %q", p.Actions[0].Reason)
	}
}

// TestPlanAdoptionBadInput: each mistake is one line naming what is wrong.
func TestPlanAdoptionBadInput(t *testing.T) {
	cfg, observed := adoptionWorld()
	for _, c := range []struct {
		sel  AdoptSelection
		want string
	}{
		{AdoptSelection{Into: "nope", Matching: true}, `adopt: no group or named resource "nope" in the configuration in force (it has ebs_volume scratch, ec2 web, security_group web)`},
		{AdoptSelection{Into: "web", Matching: true}, `adopt: "web" names a unit of several kinds (ec2, security_group): say which with --kind`},
		{AdoptSelection{Into: "web", IDs: []string{"i-02", "i-99"}}, "adopt: unknown resource i-99: the cloud has no such resource (observed just now)"},
		{AdoptSelection{Into: "web", IDs: []string{"i-02", "vol-1"}}, "adopt: vol-1 is a ebs_volume, and web is a ec2 unit"},
		{AdoptSelection{Into: "scratch"}, "adopt: nothing selected: name resource ids, --filter tag:KEY=VALUE, or --matching scratch for every resource that matches"},
		{AdoptSelection{Matching: true}, "adopt: no unit: say --into NAME or --matching NAME (a group or named resource of the configuration in force)"},
		{AdoptSelection{Into: "scratch", Kind: wal.ResourceInstance, Matching: true}, `adopt: no ec2 group "scratch" in the configuration in force (it has ec2 web)`},
	} {
		_, err := PlanAdoption(DefaultKinds(), cfg, observed, c.sel)
		if !errors.Is(err, ErrAdoptInput) || err.Error() != c.want || strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v:\n got %v\nwant %s", c.sel, err, c.want)
		}
	}
}

func TestParseTagFilter(t *testing.T) {
	for in, want := range map[string]TagFilter{
		"tag:team=payments": {Key: "team", Value: "payments"},
		"tag:team":          {Key: "team", AnyValue: true},
		"tag:team=":         {Key: "team"},
		"tag:a=b=c":         {Key: "a", Value: "b=c"},
	} {
		got, err := ParseTagFilter(in)
		if err != nil || got != want || got.String() != in {
			t.Errorf("ParseTagFilter(%q) = %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"team=payments", "tag:", "tag:=x", ""} {
		_, err := ParseTagFilter(bad)
		if !errors.Is(err, ErrAdoptInput) || !strings.Contains(err.Error(), "want tag:KEY=VALUE or tag:KEY") {
			t.Errorf("ParseTagFilter(%q) = %v", bad, err)
		}
	}
}

// TestDecideHintsAdoptable: the report of an unmanaged resource that
// matches a desired unit with room names the unit; one that matches a full
// unit, or none, names nothing.
func TestDecideHintsAdoptable(t *testing.T) {
	cfg, observed := adoptionWorld()
	plan := Decide(cfg, observed, Memory{})
	hints := map[string]string{}
	for _, a := range plan.Actions {
		if a.Action == wal.ActionReport {
			hints[a.ResourceID] = a.Adoptable
		}
	}
	want := map[string]string{"i-02": "web", "i-03": "", "i-05": "", "i-06": "web", "i-07": "web",
		"sg-legacy": "", "vol-1": "scratch", "vol-2": ""}
	if !reflect.DeepEqual(hints, want) {
		t.Errorf("hints %v, want %v", hints, want)
	}
	observed = append(observed, inst("i-08", "web", "t3.micro", 8), inst("i-09", "web", "t3.micro", 9))
	for _, a := range Decide(cfg, observed, Memory{}).Actions {
		if a.Action == wal.ActionReport && a.Kind == wal.ResourceInstance && a.Adoptable != "" {
			t.Errorf("web is full, yet %s is hinted into %s", a.ResourceID, a.Adoptable)
		}
	}
}

// TestReplayAdoption: every decision of an adoption, replayed from its
// decisions and the state it decided from, is identical; replayed against
// a configuration that no longer has room, the adoption differs.
func TestReplayAdoption(t *testing.T) {
	cfg, observed := adoptionWorld()
	p, err := PlanAdoption(DefaultKinds(), cfg, observed, AdoptSelection{Into: "web", Kind: wal.ResourceInstance, Matching: true})
	if err != nil {
		t.Fatal(err)
	}
	var recs []wal.Record
	for i, a := range p.Actions {
		id := fmt.Sprintf("n1-20261125T103000Z-0a0b0c0d-%d", i+1)
		if a.Action == wal.ActionAdopt {
			a.SetTags = withTag(a.SetTags, wal.TagDecision, id)
		}
		recs = append(recs, wal.Record{Kind: wal.KindDecided, ResourceID: a.ResourceID, DecisionID: id, Decided: a.Decided(false)})
	}
	for _, rec := range recs {
		if v := ReplayAdoption(DefaultKinds(), cfg, observed, nil, recs, rec.DecisionID, rec.Decided); !v.Identical {
			t.Errorf("%s replayed %+v", rec.ResourceID, v.Diffs)
		}
	}
	cfg.Groups[0].Count = 1
	if v := ReplayAdoption(DefaultKinds(), cfg, observed, nil, recs, recs[0].DecisionID, recs[0].Decided); v.Identical {
		t.Error("replayed against a full group, the adoption is still identical")
	}
}

// TestPlanAdoptionCountsLaunchesInFlight: a launch for web decided and
// executed but not observed yet (the reconciler's launch memory) takes
// room as a live member does, as Decide credits it: web (3, one live, one
// in flight) adopts one of its matches and refuses the next, saying why;
// once the launch has gone unseen for Confirmations cycles it no longer
// counts.
func TestPlanAdoptionCountsLaunchesInFlight(t *testing.T) {
	cfg, observed := adoptionWorld()
	sel := AdoptSelection{Into: "web", Kind: wal.ResourceInstance, Matching: true}
	inFlight := Memory{Launched: map[string]Launch{"i-99": {Group: "web"}}}
	p, err := Decider{Kinds: DefaultKinds()}.PlanAdoption(cfg, observed, inFlight, sel)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Adopted(); got != 1 {
		t.Fatalf("%d adopted with one launch in flight, want 1:\n%s", got, adoptLines(p))
	}
	var refused string
	for _, a := range p.Actions {
		if a.ResourceID == "i-06" {
			refused = a.Reason
		}
	}
	if want := "Not adopted into web: it would exceed the count (3 desired, 1 live, 1 launched not visible yet, 1 adopted before it)"; !strings.HasPrefix(refused, want) {
		t.Fatalf("i-06: %q, want %q", refused, want)
	}
	stale := Memory{Launched: map[string]Launch{"i-99": {Group: "web", Cycles: DefaultConfirmations}}}
	if p, _ := (Decider{Kinds: DefaultKinds()}).PlanAdoption(cfg, observed, stale, sel); p.Adopted() != 2 {
		t.Fatalf("a launch unseen for %d cycles still takes room:\n%s", DefaultConfirmations, adoptLines(p))
	}
	if p, _ := PlanAdoption(DefaultKinds(), cfg, observed, sel); p.Adopted() != 2 {
		t.Fatalf("without memory:\n%s", adoptLines(p))
	}
	var recs []wal.Record
	for i, a := range p.Actions {
		id := fmt.Sprint("c-", i+1)
		if a.Action == wal.ActionAdopt {
			a.SetTags = withTag(a.SetTags, wal.TagDecision, id)
		}
		recs = append(recs, wal.Record{Kind: wal.KindDecided, ResourceID: a.ResourceID, DecisionID: id, Decided: a.Decided(false)})
	}
	in := RecordedInputs("test", "", DefaultConfirmations, inFlight)
	for _, rec := range recs {
		if v := ReplayAdoption(DefaultKinds(), cfg, observed, in, recs, rec.DecisionID, rec.Decided); !v.Identical {
			t.Errorf("%s replayed with the memory: %+v", rec.ResourceID, v.Diffs)
		}
	}
}
