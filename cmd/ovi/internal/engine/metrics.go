package engine

import (
	"time"

	"github.com/yairfalse/ovi/aws"
	"github.com/yairfalse/ovi/reconcile"
)

// noMetrics is the Metrics of an engine built without any.
type noMetrics struct{}

func (noMetrics) CycleDone(reconcile.CycleOutcome)    {}
func (noMetrics) ActionDone(reconcile.ActionOutcome)  {}
func (noMetrics) APICall(aws.APICall)                 {}
func (noMetrics) RateLimitWait(string, time.Duration) {}
func (noMetrics) TermEnded()                          {}
