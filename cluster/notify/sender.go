package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// recordTimeout bounds proposing one delivery record.
const recordTimeout = 10 * time.Second

// sender delivers one receiver's queue, one event at a time and in
// revision order, and records each outcome in the WAL.
type sender struct {
	r      Receiver // defaulted
	key    []byte
	q      *queue
	n      *Notifier
	logger *slog.Logger
}

// outcome is what the attempts for one event came to.
type outcome struct {
	delivered bool
	attempts  int
	status    int
	err       string
	aborted   bool // stopped before a verdict (leadership lost, reload): not recorded
}

// run sends until soft ends. HTTP requests use hard (the term), so a
// reload lets the request in flight finish and its outcome be recorded.
func (s *sender) run(hard, soft context.Context) {
	for {
		ev, ok := s.q.Pop(soft)
		if !ok {
			return
		}
		s.n.metrics.queued.WithLabelValues(s.r.Name).Set(float64(s.q.Len()))
		out := s.deliver(hard, soft, ev)
		if out.aborted {
			return
		}
		s.record(hard, ev, out)
	}
}

// deliver makes up to Retry.Attempts requests for ev.
func (s *sender) deliver(hard, soft context.Context, ev Event) outcome {
	body, err := json.Marshal(ev)
	if err != nil { // an Event always marshals; a failure is a bug worth a record
		return outcome{err: fmt.Sprintf("encode event: %v", err)}
	}
	var out outcome
	for out.attempts < s.r.Retry.Attempts {
		out.attempts++
		status, wait, err := s.post(hard, ev, body, out.attempts)
		out.status = status
		if err == nil {
			out.delivered, out.err = true, ""
			return out
		}
		out.err = oneLine(err.Error())
		if hard.Err() != nil {
			out.aborted = true
			return out
		}
		if !retryable(status) || out.attempts == s.r.Retry.Attempts {
			return out
		}
		if !sleep(soft, max(wait, s.r.Retry.Delay(out.attempts, s.n.rnd))) {
			out.aborted = true
			return out
		}
		s.n.metrics.retried.WithLabelValues(s.r.Name).Inc()
	}
	return out
}

// post makes one signed request; wait is the receiver's Retry-After.
func (s *sender) post(ctx context.Context, ev Event, body []byte, attempt int) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, s.r.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.r.URL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, fmt.Errorf("build request: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "ovi/"+s.n.version)
	h.Set(HeaderSignature, Sign(s.key, body, s.n.now()))
	h.Set(HeaderEventID, ev.ID)
	h.Set(HeaderEventType, string(ev.Type))
	h.Set(HeaderAttempt, strconv.Itoa(attempt))
	h.Set(HeaderReceiver, s.r.Name)
	resp, err := s.n.client.Do(req)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil { // the URL is in the configuration, not needed in logs
			err = inner
		}
		return 0, 0, fmt.Errorf("post: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 == 2 {
		return resp.StatusCode, 0, nil
	}
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After"), s.r.Retry.MaxBackoff), fmt.Errorf("HTTP %s", resp.Status)
}

// retryable: no answer, a timeout, throttling or a server error is worth
// another attempt; any other status will not change by asking again.
func retryable(status int) bool {
	return status == 0 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// retryAfter reads a Retry-After of seconds, capped at limit.
func retryAfter(v string, limit time.Duration) time.Duration {
	sec, err := strconv.Atoi(v)
	if err != nil || sec <= 0 {
		return 0
	}
	return min(time.Duration(sec)*time.Second, limit)
}

// record counts the outcome and commits it, so no later leader sends ev
// again. Even if the term just ended, the outcome is proposed (this node
// may still lead); failing that, the next leader sends ev again.
func (s *sender) record(ctx context.Context, ev Event, out outcome) {
	name := s.r.Name
	p := &wal.Delivery{Receiver: name, Revision: ev.Revision.Main, Sub: ev.Revision.Sub, Attempts: out.attempts,
		Status: out.status, Error: out.err, Outcome: wal.DeliveryDelivered}
	if out.delivered {
		s.n.metrics.sent.WithLabelValues(name).Inc()
	} else {
		p.Outcome = wal.DeliveryFailed
		s.n.metrics.failed.WithLabelValues(name).Inc()
		s.logger.Warn("notification not delivered; giving up on the event", "receiver", name, "event", ev.ID,
			"type", string(ev.Type), "attempts", out.attempts, "err", out.err)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.n.log.Propose(rctx, wal.Record{Kind: wal.KindDelivery, Delivery: p}); err != nil {
		s.logger.Warn("delivery progress not recorded: the next leader sends the event again", "receiver", name,
			"event", ev.ID, "err", err)
	}
}
