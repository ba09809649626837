package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// Store growth: how many bytes the replicated store gains per instance per
// day at a 30 s reconcile interval, measured by running simulated cycles
// through the real engine, the real Raft log and the real store of a
// one-node agent, against the EC2 simulator, and extrapolating from the
// cycles run to a day. The figure is the keys and values the store holds
// (mvcc.Usage: key history and audit log), not the file's size, which
// bbolt grows in pages ahead of need.
const (
	growthInterval   = 30 * time.Second
	growthCycles     = 240 // two simulated hours
	growthChurnPerHr = 0.05
)

// BenchmarkStoreGrowth runs growthCycles cycles over fleets of 100 and
// 1,000 instances, idle (the cloud matches the file) and with churn (5 %
// of the instances terminated outside Ovi per simulated hour, each
// replaced by the next cycle). Run it with -benchtime 1x.
func BenchmarkStoreGrowth(b *testing.B) {
	for _, fleet := range []int{100, 1000} {
		for _, churn := range []float64{0, growthChurnPerHr} {
			name := fmt.Sprintf("fleet=%d/churn=%g", fleet, churn)
			b.Run(name, func(b *testing.B) {
				for range b.N {
					g := runGrowth(b, fleet, churn)
					g.report(b)
				}
			})
		}
	}
}

// growth is what one run measured.
type growth struct {
	fleet, cycles, replaced int
	before, after           mvcc.Usage
	halfKept                mvcc.Usage // kept by a compaction to the middle of the run (history and audit)
	fileBefore, fileAfter   int64
}

// perDay extrapolates bytes gained over the run to a day of cycles.
func (g growth) perDay(gained int64) float64 {
	return float64(gained) / float64(g.cycles) * float64(24*time.Hour/growthInterval)
}

func (g growth) report(b *testing.B) {
	kv := g.perDay(g.after.KVBytes - g.before.KVBytes)
	audit := g.perDay(g.after.AuditBytes - g.before.AuditBytes)
	b.ReportMetric((kv+audit)/float64(g.fleet), "B/instance/day")
	b.ReportMetric(kv/float64(g.fleet), "kv-B/instance/day")
	b.ReportMetric(audit/float64(g.fleet), "audit-B/instance/day")
	b.ReportMetric(float64(g.after.Records-g.before.Records)/float64(g.cycles), "records/cycle")
	b.ReportMetric(float64(g.replaced), "replaced")
	// Retention of the last simulated hour (history and audit compacted to
	// the middle of the run) keeps the current state and that hour: what
	// stays is bounded by the window, not by the age of the cluster.
	b.ReportMetric(float64(g.halfKept.Bytes())/float64(g.fleet), "kept-1h-B/instance")
	b.Logf("fleet %d: store %d → %d bytes over %d cycles (%d replaced); %.0f B/instance/day (kv %.0f, audit %.0f); keeping the last hour keeps %d bytes; file %d → %d bytes",
		g.fleet, g.before.Bytes(), g.after.Bytes(), g.cycles, g.replaced, (kv+audit)/float64(g.fleet), kv/float64(g.fleet), audit/float64(g.fleet),
		g.halfKept.Bytes(), g.fileBefore, g.fileAfter)
}

// runGrowth converges a fleet, then runs growthCycles cycles, replacing
// instances at the churn rate, and measures the store before and after.
func runGrowth(b *testing.B, fleet int, churn float64) growth {
	b.StopTimer()
	isolateAWS(b)
	sim := ec2sim.New(ec2sim.Options{Seed: 1, Lifecycle: &ec2sim.Lifecycle{}})
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	ta := startTestAgent(b)
	e, err := New(ta.agent, Options{Providers: AWSProviders(url, nil), Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	cloud, err := aws.New(context.Background(), aws.Options{Region: "us-east-1", Endpoint: url})
	if err != nil {
		b.Fatal(err)
	}
	converge(b, e, fleet)
	store := ta.agent.Store()
	g := growth{fleet: fleet, cycles: growthCycles, before: usage(b, store), fileBefore: store.SizeBytes()}
	perCycle := float64(fleet) * churn * growthInterval.Hours()
	rng := rand.New(rand.NewPCG(uint64(fleet), 7))
	var mid uint64
	b.StartTimer()
	for i := 1; i <= growthCycles; i++ {
		for range int(float64(i)*perCycle) - int(float64(i-1)*perCycle) { // the churn, spread evenly
			terminateOne(b, sim, cloud, rng)
			g.replaced++
		}
		cycle(b, e, transport.ReconcileRequest{})
		if i == growthCycles/2 {
			mid = store.CurrentRevision()
		}
	}
	b.StopTimer()
	g.after, g.fileAfter = usage(b, store), store.SizeBytes()
	half, err := store.PlanCompaction(mid, mid)
	if err != nil {
		b.Fatal(err)
	}
	g.halfKept = half.Kept
	return g
}

// converge applies a file of one group of fleet instances and runs until a
// cycle changes nothing.
func converge(b *testing.B, e *Engine, fleet int) {
	y := fmt.Sprintf("version: v1\nprovider: aws\nregion: us-east-1\nresources:\n"+
		"  - {name: web, type: ec2, count: %d, size: t3.micro, image: %s}\n", fleet, ec2sim.NewestAL2023)
	cfg, err := reconcile.ParseConfig("infrastructure.yaml", []byte(y))
	if err != nil {
		b.Fatal(err)
	}
	cycle(b, e, transport.ReconcileRequest{Config: &cfg.Config, Source: cfg.Source, Digest: cfg.Digest})
	for range 5 {
		cycle(b, e, transport.ReconcileRequest{})
	}
}

// cycle runs one reconcile cycle.
func cycle(b *testing.B, e *Engine, req transport.ReconcileRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Reconcile(ctx, req, func(wal.Record) {}); err != nil {
		b.Fatalf("cycle: %v", err)
	}
}

// terminateOne terminates a random running instance outside Ovi (a spot
// reclaim, a failed host).
func terminateOne(b *testing.B, sim *ec2sim.Server, cloud *aws.Provider, rng *rand.Rand) {
	var live []string
	for _, in := range sim.Instances() {
		if in.State == ec2sim.StateRunning {
			live = append(live, in.ID)
		}
	}
	if len(live) == 0 {
		b.Fatal("no running instance to terminate")
	}
	if _, err := cloud.Delete(context.Background(), []string{live[rng.IntN(len(live))]}); err != nil {
		b.Fatalf("terminate: %v", err)
	}
}

// usage is everything the store holds: what a compaction to nothing keeps.
func usage(b *testing.B, store *mvcc.Store) mvcc.Usage {
	p, err := store.PlanCompaction(0, 0)
	if err != nil {
		b.Fatal(err)
	}
	return p.Kept
}

// isolateAWS points the SDK at nothing but the dummy credentials the
// simulator accepts.
func isolateAWS(b *testing.B) {
	dir := b.TempDir()
	for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION",
		"AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		b.Setenv(k, "")
	}
	b.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	b.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	b.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	b.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
}
