package reconcile

import (
	"fmt"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// adoptableFleet is the worst case of Decide's adoption hints: 100 groups
// of 200 instances with 100 live each (every group has room), and 10,000
// unmanaged instances of which 1 in 10 matches one group; the others match
// none, so each is compared with every group of the kind.
func adoptableFleet() (wal.Config, []wal.Resource) {
	cfg := testConfig(wal.Policy{})
	var obs []wal.Resource
	for g := range 100 {
		name := fmt.Sprintf("g%03d", g)
		cfg.Groups = append(cfg.Groups, wal.Group{Name: name, Type: "ec2", Count: 200, Size: "t3.micro", Image: fmt.Sprintf("ami-%03d", g),
			Tags: map[string]string{"team": "a"}})
		for i := range 100 {
			r := inst(fmt.Sprintf("i-%03d%04d", g, i), name, "t3.micro", int64(i))
			r.Instance.ImageID = fmt.Sprintf("ami-%03d", g)
			obs = append(obs, r)
		}
	}
	for u := range 10000 {
		image := "ami-unknown"
		if u%10 == 0 {
			image = fmt.Sprintf("ami-%03d", u%100)
		}
		obs = append(obs, wal.Resource{ID: fmt.Sprintf("i-u%05d", u), Kind: wal.ResourceInstance, State: "running",
			Tags: map[string]string{"team": "b"}, Instance: &wal.Instance{Size: "t3.micro", ImageID: image}})
	}
	return cfg, obs
}

// BenchmarkDecideAdoptableHints is Decide over adoptableFleet (20,000
// resources: 10,000 managed, 10,000 unmanaged, 1,000 of them adoptable).
func BenchmarkDecideAdoptableHints(b *testing.B) {
	cfg, obs := adoptableFleet()
	b.ReportAllocs()
	var p Plan
	for b.Loop() {
		p = Decide(cfg, obs, Memory{})
	}
	hinted := 0
	for _, a := range p.Actions {
		if a.Adoptable != "" {
			hinted++
		}
	}
	if hinted != 1000 || p.Counts.Unmanaged != 10000 {
		b.Fatalf("%d hints, %d unmanaged", hinted, p.Counts.Unmanaged)
	}
}
