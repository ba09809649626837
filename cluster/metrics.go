package cluster

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// applyBuckets are the upper bounds (seconds) of the apply latency histogram.
func applyBuckets() []float64 {
	return []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// metrics holds the agent's own counters; Raft and store figures are read
// at scrape time.
type metrics struct {
	mu      sync.Mutex
	bounds  []float64
	counts  []uint64 // per bucket (non-cumulative)
	sum     float64
	count   uint64
	started time.Time
}

func newMetrics() *metrics {
	b := applyBuckets()
	return &metrics{bounds: b, counts: make([]uint64, len(b)+1), started: time.Now()}
}

// observeApply records the latency of one local raft.Apply (append,
// replicate to a quorum, apply to the FSM).
func (m *metrics) observeApply(d time.Duration) {
	s := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	i := 0
	for i < len(m.bounds) && s > m.bounds[i] {
		i++
	}
	m.counts[i]++
	m.sum += s
	m.count++
}

// writeHistogram writes the apply latency histogram.
func (m *metrics) writeHistogram(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	const name = "ovi_raft_apply_duration_seconds"
	_, _ = fmt.Fprintf(w, "# HELP %s Latency of proposals applied on this node as leader.\n# TYPE %s histogram\n", name, name)
	var cum uint64
	for i, b := range m.bounds {
		cum += m.counts[i]
		_, _ = fmt.Fprintf(w, "%s_bucket{le=\"%g\"} %d\n", name, b, cum)
	}
	cum += m.counts[len(m.bounds)]
	_, _ = fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %g\n%s_count %d\n", name, cum, name, m.sum, name, m.count)
}

// gauge writes one gauge with help text.
func gauge(w io.Writer, name, help string, v float64) {
	_, _ = fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
}

// handleMetrics serves GET /metrics in the Prometheus text format.
func (a *Agent) handleMetrics(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	leader := 0.0
	if a.raft.State() == raft.Leader {
		leader = 1
	}
	contact := 0.0
	if leader == 0 {
		if lc := a.raft.LastContact(); !lc.IsZero() {
			contact = time.Since(lc).Seconds()
		} else {
			contact = -1
		}
	}
	applied, _ := a.store.AppliedIndex()
	gauge(w, "ovi_raft_leader", "1 if this node is the Raft leader.", leader)
	gauge(w, "ovi_raft_term", "Current Raft term.", float64(a.raft.CurrentTerm()))
	gauge(w, "ovi_raft_last_contact_seconds", "Seconds since a follower last heard from the leader (0 on the leader, -1 never).", contact)
	gauge(w, "ovi_raft_last_index", "Index of the last log entry.", float64(a.raft.LastIndex()))
	gauge(w, "ovi_raft_commit_index", "Raft commit index known to this node.", float64(a.raft.CommitIndex()))
	gauge(w, "ovi_raft_applied_index", "Raft applied index (handed to the FSM).", float64(a.raft.AppliedIndex()))
	gauge(w, "ovi_fsm_applied_index", "Index applied to the store (the current revision).", float64(applied))
	gauge(w, "ovi_fsm_compacted_revision", "Revision below which KV history was compacted.", float64(a.store.CompactedRevision()))
	gauge(w, "ovi_fsm_size_bytes", "Size of the store's bbolt file.", float64(a.store.SizeBytes()))
	gauge(w, "ovi_raft_peers", "Servers in the Raft configuration.", float64(a.peerCount()))
	gauge(w, "ovi_uptime_seconds", "Seconds since the agent started.", time.Since(a.metrics.started).Seconds())
	a.metrics.writeHistogram(w)
	return a.prom.write(w)
}
