package mvcc

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// Deferred commit (Options.CommitInterval > 0), the way etcd's backend
// batches its bbolt transactions: Commit validates the entries, copies them
// into memory and returns; the store writes what it holds in one bbolt
// transaction every CommitInterval, when the buffer is full, and before
// anything looks at the file — every read, every other write transaction
// (compaction), Sync, a snapshot, a restore and Close. So nothing ever
// reads a state without the buffered entries: the buffer is only ever the
// tail after everything in the file, and AppliedIndex counts it.
//
// A bbolt commit costs its dirty pages (every bucket's root-to-leaf path,
// one pwrite each), not its entries: writing many entries at once shares
// the paths. A process killed with entries still buffered loses them from
// the store only: they are in the Raft log, and the next start replays the
// log after the store's applied index. A failed write of the buffer is
// sticky, as a failed fsync is: commits and reads fail until the node
// restarts and replays.

// Limits of the buffer: past either, Commit writes it at once.
const (
	maxPendingEntries = 8192
	maxPendingBytes   = 16 << 20
)

// pendingBuf holds the entries Commit accepted and the file does not hold
// yet, oldest first.
type pendingBuf struct {
	mu      sync.Mutex
	entries []Entry
	bytes   int
	n       atomic.Int64 // len(entries), read without mu
	// inflight counts the entries taken and not yet written: it is set
	// before n drops and cleared once they are in the file, so a reader
	// that loads n, then inflight, and sees both 0 finds the file whole.
	inflight atomic.Int64
	err      error // a failed write of the buffer; sticky
}

// add copies entries into the buffer and reports whether it is full.
func (p *pendingBuf) add(entries []Entry) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return false, p.err
	}
	for i := range entries {
		e, n := copyEntry(&entries[i])
		p.entries = append(p.entries, e)
		p.bytes += n
	}
	p.n.Store(int64(len(p.entries)))
	return len(p.entries) >= maxPendingEntries || p.bytes >= maxPendingBytes, nil
}

// take empties the buffer and returns what it held, or its sticky error.
func (p *pendingBuf) take() ([]Entry, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return nil, p.err
	}
	out := p.entries
	p.inflight.Store(int64(len(out)))
	p.entries, p.bytes = nil, 0
	p.n.Store(0)
	return out, nil
}

// empty reports whether the file holds every accepted entry.
func (p *pendingBuf) empty() bool { return p.n.Load() == 0 && p.inflight.Load() == 0 }

// fail makes err sticky.
func (p *pendingBuf) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

// failed returns the sticky error, if any.
func (p *pendingBuf) failed() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// copyEntry copies the bytes of e the caller may reuse after Commit (the
// values and encodings alias the Raft log's buffer) into one allocation,
// and returns the copy and its size.
func copyEntry(e *Entry) (Entry, int) {
	n := 0
	for i := range e.Ops {
		n += len(e.Ops[i].Value)
	}
	for _, enc := range e.Encoded {
		n += len(enc)
	}
	buf := make([]byte, 0, n)
	keep := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		buf = append(buf, b...)
		return buf[len(buf)-len(b) : len(buf) : len(buf)]
	}
	c := *e
	c.Ops = make([]Op, len(e.Ops))
	for i, op := range e.Ops {
		c.Ops[i] = Op{Type: op.Type, Key: op.Key, Value: keep(op.Value)}
	}
	if e.Encoded != nil {
		c.Encoded = make([][]byte, len(e.Encoded))
		for i, enc := range e.Encoded {
			c.Encoded[i] = keep(enc)
		}
	}
	c.Records = append([]wal.Record(nil), e.Records...)
	return c, n + 64*(len(e.Ops)+len(e.Records))
}

// deferCommit is Commit with a commit interval: the entries after the
// applied index join the buffer, the applied index moves on, and the
// buffer is written at once if it is full. The caller holds s.mu (shared)
// and has validated the entries.
func (s *Store) deferCommit(entries []Entry) error {
	if s.syncFailed.Load() {
		return s.flushSerial() // the sticky sync error
	}
	applied, _ := s.AppliedIndex()
	first := 0
	for first < len(entries) && entries[first].Index <= applied {
		first++
	}
	if first == len(entries) {
		return nil
	}
	full, err := s.pend.add(entries[first:])
	if err != nil {
		return err
	}
	s.mergeState(acceptedState(entries[first:]), true)
	if full {
		return s.flushSerial()
	}
	return nil
}

// acceptedState is what accepting entries into the buffer tells readers
// at once: the applied index and term, and the compactions they schedule
// (CompactedRevision, AuditCompactedRevision), as the commit of the
// entries will write them.
func acceptedState(entries []Entry) metaState {
	last := entries[len(entries)-1]
	st := metaState{applied: last.Index, term: last.Term}
	for i := range entries {
		st.scheduled = max(st.scheduled, min(entries[i].Compact, entries[i].Index))
		st.audit = max(st.audit, min(entries[i].CompactAudit, entries[i].Index))
	}
	return st
}

// flushSerial writes the buffer as the store's only writer (an empty
// buffer only reports a sticky error). The caller holds s.mu (shared or
// exclusive).
func (s *Store) flushSerial() error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.syncErr != nil {
		return s.syncErr
	}
	return s.flushLocked()
}

// flushLocked writes the buffer in one transaction. The caller holds s.mu
// and s.syncMu. A failure is sticky: the entries are gone from the buffer
// and the file does not hold them.
func (s *Store) flushLocked() error {
	entries, err := s.pend.take()
	if err != nil || len(entries) == 0 {
		return err
	}
	defer s.pend.inflight.Store(0) // written, or failed for good (sticky)
	start := time.Now()
	if err := s.commitLocked(entries, false); err != nil {
		err = fmt.Errorf("mvcc: write %d buffered entries (indexes %d-%d): %w",
			len(entries), entries[0].Index, entries[len(entries)-1].Index, err)
		s.pend.fail(err)
		s.log.Error("store cannot write its buffered entries; commits and reads fail until the node restarts and replays its log", "err", err)
		return err
	}
	s.flushes.Add(1)
	s.flushedEntries.Add(int64(len(entries)))
	s.flushNanos.Add(time.Since(start).Nanoseconds())
	return nil
}

// flushForRead writes the buffer, if it holds anything, before a read or a
// write transaction other than a commit. The caller holds s.mu.
func (s *Store) flushForRead() error {
	if s.opts.CommitInterval <= 0 {
		return nil
	}
	if s.pend.empty() {
		return s.pend.failed()
	}
	return s.flushSerial()
}

// flusher writes the buffer every CommitInterval until Close (and the
// memory part of the resource index when it is due).
func (s *Store) flusher() {
	s.every(s.opts.CommitInterval, s.flusherDone, "scheduled write of the buffered entries failed", func() error {
		err := s.flushNow()
		s.spillIfDue()
		return err
	})
}

// every runs fn every d until Close, logging its failures as what, then
// closes exited.
func (s *Store) every(d time.Duration, exited chan struct{}, what string, fn func() error) {
	defer close(exited)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			if err := fn(); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Error(what, "err", err)
			}
		}
	}
}

// flushNow writes the buffer if it holds anything.
func (s *Store) flushNow() error {
	if s.pend.n.Load() == 0 {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	return s.flushSerial()
}

// CommitStats reports the store's bbolt commits of buffered entries (with
// Options.CommitInterval): how many, the entries they wrote and the time
// they took.
type CommitStats struct {
	Flushes, Entries uint64
	Total            time.Duration
	Buffered         int // entries applied and not written yet: buffered, or being written
}

// CommitStats reports the writes of the buffer so far.
func (s *Store) CommitStats() CommitStats {
	n := s.pend.n.Load() // then inflight: an entry moves from n to inflight, never back
	return CommitStats{Flushes: uint64(s.flushes.Load()), Entries: uint64(s.flushedEntries.Load()),
		Total: time.Duration(s.flushNanos.Load()), Buffered: int(n + s.pend.inflight.Load())}
}
