package reconcile

import (
	"slices"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// testKind is a kind for the registry and ordering tests: fixed units,
// no drift, and optional dependencies.
type testKind struct {
	kind  wal.ResourceKind
	deps  []wal.ResourceKind
	units []Unit
}

func (k testKind) Resource() wal.ResourceKind         { return k.kind }
func (k testKind) DependsOn() []wal.ResourceKind      { return k.deps }
func (k testKind) Units(*wal.Config) []Unit           { return k.units }
func (k testKind) Diff(*Unit, *wal.Resource) []Change { return nil }
func (k testKind) Create(u *Unit, n int) PlannedAction {
	return PlannedAction{Action: wal.ActionCreate, Drift: wal.DriftMissing, Group: u.Name, Count: n, Reason: "Create: " + u.Name}
}

// instancesAfter is the instance kind depending on kind k.
type instancesAfter struct {
	InstanceKind
	k wal.ResourceKind
}

func (i instancesAfter) DependsOn() []wal.ResourceKind { return []wal.ResourceKind{i.k} }

func TestNewKindsRefusesDuplicatesMissingAndCycles(t *testing.T) {
	sg := wal.ResourceSecurityGroup
	cases := map[string]struct {
		kinds []Kind
		want  string
	}{
		"duplicate": {[]Kind{InstanceKind{}, InstanceKind{}}, "registered twice"},
		"missing":   {[]Kind{instancesAfter{k: sg}}, "not registered"},
		"cycle": {[]Kind{instancesAfter{k: sg}, testKind{kind: sg, deps: []wal.ResourceKind{wal.ResourceInstance}}},
			"cycle"},
	}
	for name, c := range cases {
		if _, err := NewKinds(c.kinds...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
	if got := DefaultKinds().Order(); !slices.Equal(got, []wal.ResourceKind{wal.ResourceSecurityGroup, wal.ResourceInstance, wal.ResourceVolume}) {
		t.Fatalf("default kinds = %v", got)
	}
}

// TestPlanOrdersKindsByDependency: creates of a kind come after those of
// the kinds it depends on, deletes before them.
func TestPlanOrdersKindsByDependency(t *testing.T) {
	sg := wal.ResourceSecurityGroup
	kinds, err := NewKinds(instancesAfter{k: sg}, testKind{kind: sg, units: []Unit{{Kind: sg, Name: "web-sg", Count: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	oldSG := wal.Resource{ID: "sg-old", Kind: sg, Managed: true, Group: "gone-sg", State: "available"}
	obs := []wal.Resource{oldSG, inst("i-old", "gone", "t3.micro", 1)}
	cfg := testConfig(wal.Policy{DeleteUnwanted: true, MaxDeletions: 5}, webGroup(1))
	for _, order := range [][]wal.Resource{obs, {obs[1], obs[0]}} {
		p := Decider{Confirmations: 1, Kinds: kinds}.Decide(cfg, order, Memory{})
		var got []string
		for _, a := range p.Actions {
			got = append(got, a.Action.String()+" "+a.Kind.String()+" "+a.Group)
		}
		want := []string{"create security_group web-sg", "create ec2 web", "delete ec2 gone", "delete security_group gone-sg"}
		if !slices.Equal(got, want) {
			t.Fatalf("plan order\n got %q\nwant %q", got, want)
		}
	}
}
