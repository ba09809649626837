package cluster

import (
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// promMetrics is the agent's Prometheus registry: what the agent measures
// itself (leader changes, the interval, open intents, readiness), the Go
// runtime and process collectors, and whatever the wiring registers on
// Config.Registry (the reconciler's and the AWS provider's metrics). GET
// /metrics serves it after the Raft and store gauges of metrics.go.
type promMetrics struct {
	reg           *prometheus.Registry
	leaderChanges prometheus.Counter
	fsm           *fsmMetrics
}

// newPromMetrics registers the agent's own collectors on reg (a new
// registry if nil).
func newPromMetrics(reg *prometheus.Registry, a *Agent) *promMetrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &promMetrics{reg: reg, leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ovi_raft_leader_changes_total",
		Help: "Times this node saw a new leader elected (Raft leader observations naming a leader).",
	}), fsm: newFSMMetrics()}
	reg.MustRegister(m.leaderChanges, m.fsm.apply, m.fsm.logs, newStoreSyncCollector(a),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ovi_reconcile_interval_seconds",
			Help: "The reconcile interval in force on this node (reloadable).",
		}, func() float64 { return a.Interval().Seconds() }),
		newOpenIntentsCollector(a),
		newReadinessCollector(a),
		newConnCollector(a),
	)
	return m
}

// write appends the registry's metrics in the text format.
func (m *promMetrics) write(w io.Writer) error {
	families, err := m.reg.Gather()
	if err != nil {
		return fmt.Errorf("cluster: gather metrics: %w", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("cluster: encode metric %s: %w", f.GetName(), err)
		}
	}
	return nil
}

// observeLeaders counts the leaders Raft reports until the agent stops.
func (a *Agent) observeLeaders() {
	ch := make(chan raft.Observation, 16)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	a.raft.RegisterObserver(obs)
	defer a.raft.DeregisterObserver(obs)
	for {
		select {
		case <-a.stopCh:
			return
		case o := <-ch:
			if lo, ok := o.Data.(raft.LeaderObservation); ok && lo.LeaderID != "" {
				a.prom.leaderChanges.Inc()
				a.leaders.reported()
			}
		}
	}
}

// openIntentsCollector reads the open intents from the local store at
// scrape time, so every node reports them.
type openIntentsCollector struct {
	a             *Agent
	count, oldest *prometheus.Desc
}

func newOpenIntentsCollector(a *Agent) openIntentsCollector {
	return openIntentsCollector{a: a,
		count: prometheus.NewDesc("ovi_reconcile_open_intents",
			"Decisions without an outcome in this node's store (decided, maybe executing).", nil, nil),
		oldest: prometheus.NewDesc("ovi_reconcile_oldest_open_intent_age_seconds",
			"Age of the oldest decision without an outcome (0 when there is none).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c openIntentsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.count
	ch <- c.oldest
}

// Collect implements prometheus.Collector.
func (c openIntentsCollector) Collect(ch chan<- prometheus.Metric) {
	intents, err := c.a.fsm.OpenIntents(0)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.count, err)
		return
	}
	oldest := 0.0
	for _, in := range intents {
		if age := time.Since(in.Decided.Time).Seconds(); age > oldest {
			oldest = age
		}
	}
	ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(len(intents)))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, oldest)
}

// readinessCollector runs the readiness checks at scrape time.
type readinessCollector struct {
	a            *Agent
	ready, check *prometheus.Desc
}

func newReadinessCollector(a *Agent) readinessCollector {
	return readinessCollector{a: a,
		ready: prometheus.NewDesc("ovi_ready", "1 if this node is ready (GET /v1/health?ready answers 200).", nil, nil),
		check: prometheus.NewDesc("ovi_ready_check", "1 if the readiness check passes (leader, caught_up, store, disk).", []string{"check"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c readinessCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.ready
	ch <- c.check
}

// Collect implements prometheus.Collector.
func (c readinessCollector) Collect(ch chan<- prometheus.Metric) {
	r := c.a.Readiness(0)
	ch <- prometheus.MustNewConstMetric(c.ready, prometheus.GaugeValue, boolGauge(r.Ready))
	for _, chk := range r.Checks {
		ch <- prometheus.MustNewConstMetric(c.check, prometheus.GaugeValue, boolGauge(chk.OK), chk.Name)
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
