package cluster

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yairfalse/ovi/transport"
)

// listenerCounters are the admission counters of the agent's listeners,
// set as each listener is created (before the HTTP server serves
// /metrics).
type listenerCounters struct {
	http, raft, gossip *transport.ConnCounter
}

// connCollector exports the listeners' connection limits at scrape time.
type connCollector struct {
	a                       *Agent
	open, refused, timedOut *prometheus.Desc
}

func newConnCollector(a *Agent) connCollector {
	l := []string{"listener"}
	return connCollector{a: a,
		open: prometheus.NewDesc("ovi_listener_connections",
			"Connections a listener holds now (http, raft, gossip); bounded by its limits.", l, nil),
		refused: prometheus.NewDesc("ovi_listener_refused_total",
			"Connections closed at accept because the listener's total or per-address limit was reached.", l, nil),
		timedOut: prometheus.NewDesc("ovi_listener_silent_closed_total",
			"Connections closed for sending nothing within the first-byte bound (http, raft).", l, nil),
	}
}

// Describe implements prometheus.Collector.
func (c connCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.refused
	ch <- c.timedOut
}

// Collect implements prometheus.Collector.
func (c connCollector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range []struct {
		name string
		cc   *transport.ConnCounter
	}{{"http", c.a.conns.http}, {"raft", c.a.conns.raft}, {"gossip", c.a.conns.gossip}} {
		if l.cc == nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(l.cc.Open()), l.name)
		ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(l.cc.Refused()), l.name)
		if l.name != "gossip" {
			ch <- prometheus.MustNewConstMetric(c.timedOut, prometheus.CounterValue, float64(l.cc.TimedOut()), l.name)
		}
	}
}
