package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/yairfalse/ovi/wal"
)

var errNotLeader = errors.New("fake: not the leader")

// fakeLog is an in-memory, append-only WAL that also keeps the State the
// fsm key scheme would (config, resources/, decisions/, intents/,
// cycles/last). Every record is validated and round-tripped through the
// wal codec, as the real log would.
type fakeLog struct {
	mu        sync.Mutex
	records   []wal.Record
	proposals int
	// failAt, if > 0, makes proposal number failAt and all later ones fail
	// with errNotLeader (leadership lost).
	failAt int
	// crash, if set, makes every proposal fail once the process "crashed".
	crash *crashSwitch
	// afterPropose, if set, runs after each successful proposal (unlocked).
	afterPropose func(recs []wal.Record)

	config    *wal.ConfigApplied
	resources map[string]wal.Resource
	decisions map[string]wal.Record
	intents   map[string]wal.Record
	last      *wal.Record
}

func newFakeLog() *fakeLog {
	return &fakeLog{resources: map[string]wal.Resource{}, decisions: map[string]wal.Record{}, intents: map[string]wal.Record{}}
}

func (l *fakeLog) Propose(ctx context.Context, recs []wal.Record) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if l.crash.crashed() {
		return 0, errCrashed
	}
	l.mu.Lock()
	l.proposals++
	if l.failAt > 0 && l.proposals >= l.failAt {
		l.mu.Unlock()
		return 0, errNotLeader
	}
	for i := range recs {
		r, err := roundTrip(recs[i])
		if err != nil {
			l.mu.Unlock()
			return 0, err
		}
		r.Node, r.Term = "n1", 1
		l.records = append(l.records, r)
		l.apply(r)
	}
	index := uint64(l.proposals)
	hook := l.afterPropose
	l.mu.Unlock()
	if hook != nil {
		hook(recs)
	}
	return index, nil
}

func roundTrip(r wal.Record) (wal.Record, error) {
	if err := r.Validate(); err != nil {
		return wal.Record{}, err
	}
	b, err := wal.EncodeRecord(nil, &r)
	if err != nil {
		return wal.Record{}, fmt.Errorf("encode: %w", err)
	}
	return wal.DecodeRecord(b)
}

// apply maintains the fsm key scheme.
func (l *fakeLog) apply(r wal.Record) {
	switch r.Kind {
	case wal.KindObserved:
		if r.Observed.Change == wal.ChangeGone {
			delete(l.resources, r.ResourceID)
		} else {
			l.resources[r.ResourceID] = r.Observed.Resource
		}
	case wal.KindDecided:
		if d := r.Decided; !d.DryRun && (PlannedAction{Action: d.Action}).Actionable() {
			l.decisions[r.DecisionID] = r
		}
	case wal.KindExecuting:
		l.intents[r.DecisionID] = r
	case wal.KindExecuted, wal.KindFailed:
		delete(l.decisions, r.DecisionID)
		delete(l.intents, r.DecisionID)
	case wal.KindConfigApplied:
		c := *r.Config
		l.config = &c
	case wal.KindCycleSummary:
		s := r
		l.last = &s
	}
}

func (l *fakeLog) Resources(ctx context.Context) ([]wal.Resource, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]wal.Resource, 0, len(l.resources))
	for _, r := range l.resources {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b wal.Resource) int { return strings.Compare(a.ID, b.ID) })
	return out, ctx.Err()
}

func (l *fakeLog) Config(ctx context.Context) (*wal.ConfigApplied, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.config == nil {
		return nil, ctx.Err()
	}
	c := *l.config
	return &c, ctx.Err()
}

func (l *fakeLog) OpenIntents(ctx context.Context) ([]Intent, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Intent
	for id, d := range l.decisions {
		in := Intent{Decided: d}
		if ex, ok := l.intents[id]; ok {
			in.Executing = &ex
		}
		out = append(out, in)
	}
	return out, ctx.Err()
}

// all returns a copy of the log.
func (l *fakeLog) all() []wal.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wal.Record(nil), l.records...)
}

// since returns the records appended after the first n.
func (l *fakeLog) since(n int) []wal.Record { return l.all()[n:] }

func (l *fakeLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.records)
}

// kinds renders records as "kind[:action]" for order assertions.
func kinds(recs []wal.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Kind.String()
		switch {
		case r.Decided != nil:
			out[i] += ":" + r.Decided.Action.String()
		case r.Executing != nil:
			out[i] += ":" + r.Executing.Action.String()
		case r.Executed != nil:
			out[i] += ":" + r.Executed.Action.String()
		case r.Failed != nil:
			out[i] += ":" + r.Failed.Action.String() + ":" + r.Failed.Code
		}
	}
	return out
}
