package main

import (
	"context"
	"testing"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// TestDevSeedsUnmanagedVolume: dev mode's cloud starts with one volume that
// carries no Ovi tags.
func TestDevSeedsUnmanagedVolume(t *testing.T) {
	sim := ec2sim.New(ec2sim.Options{Seed: 1})
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if err := seedDevCloud(context.Background(), url); err != nil {
		t.Fatalf("seedDevCloud: %v", err)
	}
	vols := sim.Volumes()
	if len(vols) != 1 || vols[0].AvailabilityZone != "us-east-1a" || len(vols[0].Tags) != 1 || vols[0].Tags[0] != (ec2sim.Tag{Key: "team", Value: "data"}) {
		t.Fatalf("seeded volumes %+v, want one in us-east-1a tagged team=data only", vols)
	}
}
