package cluster

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/yairfalse/ovi/transport"
)

// Readiness defaults.
const (
	// DefaultReadyMaxLag is how many committed entries the store may be
	// behind and the node still count as caught up.
	DefaultReadyMaxLag = 1000
	// DiskErrorWindow is how long a failed disk write keeps a node not
	// ready.
	DiskErrorWindow = 5 * time.Minute
	// readyProbeFile is written, synced and removed in data_dir by every
	// readiness check.
	readyProbeFile = ".ready-probe"
)

// diskErrors remembers the last failed disk write.
type diskErrors struct {
	mu  sync.Mutex
	at  time.Time
	msg string
}

func (d *diskErrors) record(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at, d.msg = time.Now().UTC(), err.Error()
}

func (d *diskErrors) last() (time.Time, string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.at, d.msg
}

// Readiness checks this node: a leader is known, the store is within
// maxLag entries of the commit index (0: DefaultReadyMaxLag), the store is
// open and data_dir takes a synced write, and no disk write failed within
// DiskErrorWindow.
func (a *Agent) Readiness(maxLag uint64) transport.ReadyResponse {
	if maxLag == 0 {
		maxLag = DefaultReadyMaxLag
	}
	st := a.Status()
	out := transport.ReadyResponse{Node: st.Node.Name, State: st.State, Term: st.Term, LastIndex: st.LastIndex,
		CommitIndex: st.CommitIndex, AppliedIndex: st.AppliedIndex, LastContactSeconds: a.lastContactSeconds()}
	leader := transport.ReadyCheck{Name: transport.CheckLeader, Detail: "no leader known"}
	if st.Leader != nil {
		out.Leader = st.Leader.Name
		leader.OK, leader.Detail = true, "leader "+st.Leader.Name
	}
	lag := uint64(0)
	if st.CommitIndex > st.AppliedIndex {
		lag = st.CommitIndex - st.AppliedIndex
	}
	caught := transport.ReadyCheck{Name: transport.CheckCaughtUp, OK: lag <= maxLag,
		Detail: fmt.Sprintf("applied %d of %d committed (lag %d, max %d)", st.AppliedIndex, st.CommitIndex, lag, maxLag)}
	out.Checks = []transport.ReadyCheck{leader, caught, a.storeCheck(), a.diskCheck(&out)}
	out.Ready = true
	for _, c := range out.Checks {
		out.Ready = out.Ready && c.OK
	}
	return out
}

// lastContactSeconds is the time since the leader was last heard from: 0
// on the leader, -1 if never.
func (a *Agent) lastContactSeconds() float64 {
	if a.raft.State() == raft.Leader {
		return 0
	}
	lc := a.raft.LastContact()
	if lc.IsZero() {
		return -1
	}
	return time.Since(lc).Seconds()
}

// storeCheck: the store has not failed and data_dir takes a synced write.
func (a *Agent) storeCheck() transport.ReadyCheck {
	c := transport.ReadyCheck{Name: transport.CheckStore}
	select {
	case <-a.fsm.Failed():
		c.Detail = fmt.Sprintf("store failed: %v", a.fsm.Err())
		return c
	default:
	}
	if err := writeProbe(filepath.Join(a.cfg.DataDir, readyProbeFile)); err != nil {
		a.disk.record(err)
		c.Detail = err.Error()
		return c
	}
	c.OK, c.Detail = true, "store open; data_dir writable"
	return c
}

// writeProbe creates path, writes and syncs one byte, and removes it.
func writeProbe(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("data_dir not writable: %w", err)
	}
	_, werr := f.Write([]byte{'1'})
	serr := f.Sync()
	cerr := f.Close()
	_ = os.Remove(path)
	for _, e := range []error{werr, serr, cerr} {
		if e != nil {
			return fmt.Errorf("data_dir write failed: %w", e)
		}
	}
	return nil
}

// diskCheck fails while the last disk error is recent; out gets it.
func (a *Agent) diskCheck(out *transport.ReadyResponse) transport.ReadyCheck {
	c := transport.ReadyCheck{Name: transport.CheckDisk, OK: true, Detail: "no disk error seen"}
	at, msg := a.disk.last()
	if at.IsZero() {
		return c
	}
	out.LastDiskError = &transport.DiskError{At: at.Format(time.RFC3339), Message: msg}
	c.Detail = "last disk error " + at.Format(time.RFC3339) + ": " + msg
	c.OK = time.Since(at) > DiskErrorWindow
	return c
}

// handleReady serves GET /v1/health?ready[&max_lag=N]: 200 when ready, 503
// otherwise, the same body either way.
func (a *Agent) handleReady(w http.ResponseWriter, r *http.Request) error {
	var maxLag uint64
	if s := r.URL.Query().Get("max_lag"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return transport.Errorf(transport.CodeBadRequest, "parameter \"max_lag\" must be a whole number of entries, got %q", s)
		}
		maxLag = n
	}
	out := a.Readiness(maxLag)
	status := http.StatusOK
	if !out.Ready {
		status = http.StatusServiceUnavailable
	}
	transport.WriteJSON(w, status, &out)
	return nil
}
