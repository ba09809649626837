package mvcc

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// model is a naive in-memory multi-version store: every version of every
// key in a slice, searched linearly.
type model struct {
	versions  map[string][]KeyValue // oldest first, tombstones included
	current   uint64
	compacted uint64
}

func newModel() *model { return &model{versions: make(map[string][]KeyValue)} }

func (m *model) apply(e Entry) {
	if e.Index <= m.current {
		return
	}
	for i, op := range e.Ops {
		rev := Revision{Main: e.Index, Sub: uint32(i)}
		vs := m.versions[op.Key]
		var last *KeyValue
		if len(vs) > 0 && !vs[len(vs)-1].Deleted {
			last = &vs[len(vs)-1]
		}
		switch {
		case op.Type == OpDelete && last == nil:
			continue
		case op.Type == OpDelete:
			vs = append(vs, KeyValue{Key: op.Key, ModRevision: rev, Deleted: true})
		case last != nil:
			vs = append(vs, KeyValue{Key: op.Key, Value: op.Value, ModRevision: rev, CreateRevision: last.CreateRevision, Version: last.Version + 1})
		default:
			vs = append(vs, KeyValue{Key: op.Key, Value: op.Value, ModRevision: rev, CreateRevision: rev, Version: 1})
		}
		m.versions[op.Key] = vs
	}
	m.current = e.Index
	if c := min(e.Compact, e.Index); c > m.compacted {
		m.compact(c)
	}
}

// compact keeps, per key, the newest version at or below rev unless it is
// a tombstone, and everything above rev.
func (m *model) compact(rev uint64) {
	m.compacted = rev
	for k, vs := range m.versions {
		var kept []KeyValue
		for i, v := range vs {
			newestAtOrBelow := v.ModRevision.Main <= rev && (i+1 == len(vs) || vs[i+1].ModRevision.Main > rev)
			if v.ModRevision.Main > rev || (newestAtOrBelow && !v.Deleted) {
				kept = append(kept, v)
			}
		}
		if len(kept) == 0 {
			delete(m.versions, k)
		} else {
			m.versions[k] = kept
		}
	}
}

func (m *model) get(key string, rev uint64) (KeyValue, bool) {
	var found *KeyValue
	for i, v := range m.versions[key] {
		if v.ModRevision.Main <= rev {
			found = &m.versions[key][i]
		}
	}
	if found == nil || found.Deleted {
		return KeyValue{}, false
	}
	return *found, true
}

func (m *model) list(prefix string, rev uint64) []KeyValue {
	var out []KeyValue
	for k := range m.versions {
		if strings.HasPrefix(k, prefix) {
			if kv, ok := m.get(k, rev); ok {
				out = append(out, kv)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func (m *model) diff(from, to uint64) []Change {
	var out []Change
	for k := range m.versions {
		b, okB := m.get(k, from)
		a, okA := m.get(k, to)
		if okA == okB && (!okA || bytes.Equal(a.Value, b.Value)) {
			continue
		}
		c := Change{Key: k}
		if okB {
			c.Before = &b
		}
		if okA {
			c.After = &a
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func modelKeys() []string {
	var keys []string
	for _, p := range []string{"x/", "x/z/", "y/", ""} {
		for i := range 6 {
			keys = append(keys, fmt.Sprintf("%sk%d", p, i))
		}
	}
	return keys
}

func sameKV(a, b KeyValue) bool {
	return a.Key == b.Key && bytes.Equal(a.Value, b.Value) && a.CreateRevision == b.CreateRevision &&
		a.ModRevision == b.ModRevision && a.Version == b.Version && a.Deleted == b.Deleted
}

// genEntry builds a random entry: 1-4 puts/deletes, sometimes a compaction.
func genEntry(rng *rand.Rand, index uint64, m *model, keys []string) Entry {
	e := Entry{Index: index, Term: 1 + index/500}
	for range 1 + rng.IntN(4) {
		k := keys[rng.IntN(len(keys))]
		if rng.IntN(100) < 30 {
			e.Ops = append(e.Ops, del(k))
		} else {
			e.Ops = append(e.Ops, put(k, fmt.Sprintf("v%d-%d", index, rng.IntN(3))))
		}
	}
	if rng.IntN(100) < 2 && index > m.compacted {
		e.Compact = m.compacted + 1 + rng.Uint64N(index-m.compacted+5) // may exceed index: clamped
	}
	return e
}

// TestModelProperty applies random puts, deletes and compactions to the store
// and to the model, and compares Get and List at every retained revision.
// Buffered, the store takes the commits into its buffer (Options.
// CommitInterval) and writes them on its 1 ms schedule, when a read or a
// compaction comes, or when the buffer is full.
func TestModelProperty(t *testing.T) {
	modes := []struct {
		name string
		opts Options
	}{{"direct", Options{NoSync: true}}, {"buffered", Options{NoSync: true, CommitInterval: time.Millisecond}}}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) { modelProperty(t, mode.opts) })
	}
}

func modelProperty(t *testing.T, opts Options) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, seed*7919))
			s := openTestWith(t, opts)
			s.testChunk.Store(7) // many small compaction transactions
			m := newModel()
			keys := modelKeys()
			index := uint64(0)
			for step := 0; step < 1500; {
				var batch []Entry
				for range 1 + rng.IntN(6) {
					index += 1 + uint64(rng.IntN(3)) // gaps: non-command Raft entries
					e := genEntry(rng, index, m, keys)
					m.apply(e)
					batch = append(batch, e)
					step++
				}
				mustCommit(t, s, batch...)
				if rng.IntN(100) < 2 && m.current > m.compacted {
					rev := m.compacted + 1 + rng.Uint64N(m.current-m.compacted)
					if err := s.Compact(rev); err != nil {
						t.Fatalf("Compact(%d): %v", rev, err)
					}
					m.compact(rev)
					checkSample(t, s, m, keys, rng)
				}
			}
			checkAll(t, s, m, keys)
			waitCompacted(t, s)
			checkHistory(t, s, m, keys)
			checkDiffs(t, s, m, rng)
		})
	}
}

// checkRev compares every key and a few prefixes at rev.
func checkRev(t *testing.T, s *Store, m *model, keys []string, rev uint64) {
	t.Helper()
	mrev := rev
	if rev == 0 {
		mrev = m.current
	}
	for _, k := range keys {
		got, err := s.Get(k, rev)
		want, ok := m.get(k, mrev)
		switch {
		case !ok && !errors.Is(err, ErrKeyNotFound):
			t.Fatalf("Get(%q, %d) = %+v, %v; want ErrKeyNotFound", k, rev, got, err)
		case ok && (err != nil || !sameKV(got, want)):
			t.Fatalf("Get(%q, %d) = %+v, %v; want %+v", k, rev, got, err, want)
		}
	}
	for _, p := range []string{"", "x/", "x/z", "y/", "k"} {
		got, err := s.List(p, rev)
		want := m.list(p, mrev)
		if err != nil || !slices.EqualFunc(got, want, sameKV) {
			t.Fatalf("List(%q, %d) = %+v, %v; want %+v", p, rev, got, err, want)
		}
	}
}

// checkBounds checks ErrCompacted below the compaction and
// ErrFutureRevision above the current revision.
func checkBounds(t *testing.T, s *Store, m *model) {
	t.Helper()
	if got := s.CompactedRevision(); got != m.compacted {
		t.Fatalf("CompactedRevision = %d, want %d", got, m.compacted)
	}
	if m.compacted > 1 {
		if _, err := s.Get("x/k1", m.compacted-1); !errors.Is(err, ErrCompacted) {
			t.Fatalf("Get below compaction %d: %v, want ErrCompacted", m.compacted, err)
		}
		if _, err := s.List("", 1); !errors.Is(err, ErrCompacted) {
			t.Fatalf("List at 1 with compaction %d: %v, want ErrCompacted", m.compacted, err)
		}
	}
	if _, err := s.Get("x/k1", m.current+1); !errors.Is(err, ErrFutureRevision) {
		t.Fatalf("Get at %d (current %d): %v, want ErrFutureRevision", m.current+1, m.current, err)
	}
	if _, err := s.List("x/", m.current+10); !errors.Is(err, ErrFutureRevision) {
		t.Fatalf("List in the future: %v, want ErrFutureRevision", err)
	}
}

// checkSample compares the store and the model at a sample of revisions.
func checkSample(t *testing.T, s *Store, m *model, keys []string, rng *rand.Rand) {
	t.Helper()
	checkBounds(t, s, m)
	low := max(m.compacted, 1)
	checkRev(t, s, m, keys, low)
	checkRev(t, s, m, keys, 0)
	for range 10 {
		checkRev(t, s, m, keys, low+rng.Uint64N(m.current-low+1))
	}
}

// checkAll compares the store and the model at every retained revision.
func checkAll(t *testing.T, s *Store, m *model, keys []string) {
	t.Helper()
	checkBounds(t, s, m)
	for rev := max(m.compacted, 1); rev <= m.current; rev++ {
		checkRev(t, s, m, keys, rev)
	}
}

// checkHistory compares History once compaction has finished.
func checkHistory(t *testing.T, s *Store, m *model, keys []string) {
	t.Helper()
	checkKeyDirectory(t, s, m)
	for _, k := range keys {
		got, err := s.History(k)
		want := m.versions[k]
		if len(want) == 0 {
			if !errors.Is(err, ErrKeyNotFound) {
				t.Fatalf("History(%q) = %+v, %v; want ErrKeyNotFound", k, got, err)
			}
			continue
		}
		if err != nil || !slices.EqualFunc(got, want, sameKV) {
			t.Fatalf("History(%q) =\n%+v, %v\nwant\n%+v", k, got, err, want)
		}
	}
}

// checkKeyDirectory checks the key index lists exactly the keys with a
// retained version, and holds what the file holds.
func checkKeyDirectory(t *testing.T, s *Store, m *model) {
	t.Helper()
	checkIndexMatchesFile(t, s)
	var got []string
	s.idx.mu.RLock()
	s.idx.tree.Ascend(func(ki *keyIndex) bool { got = append(got, ki.key); return true })
	s.idx.mu.RUnlock()
	var want []string
	for k, vs := range m.versions {
		if len(vs) > 0 {
			want = append(want, k)
		}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("key index = %q; want %q", got, want)
	}
}

// checkIndexMatchesFile rebuilds the key index from the file, as Open
// does, and compares it with the one the store kept up to date.
func checkIndexMatchesFile(t *testing.T, s *Store) {
	t.Helper()
	var built *index
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		built, err = buildIndex(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dump := func(ix *index) []string {
		ix.mu.RLock()
		defer ix.mu.RUnlock()
		var out []string
		ix.tree.Ascend(func(ki *keyIndex) bool {
			out = append(out, fmt.Sprintf("%s %v create %v version %d", ki.key, ki.vers, ki.create, ki.ver))
			return true
		})
		return append(out, fmt.Sprint(ix.versions, " versions"))
	}
	if got, want := dump(s.idx), dump(built); !slices.Equal(got, want) {
		t.Fatalf("key index kept by the store:\n%s\nrebuilt from the file:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// checkDiffs compares Diff between random retained revisions.
func checkDiffs(t *testing.T, s *Store, m *model, rng *rand.Rand) {
	t.Helper()
	low := max(m.compacted, 1)
	for range 200 {
		a, b := low+rng.Uint64N(m.current-low+1), low+rng.Uint64N(m.current-low+1)
		from, to := min(a, b), max(a, b)
		got, err := s.Diff(from, to)
		want := m.diff(from, to)
		eq := func(x, y Change) bool {
			return x.Key == y.Key && (x.Before == nil) == (y.Before == nil) && (x.After == nil) == (y.After == nil) &&
				(x.Before == nil || sameKV(*x.Before, *y.Before)) && (x.After == nil || sameKV(*x.After, *y.After))
		}
		if err != nil || !slices.EqualFunc(got, want, eq) {
			t.Fatalf("Diff(%d, %d) = %+v, %v; want %+v", from, to, got, err, want)
		}
	}
	if _, err := s.Diff(m.current, low); !errors.Is(err, ErrInvalidInput) && m.current != low {
		t.Fatalf("Diff backwards: %v, want ErrInvalidInput", err)
	}
}

// waitCompacted polls until background compaction has caught up.
func waitCompacted(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s.stateMu.Lock()
		st := s.state
		s.stateMu.Unlock()
		if st.finished >= st.scheduled {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("compaction did not finish: scheduled %d finished %d", st.scheduled, st.finished)
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-s.done:
			t.Fatal("store closed while waiting for compaction")
		}
	}
}
