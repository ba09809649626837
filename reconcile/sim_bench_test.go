package reconcile_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
)

// BenchmarkReconcile10000 is one full cycle against the EC2 simulator on
// 127.0.0.1 through the real aws provider (EC2-default client limits):
// 10,000 instances in the cloud (10 groups of 900 plus 1,000 of a group
// removed from the file), 10 groups of 1,000 desired. The cycle observes,
// records 10,002 observations (the instances and the simulator's two
// default security groups), decides, creates 1,000 (10 launches of 100)
// and deletes 1,000 (one batch); the second cycle, untimed, must plan no
// change (TestFleetConvergesInOneCycle is the same check at 200). Run it
// with -benchtime 1x: every iteration needs a fresh cloud.
func BenchmarkReconcile10000(b *testing.B) {
	isolateAWS(b)
	f := fleet{Groups: 10, Have: 900, Want: 1000, Old: 1000}
	cfg := f.config(b)
	var calls map[string]int
	var records int
	for range b.N {
		b.StopTimer()
		sim, eng, log := f.start(b)
		sim.ResetCounts()
		b.StartTimer()
		rep, err := eng.Run(context.Background(), reconcile.Request{Config: &cfg})
		b.StopTimer()
		if err != nil || rep.Failures != 0 {
			b.Fatalf("run: %v (failures %d)", err, rep.Failures)
		}
		f.checkConverged(b, sim, rep)
		calls, records = sim.Counts(), log.RecordCount()
		f.settle(b, sim, eng, log)
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
