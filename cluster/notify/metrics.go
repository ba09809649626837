package notify

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the notifier's counters, per receiver (label "receiver").
type Metrics struct {
	sent    *prometheus.CounterVec
	failed  *prometheus.CounterVec
	retried *prometheus.CounterVec
	dropped *prometheus.CounterVec
	queued  *prometheus.GaugeVec
}

// NewMetrics registers the notifier's metrics on reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"receiver"})
	}
	m := &Metrics{
		sent:    counter("ovi_notifications_sent_total", "Events a receiver accepted (2xx), on this node while it led."),
		failed:  counter("ovi_notifications_failed_total", "Events given up on: every attempt failed, or the receiver answered a status not worth retrying."),
		retried: counter("ovi_notifications_retries_total", "HTTP requests after the first of an event (each retry)."),
		dropped: counter("ovi_notifications_dropped_total", "Events not queued because the receiver's queue was full (a later leader may still send them)."),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ovi_notifications_queued",
			Help: "Events waiting in the receiver's queue on this node (0 on followers)."}, []string{"receiver"}),
	}
	if reg != nil {
		reg.MustRegister(m.sent, m.failed, m.retried, m.dropped, m.queued)
	}
	return m
}

// touch makes the receiver's series visible at zero.
func (m *Metrics) touch(receiver string) {
	m.sent.WithLabelValues(receiver)
	m.failed.WithLabelValues(receiver)
	m.retried.WithLabelValues(receiver)
	m.dropped.WithLabelValues(receiver)
	m.queued.WithLabelValues(receiver).Set(0)
}
