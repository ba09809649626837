package engine

import (
	"context"
	"log/slog"
	"math"
	"os"
	"time"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// configPollInterval is how often the leader checks the infrastructure
// file for changes.
const configPollInterval = 2 * time.Second

// configWatcher keeps the agent's infrastructure file in force on the
// leader: when the file changes (and parses), its configuration is
// committed and a cycle runs at once. A broken file is logged and the
// configuration in force stays; nothing is half-applied.
type configWatcher struct {
	agent   *cluster.Agent
	path    string
	logger  *slog.Logger
	changed func()

	lastMod  time.Time
	lastSize int64
	digest   string // of the last file content committed or seen
}

func newConfigWatcher(agent *cluster.Agent, path string, logger *slog.Logger, changed func()) *configWatcher {
	return &configWatcher{agent: agent, path: path, logger: logger, changed: changed}
}

// sync commits the file when no configuration is in force, or when the
// file was modified after the configuration in force was committed (a
// newer `ovi reconcile -f other.yaml` wins until the file changes again),
// or with adopt (a reload named this file) whenever it differs.
func (w *configWatcher) sync(ctx context.Context, adopt bool) {
	applied, mod, ok := w.load()
	if !ok {
		return
	}
	w.digest = applied.Digest
	stored, rev, err := w.agent.FSM().Config(0)
	if err != nil {
		w.logger.Warn("reading the configuration in force failed", "error", err)
		return
	}
	if stored != nil && stored.Digest == applied.Digest {
		return
	}
	if stored != nil && !adopt && !w.newerThan(mod, rev.Main) {
		return
	}
	w.commit(ctx, applied)
}

// newerThan reports whether the file's modification time is after the
// time of the record that put the configuration in force.
func (w *configWatcher) newerThan(mod time.Time, rev uint64) bool {
	recs, err := w.agent.Store().Replay(replayConfigAt(rev))
	if err != nil || len(recs) == 0 {
		return true
	}
	return mod.After(recs[0].Record.Time)
}

// run polls the file until ctx ends.
func (w *configWatcher) run(ctx context.Context) {
	t := time.NewTicker(configPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		applied, _, ok := w.load()
		if ok && applied.Digest != w.digest {
			w.digest = applied.Digest
			w.commit(ctx, applied)
		}
	}
}

// load reads and parses the file when its size or mtime changed since the
// last look (or on the first look).
func (w *configWatcher) load() (wal.ConfigApplied, time.Time, bool) {
	st, err := os.Stat(w.path)
	if err != nil {
		w.logger.Error("infrastructure file unreadable; keeping the configuration in force", "path", w.path, "error", err)
		return wal.ConfigApplied{}, time.Time{}, false
	}
	if !w.lastMod.IsZero() && st.ModTime().Equal(w.lastMod) && st.Size() == w.lastSize {
		return wal.ConfigApplied{}, time.Time{}, false
	}
	w.lastMod, w.lastSize = st.ModTime(), st.Size()
	applied, err := reconcile.LoadConfig(w.path)
	if err != nil {
		w.logger.Error("infrastructure file invalid; keeping the configuration in force", "error", err)
		return wal.ConfigApplied{}, time.Time{}, false
	}
	return applied, st.ModTime(), true
}

// commit proposes the configuration and asks for a cycle.
func (w *configWatcher) commit(ctx context.Context, applied wal.ConfigApplied) {
	rec := wal.Record{Kind: wal.KindConfigApplied, Time: time.Now().UTC(), Config: &applied}
	if _, err := w.agent.Propose(ctx, []wal.Record{rec}); err != nil {
		w.logger.Warn("committing the infrastructure file failed", "error", err)
		return
	}
	w.logger.Info("configuration in force", "source", applied.Source, "digest", applied.Digest)
	w.changed()
}

// replayConfigAt selects the configuration record committed at revision rev.
func replayConfigAt(rev uint64) mvcc.ReplayFilter {
	return mvcc.ReplayFilter{
		Kinds: []wal.Kind{wal.KindConfigApplied},
		After: mvcc.Revision{Main: rev - 1, Sub: math.MaxUint32},
		Limit: 1,
	}
}
