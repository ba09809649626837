package aws

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/wal"
)

func TestObserve2500InstancesIn3Calls(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	managed := e.create("web", 1000, nil)
	managed = append(managed, e.create("api", 500, nil)...)
	unmanaged := e.launchUnmanaged(1000)
	e.sim.ResetCounts()

	got, err := e.p.Observe(context.Background())
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if n := e.calls("DescribeInstances"); n != 3 {
		t.Fatalf("DescribeInstances calls = %d, want 3", n)
	}
	if len(got) != 2500 {
		t.Fatalf("observed %d instances, want 2500", len(got))
	}
	var ids []string
	managedCount := 0
	for _, r := range got {
		ids = append(ids, r.ID)
		if r.Managed {
			managedCount++
		}
	}
	if managedCount != len(managed) {
		t.Fatalf("managed = %d, want %d", managedCount, len(managed))
	}
	for _, id := range append(managed, unmanaged...) {
		if !slices.Contains(ids, id) {
			t.Fatalf("instance %s not observed", id)
		}
	}
}

func TestObserveCallCountIsCeilNOver1000(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	have := 0
	for _, n := range []int{0, 1, 999, 1000, 1001, 2000, 3001} {
		e.launchUnmanaged(n - have)
		have = n
		e.sim.ResetCounts()
		got, err := e.p.Observe(context.Background())
		if err != nil {
			t.Fatalf("N=%d: Observe: %v", n, err)
		}
		if len(got) != n {
			t.Fatalf("N=%d: observed %d", n, len(got))
		}
		if calls := e.calls("DescribeInstances"); calls != pages(n) {
			t.Fatalf("N=%d: DescribeInstances calls = %d, want %d", n, calls, pages(n))
		}
	}
}

func TestObserveMapsInstancesToResources(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	id := e.create("web", 1, map[string]string{"env": "prod", "team": "core"})[0]
	other := e.launchUnmanaged(1)[0]

	got, err := e.p.Observe(context.Background())
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	byID := map[string]wal.Resource{}
	for _, r := range got {
		byID[r.ID] = r
	}
	r := byID[id]
	sim := e.simInstance(id)
	want := map[string]string{"env": "prod", "team": "core", wal.TagManaged: "true", wal.TagGroup: "web"}
	for k, v := range want {
		if r.Tags[k] != v {
			t.Fatalf("tag %s = %q, want %q (tags %v)", k, r.Tags[k], v, r.Tags)
		}
	}
	if r.Kind != wal.ResourceInstance || r.Instance.Size != "t3.micro" || r.Instance.ImageID != ec2sim.NewestAL2023 ||
		!r.Managed || r.Group != "web" || r.State != string(sim.State) {
		t.Fatalf("managed resource = %+v", r)
	}
	if r.Instance.LaunchTime != sim.LaunchTime.UnixNano() {
		t.Fatalf("launch time = %d, want %d", r.Instance.LaunchTime, sim.LaunchTime.UnixNano())
	}
	u := byID[other]
	if u.ID != other || u.Managed || u.Group != "" || u.Instance.Size != "t3.small" {
		t.Fatalf("unmanaged resource = %+v", u)
	}
}

func TestObserveSkipsShuttingDownAndTerminated(t *testing.T) {
	lc := ec2sim.Lifecycle{ShuttingDown: 30 * time.Second, TerminatedRetention: time.Hour}
	e := newEnv(t, ec2sim.Options{Lifecycle: &lc}, Options{})
	ids := e.create("web", 4, nil)
	if _, err := e.p.Delete(context.Background(), ids[:2]); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	check := func(state ec2sim.InstanceState) {
		t.Helper()
		if s := e.simInstance(ids[0]).State; s != state {
			t.Fatalf("simulator state = %s, want %s", s, state)
		}
		got, err := e.p.Observe(context.Background())
		if err != nil {
			t.Fatalf("Observe: %v", err)
		}
		if len(got) != 2 || !slices.ContainsFunc(got, func(r wal.Resource) bool { return r.ID == ids[2] }) {
			t.Fatalf("observed %+v, want only %v", got, ids[2:])
		}
	}
	check(ec2sim.StateShuttingDown)
	e.clock.sim.Advance(time.Minute)
	check(ec2sim.StateTerminated)
}

func TestFindByDecision(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	req := createRequest("web", 3, "decision-42", nil)
	res, err := e.p.Create(context.Background(), req)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	e.create("web", 2, nil) // another decision
	e.sim.ResetCounts()

	got, err := e.p.FindByDecision(context.Background(), "decision-42")
	if err != nil {
		t.Fatalf("FindByDecision: %v", err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	want := slices.Sorted(slices.Values(res.IDs))
	if !slices.Equal(ids, want) {
		t.Fatalf("found %v, want %v", ids, want)
	}
	if n := e.calls("DescribeInstances"); n != 1 {
		t.Fatalf("DescribeInstances calls = %d, want 1", n)
	}
	if _, err := e.p.FindByDecision(context.Background(), ""); err == nil {
		t.Fatal("FindByDecision(\"\") succeeded")
	}
}
