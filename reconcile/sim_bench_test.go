package reconcile_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// BenchmarkReconcile10000 is one full cycle against the EC2 simulator on
// 127.0.0.1 through the real aws provider (EC2-default client limits):
// 10,000 instances in the cloud (10 groups of 900 plus 1,000 of a group
// removed from the file), 10 groups of 1,000 desired. The cycle observes,
// records 10,000 observations, decides, creates 1,000 (10 launches of 100)
// and deletes 1,000 (one batch). Run it with -benchtime 1x: every
// iteration needs a fresh cloud.
func BenchmarkReconcile10000(b *testing.B) {
	isolateAWS(b)
	cfg := simConfig(b)
	var calls map[string]int
	var records int
	for range b.N {
		b.StopTimer()
		sim, url := startSim(b)
		populate(b, sim, url)
		eng, log := simEngine(b, url)
		sim.ResetCounts()
		b.StartTimer()
		rep, err := eng.Run(context.Background(), reconcile.Request{Config: &cfg})
		b.StopTimer()
		if err != nil || rep.Failures != 0 {
			b.Fatalf("run: %v (failures %d)", err, rep.Failures)
		}
		checkConverged(b, sim, rep)
		calls, records = sim.Counts(), log.RecordCount()
		again, err := eng.Run(context.Background(), reconcile.Request{})
		if err != nil || again.Changes != (reconcile.ObservedChanges{New: 1000, Gone: 1000}) ||
			log.RecordCount()-records != 2001 {
			b.Fatalf("second cycle: %v, changes %+v, %d records", err, again.Changes, log.RecordCount()-records)
		}
	}
	total := 0
	for action, n := range calls {
		total += n
		b.ReportMetric(float64(n), action+"/op")
	}
	b.ReportMetric(float64(total), "api-calls/op")
	b.ReportMetric(float64(records), "wal-records/op")
}

func isolateAWS(b testing.TB) {
	dir := b.TempDir()
	for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION",
		"AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CA_BUNDLE"} {
		b.Setenv(k, "")
	}
	b.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	b.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	b.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	b.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
}

func simConfig(b *testing.B) wal.ConfigApplied {
	var y strings.Builder
	y.WriteString("version: v1\nprovider: aws\nregion: us-east-1\n")
	y.WriteString("policy: {delete_unwanted: true, max_deletions_per_run: 1000}\nresources:\n")
	for g := range 10 {
		fmt.Fprintf(&y, "  - {name: g%d, type: ec2, count: 1000, size: t3.micro, image: %s}\n", g, ec2sim.NewestAL2023)
	}
	cfg, err := reconcile.ParseConfig("infrastructure.yaml", []byte(y.String()))
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// startSim runs a simulator whose instances are running at once.
func startSim(b testing.TB) (*ec2sim.Server, string) {
	sim := ec2sim.New(ec2sim.Options{Seed: 1, Lifecycle: &ec2sim.Lifecycle{}})
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	return sim, url
}

// simEngine is an engine over the real aws provider talking to the
// simulator at url, with an in-memory log, confirming in one cycle.
func simEngine(tb testing.TB, url string) (*reconcile.Engine, reconcile.MemoryLog) {
	tb.Helper()
	p, err := aws.New(context.Background(), aws.Options{Region: "us-east-1", Endpoint: url})
	if err != nil {
		tb.Fatal(err)
	}
	log := reconcile.NewMemoryLog()
	eng, err := reconcile.New(reconcile.Options{Provider: p, Log: log, State: log, Confirmations: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return eng, log
}

// populate launches the starting fleet with throttling off, then puts
// EC2's default buckets back (full).
func populate(b *testing.B, sim *ec2sim.Server, url string) {
	sim.SetThrottle(ec2sim.Throttle{Disabled: true})
	fast := aws.Bucket{Burst: 1000, Rate: 1000}
	p, err := aws.New(context.Background(), aws.Options{Region: "us-east-1", Endpoint: url,
		Limits: aws.Limits{RunInstances: fast, Mutating: fast, Tags: fast, Describe: fast}})
	if err != nil {
		b.Fatal(err)
	}
	launch := func(group string, n int) {
		tags := map[string]string{wal.TagManaged: "true", wal.TagGroup: group}
		_, err := p.Create(context.Background(), aws.CreateRequest{Group: group, Count: n, Size: "t3.micro",
			ImageID: ec2sim.NewestAL2023, Tags: tags, DecisionID: "seed-" + group, ClientToken: "seed-" + group})
		if err != nil {
			b.Fatal(err)
		}
	}
	for g := range 10 {
		launch(fmt.Sprintf("g%d", g), 900)
	}
	launch("old", 1000)
	sim.SetThrottle(ec2sim.Throttle{})
}

func checkConverged(b *testing.B, sim *ec2sim.Server, rep reconcile.Report) {
	live := map[string]int{}
	for _, in := range sim.Instances() {
		if in.State == ec2sim.StateTerminated || in.State == ec2sim.StateShuttingDown {
			continue
		}
		for _, t := range in.Tags {
			if t.Key == wal.TagGroup {
				live[t.Value]++
			}
		}
	}
	if rep.Changes.New != 10000 || live["old"] != 0 || live["g0"] != 1000 || live["g9"] != 1000 {
		b.Fatalf("not converged: changes %+v, live %v", rep.Changes, live)
	}
}
