package main

import (
	"context"
	"slices"
	"testing"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// TestDevSeedsUnmanagedResources: dev mode's cloud starts with two
// instances, one security group and one volume that carry no Ovi tags.
func TestDevSeedsUnmanagedResources(t *testing.T) {
	sim := ec2sim.New(ec2sim.Options{Seed: 1})
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if err := seedDevCloud(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	if n := len(sim.Instances()); n != 2 {
		t.Fatalf("%d seeded instances, want 2", n)
	}
	i := slices.IndexFunc(sim.SecurityGroups(), func(g ec2sim.SecurityGroup) bool { return g.Name == "legacy-admin" })
	if i < 0 {
		t.Fatalf("no seeded security group in %+v", sim.SecurityGroups())
	}
	g := sim.SecurityGroups()[i]
	if g.VpcID != ec2sim.DefaultVPC || len(g.Ingress) != 1 || g.Ingress[0].CIDR != "203.0.113.0/24" || g.Ingress[0].FromPort != 22 {
		t.Fatalf("seeded group %+v", g)
	}
	if !slices.Equal(g.Tags, []ec2sim.Tag{{Key: "team", Value: "data"}}) {
		t.Fatalf("seeded group tags %v: it must carry no ovi: tag", g.Tags)
	}
	vols := sim.Volumes()
	if len(vols) != 1 || vols[0].AvailabilityZone != "us-east-1a" || len(vols[0].Tags) != 1 || vols[0].Tags[0] != (ec2sim.Tag{Key: "team", Value: "data"}) {
		t.Fatalf("seeded volumes %+v, want one in us-east-1a tagged team=data only", vols)
	}
}
