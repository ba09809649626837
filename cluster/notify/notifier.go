package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// Tail tuning.
const (
	tailChunk  = 256             // records read from the log at a time
	retryEvery = 2 * time.Second // wait before trying again to read progress or for the format gate
)

// ErrNotLeader is what Log.Propose returns when this node does not lead:
// delivery records are never forwarded, so a deposed leader's late record
// cannot land after the new leader's.
var ErrNotLeader = errors.New("notify: not the leader")

// Committed is a committed WAL record at its revision.
type Committed struct {
	Pos    Position
	Record wal.Record
}

// Log is what the notifier needs from the agent.
type Log interface {
	// Records returns up to limit committed records strictly after pos
	// that can be events, in revision order.
	Records(after Position, limit int) ([]Committed, error)
	// Changed returns a channel closed after the next commit.
	Changed() <-chan struct{}
	// Applied is the last applied revision.
	Applied() uint64
	// Progress is the receiver's latest delivery record, nil if none.
	Progress(receiver string) (*wal.Delivery, error)
	// Propose commits rec on this node only if it leads (else ErrNotLeader).
	Propose(ctx context.Context, rec wal.Record) error
	// Recordable reports whether every server reads delivery records
	// (WAL format 5); until then nothing is sent.
	Recordable() bool
}

// Options configure a Notifier.
type Options struct {
	Log     Log
	Logger  *slog.Logger
	Metrics *Metrics
	Version string
	Client  *http.Client     // nil: a client without redirects
	Now     func() time.Time // nil: time.Now (the signature's timestamp)
	Rand    func() float64   // nil: math/rand (backoff jitter)
}

// Notifier sends webhook notifications while this node leads: Run once
// per term. Receivers may change at any time (SetReceivers, on reload).
type Notifier struct {
	log     Log
	logger  *slog.Logger
	metrics *Metrics
	version string
	client  *http.Client
	now     func() time.Time
	rnd     func() float64

	mu        sync.Mutex
	receivers []Receiver
	changed   chan struct{} // closed by SetReceivers and Hold: the running term ends
	holds     int           // Hold calls not released yet: no term sends
	sending   int           // terms with receivers running (counted by current, uncounted by ended)
	idle      chan struct{} // closed when sending drops to 0
}

// New returns a notifier without receivers.
func New(o Options) *Notifier {
	n := &Notifier{log: o.Log, logger: o.Logger, metrics: o.Metrics, version: o.Version, client: o.Client,
		now: o.Now, rnd: o.Rand, changed: make(chan struct{})}
	if n.logger == nil {
		n.logger = slog.Default()
	}
	if n.metrics == nil {
		n.metrics = NewMetrics(nil)
	}
	if n.client == nil {
		n.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if n.now == nil {
		n.now = time.Now
	}
	if n.rnd == nil {
		n.rnd = jitter
	}
	return n
}

// SetReceivers replaces the receivers (validated by the caller). A
// running term switches to them once the requests in flight finish.
func (n *Notifier) SetReceivers(rs []Receiver) {
	out := make([]Receiver, len(rs))
	for i := range rs {
		out[i] = rs[i].WithDefaults()
		n.metrics.touch(out[i].Name)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.receivers = out
	n.restartLocked()
}

// restartLocked ends the running term; Run starts the next one.
func (n *Notifier) restartLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// current is what the next term serves: no receivers while held. A term
// with receivers is counted in sending; the caller calls ended once it
// is over.
func (n *Notifier) current() ([]Receiver, <-chan struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.holds > 0 || len(n.receivers) == 0 {
		return nil, n.changed
	}
	if n.sending == 0 {
		n.idle = make(chan struct{})
	}
	n.sending++
	return n.receivers, n.changed
}

// ended uncounts a term with receivers that is over.
func (n *Notifier) ended() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sending--; n.sending == 0 {
		close(n.idle)
	}
}

// Hold stops the running term's senders — the request in flight is
// answered and recorded first, as on a reload — and starts none until
// release is called; the next term then resumes every receiver from its
// recorded progress, as a new leader does. A snapshot restore holds the
// notifier while it replaces the state, every receiver's progress with
// it: a term that went on from its own position would send events the
// restored state records delivered, or the whole restored history to a
// receiver it does not know. It returns ctx's error if the senders are
// still busy when ctx ends (nothing is held then).
func (n *Notifier) Hold(ctx context.Context) (release func(), err error) {
	n.mu.Lock()
	n.holds++
	n.restartLocked()
	busy, idle := n.sending > 0, n.idle
	n.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			n.holds--
			n.restartLocked()
		})
	}
	if !busy {
		return release, nil
	}
	select {
	case <-idle: // every term with receivers has ended
		return release, nil
	case <-ctx.Done():
		release()
		return nil, fmt.Errorf("notify: waiting for the senders to stop: %w", ctx.Err())
	}
}

// Run delivers notifications until ctx (the leadership term) ends.
func (n *Notifier) Run(ctx context.Context) {
	for ctx.Err() == nil {
		rs, changed := n.current()
		soft, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if len(rs) > 0 {
				defer n.ended()
			}
			n.term(ctx, soft, rs)
		}()
		select {
		case <-ctx.Done():
		case <-changed:
		}
		cancel()
		<-done
	}
}

// term serves rs until soft ends: the senders, then the tail feeding them.
func (n *Notifier) term(hard, soft context.Context, rs []Receiver) {
	if len(rs) == 0 || !n.gate(soft) {
		<-soft.Done()
		return
	}
	feeds, err := n.start(soft, rs)
	if err != nil {
		return
	}
	var wg sync.WaitGroup
	for _, f := range feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.s.run(hard, soft)
		}()
	}
	n.tail(soft, feeds)
	wg.Wait()
}

// gate waits until delivery records can be written (every server reads
// format 5): sending without recording would resend after a failover.
func (n *Notifier) gate(ctx context.Context) bool {
	warned := false
	for !n.log.Recordable() {
		if !warned {
			n.logger.Warn("notifications paused: a server runs a build that does not read delivery records (finish the upgrade)")
			warned = true
		}
		if !sleep(ctx, retryEvery) {
			return false
		}
	}
	return true
}

// feed is one receiver of a term: where it resumes and its sender.
type feed struct {
	after Position // events at or before this were delivered or given up by an earlier leader
	s     *sender
}

// start reads (or, for a new receiver, records) each receiver's progress
// and builds its sender; it retries until soft ends.
func (n *Notifier) start(soft context.Context, rs []Receiver) ([]*feed, error) {
	feeds := make([]*feed, 0, len(rs))
	for i := range rs {
		for {
			f, err := n.feedOf(soft, rs[i])
			if err == nil {
				feeds = append(feeds, f)
				break
			}
			n.logger.Warn("notifications: reading delivery progress failed; retrying", "receiver", rs[i].Name, "err", err)
			if !sleep(soft, retryEvery) {
				return nil, soft.Err()
			}
		}
	}
	return feeds, nil
}

func (n *Notifier) feedOf(ctx context.Context, r Receiver) (*feed, error) {
	key, err := r.Key()
	if err != nil {
		return nil, fmt.Errorf("receiver %s: %w", r.Name, err)
	}
	p, err := n.log.Progress(r.Name)
	if err != nil {
		return nil, fmt.Errorf("receiver %s: %w", r.Name, err)
	}
	if p == nil { // a new receiver starts after what is committed now
		p = &wal.Delivery{Receiver: r.Name, Revision: n.log.Applied(), Sub: math.MaxUint32, Outcome: wal.DeliveryStart}
		if err := n.log.Propose(ctx, wal.Record{Kind: wal.KindDelivery, Delivery: p}); err != nil {
			return nil, fmt.Errorf("receiver %s: record its start: %w", r.Name, err)
		}
		n.logger.Info("notifications: new receiver starts after revision", "receiver", r.Name, "revision", p.Revision)
	}
	s := &sender{r: r, key: key, q: newQueue(r.QueueSize), n: n, logger: n.logger}
	return &feed{after: Position{Main: p.Revision, Sub: p.Sub}, s: s}, nil
}

// tail reads committed records from the earliest receiver's progress on
// and queues each event for the receivers that want it and have not had it.
func (n *Notifier) tail(ctx context.Context, feeds []*feed) {
	pos := feeds[0].after
	for _, f := range feeds[1:] {
		if f.after.Less(pos) {
			pos = f.after
		}
	}
	for ctx.Err() == nil {
		changed := n.log.Changed()
		recs, err := n.log.Records(pos, tailChunk)
		if err != nil {
			n.logger.Warn("notifications: reading the log failed; retrying", "after", wal.EventID(pos.Main, pos.Sub), "err", err)
			sleep(ctx, retryEvery)
			continue
		}
		for i := range recs {
			n.dispatch(feeds, &recs[i])
			pos = recs[i].Pos
		}
		if len(recs) == tailChunk {
			continue
		}
		select {
		case <-ctx.Done():
		case <-changed:
		}
	}
}

// dispatch queues the event of c (if it is one) for every receiver that
// wants it; a full queue drops it, counted and logged.
func (n *Notifier) dispatch(feeds []*feed, c *Committed) {
	ev, ok := FromRecord(c.Pos, &c.Record)
	if !ok {
		return
	}
	for _, f := range feeds {
		if !f.after.Less(c.Pos) || !f.s.r.wants(ev.Type) {
			continue
		}
		name := f.s.r.Name
		if !f.s.q.Push(ev) {
			n.metrics.dropped.WithLabelValues(name).Inc()
			n.logger.Warn("notification dropped: the receiver's queue is full", "receiver", name, "event", ev.ID,
				"type", string(ev.Type), "queue_size", f.s.r.QueueSize)
			continue
		}
		n.metrics.queued.WithLabelValues(name).Set(float64(f.s.q.Len()))
	}
}

// sleep waits d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
