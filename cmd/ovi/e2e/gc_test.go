//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cluster/clustertest"
)

// TestAgentGarbageCollectorPolicy: an agent started without GOGC or
// GOMEMLIMIT runs GOGC=400 with a soft memory limit of half the memory it
// may use, and says so in its log; one started with the operator's GOGC
// and GOMEMLIMIT keeps them (both read from the runtime's own gauges on
// /metrics).
func TestAgentGarbageCollectorPolicy(t *testing.T) {
	bin := clustertest.Binary(t)
	def := clustertest.NewNode(t, bin, "gc-default", "--bootstrap-expect", "1")
	def.Env = withoutGCEnv()
	op := clustertest.NewNode(t, bin, "gc-operator", "--bootstrap-expect", "1")
	op.Env = append(withoutGCEnv(), "GOGC=150", "GOMEMLIMIT=1GiB")
	def.Start()
	op.Start()

	half := int64(float64(cluster.AvailableMemory("/")) * 0.5)
	checkGC(t, def, 400, half)
	checkGC(t, op, 150, 1<<30)
	if log := def.Log(); !strings.Contains(log, "garbage collector policy") || !strings.Contains(log, "gogc=400 gogc_from=default") {
		t.Errorf("the default agent's log does not state its GC policy:\n%s", log)
	}
	if log := op.Log(); !strings.Contains(log, "gogc=150 gogc_from=env") || !strings.Contains(log, "memory_limit_from=env") {
		t.Errorf("the operator's agent's log does not state the environment's GC policy:\n%s", log)
	}
}

// withoutGCEnv is the test's environment without Go's GC variables.
func withoutGCEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			env = append(env, kv)
		}
	}
	return env
}

// checkGC waits for n's /metrics and checks the runtime's GC gauges.
func checkGC(t *testing.T, n *clustertest.Node, percent, limit int64) {
	t.Helper()
	var text string
	clustertest.WaitForSeen(t, n.Name+"'s /metrics", 20*time.Second, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var err error
		text, err = n.Client.Metrics(ctx)
		return err == nil, fmt.Sprint(err)
	})
	if got := runtimeGauge(t, text, "go_gc_gogc_percent"); got != percent {
		t.Errorf("%s: go_gc_gogc_percent %d, want %d", n.Name, got, percent)
	}
	if got := runtimeGauge(t, text, "go_gc_gomemlimit_bytes"); got != limit {
		t.Errorf("%s: go_gc_gomemlimit_bytes %d, want %d", n.Name, got, limit)
	}
}

// runtimeGauge reads one unlabelled sample as an integer.
func runtimeGauge(t *testing.T, text, name string) int64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("/metrics has no %s", name)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s %q: %v", name, m[1], err)
	}
	return int64(v)
}
