//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// outcome is what one write through the follower was told.
type outcome struct {
	rev  uint64 // committed at this revision (answered)
	code string // else the API error code
}

// writeLog collects the outcome of every write, by its unique text.
type writeLog struct {
	mu       sync.Mutex
	outcomes map[string]outcome
	answered atomic.Int64
}

func (wl *writeLog) record(text string, o outcome) {
	wl.mu.Lock()
	wl.outcomes[text] = o
	wl.mu.Unlock()
	if o.code == "" {
		wl.answered.Add(1)
	}
}

// writeUntil runs writers closed-loop clients, each writing unique texts
// through c, until stop is closed.
func (wl *writeLog) writeUntil(c *transport.Client, writers int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				text := fmt.Sprintf("w%d-%d", w, i)
				res, err := c.Note(context.Background(), transport.NoteRequest{ResourceID: "k" + strconv.Itoa(w), Text: text})
				var apiErr *transport.APIError
				switch {
				case err == nil:
					wl.record(text, outcome{rev: res.Revision})
				case errors.As(err, &apiErr):
					wl.record(text, outcome{code: apiErr.Code})
				default:
					wl.record(text, outcome{code: "transport: " + err.Error()})
				}
			}
		})
	}
	return &wg
}

// TestForwardedBatchesSurviveLeaderKill: 64 clients write through a
// follower, which coalesces their proposals into batched requests to the
// leader; the leader is killed (SIGKILL) while batches are in flight, and
// the clients keep writing through the same follower to the next leader.
// In the log afterwards (read consistently on both survivors): every
// answered write exactly once, at the revision it was answered with; every
// outcome_unknown one at most once (never retried into a duplicate); every
// write refused with another code not at all (those codes mean it was not
// appended). The follower's counters show the proposals did go batched.
func TestForwardedBatchesSurviveLeaderKill(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	f := clustertest.Followers(nodes, l)[0]
	c, err := transport.NewClient(f.HTTPAddr(), transport.ClientOptions{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	wl := &writeLog{outcomes: map[string]outcome{}}
	stop := make(chan struct{})
	wg := wl.writeUntil(c, 64, stop)
	clustertest.WaitFor(t, "300 writes answered through the follower", 60*time.Second, func() bool { return wl.answered.Load() >= 300 })
	l.Kill()
	killedAt := wl.answered.Load()
	clustertest.WaitFor(t, "300 more writes answered after the kill", 60*time.Second, func() bool { return wl.answered.Load() >= killedAt+300 })
	close(stop)
	wg.Wait()
	survivors := clustertest.Followers(nodes, l)
	for _, s := range survivors {
		checkWritesInLog(t, s, wl.outcomes)
	}
	metrics, err := c.Metrics(clustertest.Context(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	reqs, props := metricValue(t, metrics, `ovi_forward_requests_total{wire="batch"}`), metricValue(t, metrics, `ovi_forward_proposals_total{wire="batch"}`)
	if reqs == 0 || props/reqs < 2 {
		t.Fatalf("the follower forwarded %g proposals in %g batched requests: want them coalesced (≥ 2 a request)", props, reqs)
	}
	t.Logf("%d writes, %d answered (%d after the kill); %g proposals forwarded in %g requests", len(wl.outcomes), wl.answered.Load(), wl.answered.Load()-killedAt, props, reqs)
}

// checkWritesInLog reads every note from node (consistent) and checks it
// against what each write was told.
func checkWritesInLog(t *testing.T, node *clustertest.Node, outcomes map[string]outcome) {
	t.Helper()
	ctx := clustertest.Context(t, 60*time.Second)
	var res transport.WALResponse
	clustertest.WaitFor(t, node.Name+" answers a consistent WAL read", 30*time.Second, func() bool {
		var err error
		res, err = node.Client.WAL(ctx, transport.WALQuery{Kinds: []wal.Kind{wal.KindNote}, Consistency: transport.Consistent})
		return err == nil
	})
	seen := map[string][]uint64{}
	for _, e := range res.Records {
		seen[e.Record.Note.Text] = append(seen[e.Record.Note.Text], e.Revision.Main)
	}
	codes := map[string]int{}
	for text, o := range outcomes {
		revs := seen[text]
		switch {
		case o.code == "" && (len(revs) != 1 || revs[0] != o.rev):
			t.Errorf("%s: write %q answered revision %d is in the log at %v, want exactly there once", node.Name, text, o.rev, revs)
		case o.code == transport.CodeOutcomeUnknown && len(revs) > 1:
			t.Errorf("%s: write %q (outcome_unknown) is in the log %d times: it was retried", node.Name, text, len(revs))
		case o.code != "" && o.code != transport.CodeOutcomeUnknown && len(revs) != 0:
			t.Errorf("%s: write %q refused with %s is in the log at %v", node.Name, text, o.code, revs)
		}
		if o.code != "" {
			codes[o.code]++
		}
	}
	for text := range seen {
		if _, ok := outcomes[text]; !ok {
			t.Errorf("%s: the log holds a note %q nobody wrote", node.Name, text)
		}
	}
	t.Logf("%s: %d notes in the log; refusals by code: %v", node.Name, len(res.Records), codes)
}

// metricValue reads one sample of the Prometheus text exposition.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no %s in the metrics", series)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
