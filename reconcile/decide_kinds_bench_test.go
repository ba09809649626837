package reconcile

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// kindsFleet is issue 12's mixed fleet: 10 groups of 1,000 instances,
// 1,000 named security groups of 20 ingress rules each and 10,000 named
// EBS volumes, all observed; 1 % of the groups carry a rule added outside
// Ovi and 1 % of the volumes are 10 GiB smaller than desired, so the plan
// has 10 revokes and 100 modifies besides the in-sync rest.
func kindsFleet() (wal.Config, []wal.Resource) {
	cfg := testConfig(wal.Policy{DeleteUnwanted: true, MaxDeletions: 50, AllowDisruptive: true})
	var obs []wal.Resource
	for g := range 10 {
		name := fmt.Sprintf("g%02d", g)
		cfg.Groups = append(cfg.Groups, wal.Group{Name: name, Type: "ec2", Count: 1000, Size: "t3.micro",
			Tags: map[string]string{"env": "prod", "team": "a"}})
		for i := range 1000 {
			obs = append(obs, inst(fmt.Sprintf("i-%02d%05d", g, i), name, "t3.micro", int64(i), "env", "prod"))
		}
	}
	for s := range 1000 {
		spec, res := benchSG(s)
		cfg.Resources = append(cfg.Resources, spec)
		obs = append(obs, res)
	}
	for v := range 10000 {
		spec, res := benchVolume(v)
		cfg.Resources = append(cfg.Resources, spec)
		obs = append(obs, res)
	}
	rand.New(rand.NewPCG(12, 12)).Shuffle(len(obs), func(i, j int) { obs[i], obs[j] = obs[j], obs[i] })
	return cfg, obs
}

func benchSG(s int) (wal.Spec, wal.Resource) {
	name := fmt.Sprintf("sg%04d", s)
	rules := make([]wal.Rule, 20)
	for r := range rules {
		rules[r] = wal.Rule{Protocol: "tcp", FromPort: int32(8000 + r), ToPort: int32(8000 + r), CIDR: "10.0.0.0/8"}
	}
	desired := wal.SecurityGroup{Name: name, Description: name, Ingress: wal.SortRules(append([]wal.Rule(nil), rules...)),
		Egress: []wal.Rule{allOut}}
	seen := desired
	if s%100 == 0 {
		seen.Ingress = wal.SortRules(append(append([]wal.Rule(nil), rules...), worldSSH))
	}
	seen.VpcID = "vpc-1"
	spec := wal.Spec{Kind: wal.ResourceSecurityGroup, Name: name, SecurityGroup: &desired}
	res := wal.Resource{ID: fmt.Sprintf("sg-%05d", s), Kind: wal.ResourceSecurityGroup, State: "available", Managed: true,
		Group: name, Tags: map[string]string{wal.TagManaged: "true", wal.TagGroup: name}, SecurityGroup: &seen}
	return spec, res
}

func benchVolume(v int) (wal.Spec, wal.Resource) {
	name := fmt.Sprintf("data%05d", v)
	spec := wal.Spec{Kind: wal.ResourceVolume, Name: name, Volume: &wal.VolumeSpec{
		AvailabilityZone: "us-east-1a", SizeGiB: 100, VolumeType: "gp3", Iops: 3000, Throughput: 125}}
	size := int64(100)
	if v%100 == 0 {
		size = 90
	}
	return spec, vol(fmt.Sprintf("vol-%05d", v), name, size, "")
}

// BenchmarkDecideKinds is Decide over the mixed fleet (target: ≤ 300 ms).
func BenchmarkDecideKinds(b *testing.B) {
	cfg, obs := kindsFleet()
	b.ReportAllocs()
	var p Plan
	cpu0 := cpuTime(b)
	n := 0
	for b.Loop() {
		p = Decide(cfg, obs, Memory{})
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(n), "cpu-ns/op")
	b.ReportMetric(float64(len(p.Actions)), "actions")
	if p.Counts.Observed != 21000 || p.Counts.Drifted != 110 || p.Counts.Missing != 0 || len(p.Actions) != 110 {
		b.Fatalf("counts %+v, %d actions", p.Counts, len(p.Actions))
	}
}
