//go:build e2e

package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// TestLeaderKillMidAdoption: web wants 2 t3.micro instances and cannot
// launch them (RunInstances is refused); two matching instances made by
// hand are adopted through a follower, which forwards to the leader, and
// the leader is killed -9 right after the first adoption's CreateTags.
// The new leader finds that instance's ovi:decision tag and records the
// adoption executed (recovered) without tagging it again; the second,
// decided but never started, is recorded Abandoned. Adopting again adopts
// it; no decision stays open and both instances carry exactly their
// decision's tags.
func TestLeaderKillMidAdoption(t *testing.T) {
	bin := binary(t)
	c, sim := startCloudWith(t, ec2sim.Options{Seed: 1})
	ids := launchByHand(t, c, 2)
	sim.FailAction("RunInstances", ec2sim.Fault{Code: "UnauthorizedOperation"})
	cl := newCluster(t, bin, c, false)
	cl.write(infra{web: 2})
	l := cl.start()
	waitFor(t, "the refused launch recorded", 60*time.Second, func() bool { return countOutcomes(t, l, wal.ActionCreate, "failed") > 0 })
	l.arm("after-call")
	var via *node
	for _, n := range cl.nodes {
		if n != l {
			via = n
		}
	}
	adopt := func(n *node) error {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		req := transport.ReconcileRequest{Adopt: &transport.AdoptRequest{Into: "web", Matching: true}}
		return n.client.Reconcile(ctx, req, func(wal.Record) error { return nil })
	}
	_ = adopt(via) // the leader dies under it
	cl.waitDeath(l, 60*time.Second)
	nl := cl.waitLeader(60 * time.Second)
	waitFor(t, "the interrupted adoption settled", 60*time.Second, func() bool {
		return countOutcomes(t, nl, wal.ActionAdopt, "Recovered: already adopted into web") == 1 &&
			countOutcomes(t, nl, wal.ActionAdopt, "Abandoned") == 1
	})
	if err := adopt(nl); err != nil {
		t.Fatalf("adopting again: %v", err)
	}
	cl.restart(l)
	entries, err := walOf(nl, transport.Revision{})
	if err != nil {
		t.Fatal(err)
	}
	if n := openDecisions(entries); n != 0 {
		t.Fatalf("%d decisions without an outcome", n)
	}
	decisions := map[string]string{}
	for _, e := range entries {
		if r := e.Record; r.Executed != nil && r.Executed.Action == wal.ActionAdopt {
			decisions[r.ResourceID] = r.DecisionID
		}
	}
	tagged := 0
	for _, in := range c.instances() {
		for _, id := range ids {
			if in.ID == id && in.Tags["ovi:managed"] == "true" && in.Tags["ovi:group"] == "web" && in.Tags["ovi:decision"] == decisions[id] {
				tagged++
			}
		}
	}
	if tagged != 2 {
		t.Fatalf("%d of 2 hand-made instances adopted with their decision's tags (executed: %v)", tagged, decisions)
	}
	tags := 0
	for _, rq := range c.requests() {
		if rq.Action == "CreateTags" {
			tags++
		}
	}
	if tags != 2 {
		t.Errorf("%d CreateTags calls, want 2 (the recovered adoption is not tagged again)", tags)
	}
}

// countOutcomes counts the executed (by message prefix) or failed (by
// code, or "failed" for any) outcomes of action in n's WAL.
func countOutcomes(t *testing.T, n *node, action wal.Action, what string) int {
	t.Helper()
	entries, err := walOf(n, transport.Revision{})
	if err != nil {
		return 0
	}
	count := 0
	for _, e := range entries {
		r := e.Record
		switch {
		case r.Executed != nil && r.Executed.Action == action && strings.HasPrefix(r.Executed.Message, what):
			count++
		case r.Failed != nil && r.Failed.Action == action && (what == "failed" || r.Failed.Code == what):
			count++
		}
	}
	return count
}

// launchByHand launches n t3.micro instances Ovi did not make, tagged
// as web wants (so no tag update follows their adoption).
func launchByHand(t *testing.T, c *cloud, n int) []string {
	t.Helper()
	client := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: awssdk.String(c.simURL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAFAULTOPERATOR", "secret", "")})
	out, err := client.RunInstances(context.Background(), &ec2.RunInstancesInput{
		MinCount: awssdk.Int32(int32(n)), MaxCount: awssdk.Int32(int32(n)),
		ImageId: awssdk.String("ami-0a1b2c3d4e5f60002"), InstanceType: ec2types.InstanceTypeT3Micro,
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: awssdk.String("team"), Value: awssdk.String("platform")}}}},
	})
	if err != nil {
		t.Fatalf("launch by hand: %v", err)
	}
	ids := make([]string, 0, n)
	for _, in := range out.Instances {
		ids = append(ids, awssdk.ToString(in.InstanceId))
	}
	return ids
}
