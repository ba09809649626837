package main

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/cmd/ovi/internal/engine"
	"github.com/yairfalse/ovi/reconcile"
)

// agentMetrics turns what the reconciler and the AWS provider report into
// Prometheus metrics on the agent's registry (served on /metrics with the
// cluster's own), and into one log line per cycle and per action outcome
// (cyclelog.go). Labels are kinds, actions, drift types, outcomes, result
// and reason classes, EC2 operations and error codes: bounded sets, never
// resource ids. docs/operations.md lists every metric.
type agentMetrics struct {
	cycles        *prometheus.CounterVec // result, dry_run
	cycleDuration prometheus.Histogram
	lastSuccess   prometheus.Gauge
	observed      *prometheus.GaugeVec   // kind
	drift         *prometheus.GaugeVec   // kind, drift
	refusals      *prometheus.GaugeVec   // kind, reason
	holds         *prometheus.GaugeVec   // kind, reason
	actions       *prometheus.CounterVec // kind, action, outcome
	apiRequests   *prometheus.CounterVec // action, error_code
	apiDuration   *prometheus.HistogramVec
	apiThrottled  *prometheus.CounterVec // action
	limitWait     *prometheus.CounterVec // bucket
	limitWaits    *prometheus.CounterVec // bucket

	log *cycleLog
}

// Compile-time checks: the metrics fit both seams.
var (
	_ reconcile.Metrics = (*agentMetrics)(nil)
	_ aws.APIMetrics    = (*agentMetrics)(nil)
	_ engine.Metrics    = (*agentMetrics)(nil)
)

func newAgentMetrics(reg prometheus.Registerer, log *cycleLog) *agentMetrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	m := &agentMetrics{
		cycles: counter("ovi_reconcile_cycles_total", "Reconcile cycles run on this node, by result (success, partial, error, no_config) and dry_run.", "result", "dry_run"),
		cycleDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ovi_reconcile_cycle_duration_seconds",
			Help: "Duration of real (not dry-run) reconcile cycles.", Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ovi_reconcile_last_success_timestamp_seconds",
			Help: "Unix time of the end of the last real cycle on this node that completed (success or partial)."}),
		observed:    gauge("ovi_reconcile_observed_resources", "Live resources the last cycle on this leader observed, by kind.", "kind"),
		drift:       gauge("ovi_reconcile_drift_resources", "Resources of the last cycle on this leader by kind and drift (in-sync, missing, unwanted, drifted, unmanaged).", "kind", "drift"),
		refusals:    gauge("ovi_reconcile_refusals", "Refused actions in the last cycle on this leader, by kind and reason class.", "kind", "reason"),
		holds:       gauge("ovi_reconcile_holds", "Held actions in the last cycle on this leader, by kind and reason class.", "kind", "reason"),
		actions:     counter("ovi_reconcile_actions_total", "Actions by kind, action and outcome (executed, failed, unknown).", "kind", "action", "outcome"),
		apiRequests: counter("ovi_aws_api_requests_total", "EC2 request attempts (retries included) by operation and error code (none on success).", "action", "error_code"),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ovi_aws_api_request_duration_seconds",
			Help: "Duration of EC2 request attempts by operation.", Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}}, []string{"action"}),
		apiThrottled: counter("ovi_aws_api_throttled_total", "EC2 request attempts answered with a throttling error (RequestLimitExceeded, …), by operation.", "action"),
		limitWait:    counter("ovi_aws_rate_limit_wait_seconds_total", "Time requests waited in Ovi's client-side token buckets, by bucket.", "bucket"),
		limitWaits:   counter("ovi_aws_rate_limit_waits_total", "Requests that waited in Ovi's client-side token buckets, by bucket.", "bucket"),
		log:          log,
	}
	reg.MustRegister(m.cycles, m.cycleDuration, m.lastSuccess, m.observed, m.drift, m.refusals, m.holds, m.actions,
		m.apiRequests, m.apiDuration, m.apiThrottled, m.limitWait, m.limitWaits)
	m.startAtZero()
	return m
}

// startAtZero creates every counter series of the bounded label sets, so
// rates and alerts see 0 rather than no data before the first event.
func (m *agentMetrics) startAtZero() {
	for _, r := range []string{reconcile.ResultSuccess, reconcile.ResultPartial, reconcile.ResultError, reconcile.ResultNoConfig} {
		m.cycles.WithLabelValues(r, "false")
		m.cycles.WithLabelValues(r, "true")
	}
	for _, k := range reconcile.MetricKinds() {
		for _, a := range reconcile.MetricActions() {
			for _, o := range []string{reconcile.OutcomeExecuted, reconcile.OutcomeFailed, reconcile.OutcomeUnknown} {
				m.actions.WithLabelValues(k, a, o)
			}
		}
	}
	for _, op := range aws.Operations() {
		m.apiRequests.WithLabelValues(op, aws.ErrorNone)
		m.apiThrottled.WithLabelValues(op)
	}
	for _, b := range aws.Buckets() {
		m.limitWait.WithLabelValues(b)
		m.limitWaits.WithLabelValues(b)
	}
}

// CycleDone implements reconcile.Metrics.
func (m *agentMetrics) CycleDone(c reconcile.CycleOutcome) {
	m.cycles.WithLabelValues(c.Result, strconv.FormatBool(c.Report.DryRun)).Inc()
	completed := c.Result == reconcile.ResultSuccess || c.Result == reconcile.ResultPartial
	if !c.Report.DryRun && completed {
		m.cycleDuration.Observe(c.Report.Duration.Seconds())
		m.lastSuccess.SetToCurrentTime()
		m.setPlanGauges(c)
	}
	m.log.cycle(c)
}

// setPlanGauges replaces the per-kind gauges with the cycle's plan.
func (m *agentMetrics) setPlanGauges(c reconcile.CycleOutcome) {
	m.TermEnded()
	for _, k := range c.Kinds {
		m.observed.WithLabelValues(k.Kind).Set(float64(k.Counts.Observed))
		for drift, n := range driftCounts(k.Counts) {
			m.drift.WithLabelValues(k.Kind, drift).Set(float64(n))
		}
		reasons := reconcile.WithheldReasons()
		for _, r := range reasons["refuse"] {
			m.refusals.WithLabelValues(k.Kind, r).Set(0)
		}
		for _, r := range reasons["hold"] {
			m.holds.WithLabelValues(k.Kind, r).Set(0)
		}
	}
	for _, w := range c.Withheld {
		vec := m.holds
		if w.Action == "refuse" {
			vec = m.refusals
		}
		vec.WithLabelValues(w.Kind, w.Reason).Inc()
	}
}

// driftCounts names the plan's counts by drift type (wal.Drift names).
func driftCounts(c reconcile.Counts) map[string]int {
	return map[string]int{"in-sync": c.InSync, "missing": c.Missing, "unwanted": c.Unwanted, "drifted": c.Drifted, "unmanaged": c.Unmanaged}
}

// TermEnded implements engine.Metrics: it clears the gauges that
// describe the last plan, so a node that no longer leads does not keep
// reporting a fleet it no longer watches.
func (m *agentMetrics) TermEnded() {
	m.observed.Reset()
	m.drift.Reset()
	m.refusals.Reset()
	m.holds.Reset()
}

// ActionDone implements reconcile.Metrics.
func (m *agentMetrics) ActionDone(a reconcile.ActionOutcome) {
	m.actions.WithLabelValues(a.Kind, a.Action, a.Outcome).Inc()
	m.log.action(a)
}

// APICall implements aws.APIMetrics.
func (m *agentMetrics) APICall(c aws.APICall) {
	m.apiRequests.WithLabelValues(c.Action, c.ErrorCode).Inc()
	m.apiDuration.WithLabelValues(c.Action).Observe(c.Duration.Seconds())
	if c.Throttled {
		m.apiThrottled.WithLabelValues(c.Action).Inc()
	}
	m.log.apiCall()
}

// RateLimitWait implements aws.APIMetrics.
func (m *agentMetrics) RateLimitWait(bucket string, d time.Duration) {
	m.limitWait.WithLabelValues(bucket).Add(d.Seconds())
	m.limitWaits.WithLabelValues(bucket).Inc()
}
