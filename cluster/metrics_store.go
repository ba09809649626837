package cluster

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// fsmApplyBuckets are the upper bounds (seconds) of the FSM apply
// histogram: one entry's commit takes ~0.1–0.3 ms on an idle machine, a
// batch of hundreds some milliseconds.
func fsmApplyBuckets() []float64 {
	return []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}
}

// fsmMetrics measure the FSM's applies on this node (fed by
// fsm.WithApplyObserver from Raft's FSM goroutine).
type fsmMetrics struct {
	apply prometheus.Histogram
	logs  prometheus.Counter
}

func newFSMMetrics() *fsmMetrics {
	return &fsmMetrics{
		apply: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ovi_fsm_apply_duration_seconds",
			Help:    "Duration of one FSM apply: a batch of committed Raft entries decoded and committed to the store (on the leader, part of every proposal's latency).",
			Buckets: fsmApplyBuckets(),
		}),
		logs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ovi_fsm_applied_logs_total",
			Help: "Raft logs handed to the FSM (divided by the apply count: entries per store commit).",
		}),
	}
}

// observe is the FSM's ApplyObserver.
func (m *fsmMetrics) observe(logs int, took time.Duration) {
	m.apply.Observe(took.Seconds())
	m.logs.Add(float64(logs))
}

// storeSyncCollector reads the store's durability and commit figures at
// scrape time.
type storeSyncCollector struct {
	a                            *Agent
	syncs, seconds, last, failed *prometheus.Desc
	commits, entries, commitSecs *prometheus.Desc
	buffered                     *prometheus.Desc
}

func newStoreSyncCollector(a *Agent) storeSyncCollector {
	return storeSyncCollector{a: a,
		syncs: prometheus.NewDesc("ovi_store_syncs_total",
			"Times the store (state.db) was made durable (fdatasync, then its sync marker clean).", nil, nil),
		seconds: prometheus.NewDesc("ovi_store_sync_seconds_total", "Time spent making the store durable.", nil, nil),
		last:    prometheus.NewDesc("ovi_store_last_sync_duration_seconds", "Duration of the last store sync.", nil, nil),
		failed: prometheus.NewDesc("ovi_store_sync_failed",
			"1 if a store sync failed: every later commit fails until the node restarts and rebuilds the store.", nil, nil),
		commits: prometheus.NewDesc("ovi_store_commits_total",
			"bbolt transactions that wrote the store's buffered entries (store_commit_interval).", nil, nil),
		entries: prometheus.NewDesc("ovi_store_committed_entries_total",
			"Entries those transactions wrote (divided by ovi_store_commits_total: entries per bbolt commit).", nil, nil),
		commitSecs: prometheus.NewDesc("ovi_store_commit_seconds_total", "Time spent writing the buffered entries.", nil, nil),
		buffered:   prometheus.NewDesc("ovi_store_buffered_entries", "Applied entries not yet written to the store file (buffered, or being written).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c storeSyncCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.syncs, c.seconds, c.last, c.failed, c.commits, c.entries, c.commitSecs, c.buffered} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c storeSyncCollector) Collect(ch chan<- prometheus.Metric) {
	if c.a.store == nil {
		return
	}
	st := c.a.store.SyncStatus()
	ch <- prometheus.MustNewConstMetric(c.syncs, prometheus.CounterValue, float64(st.Syncs))
	ch <- prometheus.MustNewConstMetric(c.seconds, prometheus.CounterValue, st.Total.Seconds())
	ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, st.Last.Seconds())
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.GaugeValue, boolGauge(st.Failed))
	cs := c.a.store.CommitStats()
	ch <- prometheus.MustNewConstMetric(c.commits, prometheus.CounterValue, float64(cs.Flushes))
	ch <- prometheus.MustNewConstMetric(c.entries, prometheus.CounterValue, float64(cs.Entries))
	ch <- prometheus.MustNewConstMetric(c.commitSecs, prometheus.CounterValue, cs.Total.Seconds())
	ch <- prometheus.MustNewConstMetric(c.buffered, prometheus.GaugeValue, float64(cs.Buffered))
}
