package fsm

import (
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/mvcc"
)

// Snapshot makes the store durable (a store that commits without fsync
// must hold everything up to the snapshot's index before Raft may truncate
// the log behind it), then opens a read transaction and returns; the copy
// is streamed by Persist, which Raft runs concurrently with Apply. Raft
// calls Snapshot on the goroutine that applies, so the sync covers every
// entry the snapshot holds.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	if err := f.store.Sync(); err != nil {
		return nil, fmt.Errorf("fsm: sync store before snapshot: %w", err)
	}
	sn, err := f.store.BeginSnapshot()
	if err != nil {
		return nil, fmt.Errorf("fsm: begin snapshot: %w", err)
	}
	return &snapshot{snap: sn, logger: f.logger}, nil
}

// Restore replaces the whole store with the snapshot read from rc and
// closes rc. The store validates the snapshot before swapping it in: on
// error (a corrupted or truncated snapshot) the old state is kept and
// still served.
func (f *FSM) Restore(rc io.ReadCloser) error {
	err := f.store.Restore(rc)
	if cerr := rc.Close(); cerr != nil {
		f.logger.Warn("fsm: closing snapshot source", "err", cerr)
	}
	if err != nil {
		return fmt.Errorf("fsm: restore snapshot: %w", err)
	}
	index, term := f.store.AppliedIndex()
	f.logger.Info("fsm: restored snapshot", "applied_index", index, "applied_term", term)
	return nil
}

// snapshot is a point-in-time copy of the store held open by a read
// transaction until Release.
type snapshot struct {
	snap    *mvcc.Snapshot
	logger  *slog.Logger
	release sync.Once
}

// Persist streams the store into sink, then closes it; on error it cancels
// the sink so Raft discards the partial snapshot.
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	n, err := s.snap.WriteTo(sink)
	if err != nil {
		if cerr := sink.Cancel(); cerr != nil {
			s.logger.Warn("fsm: cancelling snapshot sink", "id", sink.ID(), "err", cerr)
		}
		return fmt.Errorf("fsm: persist snapshot %s after %d bytes: %w", sink.ID(), n, err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("fsm: close snapshot sink %s: %w", sink.ID(), err)
	}
	s.logger.Debug("fsm: persisted snapshot", "id", sink.ID(), "bytes", n)
	return nil
}

// Release ends the read transaction; Raft always calls it, persisted or not.
func (s *snapshot) Release() {
	s.release.Do(func() {
		if err := s.snap.Close(); err != nil {
			s.logger.Warn("fsm: releasing snapshot", "err", err)
		}
	})
}
