package benchpeers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/yairfalse/ovi/cluster"
)

// Raw is three raw Raft nodes (the `rawraft` subcommand of Self) on one
// log store, the load applied inside the leader.
type Raw struct {
	Self    string // the bench-peers executable
	Store   cluster.LogStoreKind
	ValSize int

	procs []*Proc
	http  []string
	c     *http.Client
}

// Name is raw-<store>.
func (r *Raw) Name() string { return "raw-" + string(r.Store) }

// Procs are the three nodes.
func (r *Raw) Procs() []*Proc { return r.procs }

// Start starts three nodes under dir with one configuration.
func (r *Raw) Start(ctx context.Context, dir string) error {
	d, err := freshDir(dir, r.Name())
	if err != nil {
		return err
	}
	r.c, r.procs, r.http = newHTTPClient(), nil, nil
	var peers []string
	var args [][]string
	for i := range 3 {
		rp, err1 := FreePort()
		hp, err2 := FreePort()
		if err1 != nil || err2 != nil {
			return fmt.Errorf("benchpeers: ports: %w %w", err1, err2)
		}
		id := fmt.Sprintf("raw-%d", i+1)
		peers = append(peers, fmt.Sprintf("%s=127.0.0.1:%d", id, rp))
		r.http = append(r.http, "http://127.0.0.1:"+strconv.Itoa(hp))
		args = append(args, []string{r.Self, "rawraft", "-id", id, "-dir", fmt.Sprintf("%s/%s", d, id),
			"-raft", "127.0.0.1:" + strconv.Itoa(rp), "-http", "127.0.0.1:" + strconv.Itoa(hp),
			"-store", string(r.Store), "-val-size", strconv.Itoa(r.ValSize)})
	}
	for i, a := range args {
		a = append(a, "-peers", strings.Join(peers, ","))
		r.procs = append(r.procs, newProc(fmt.Sprintf("raw-%d", i+1), d, a))
	}
	return startAll(ctx, r)
}

// Stop kills the nodes.
func (r *Raw) Stop() { killAll(r.procs) }

func (r *Raw) status(ctx context.Context, i int) (RawStatus, error) {
	var st RawStatus
	err := postJSON(ctx, r.c, http.MethodGet, r.http[i]+"/status", nil, &st)
	return st, err
}

// Leader is the node that leads three servers.
func (r *Raw) Leader(ctx context.Context) (int, error) {
	for i := range r.procs {
		if st, err := r.status(ctx, i); err == nil && st.Leader && st.Servers == 3 {
			return i, nil
		}
	}
	return 0, fmt.Errorf("benchpeers: %s: no leader of three servers", r.Name())
}

// Ready: every node answers and one leads.
func (r *Raw) Ready(ctx context.Context) bool {
	leaders := 0
	for i := range r.procs {
		st, err := r.status(ctx, i)
		if err != nil {
			return false
		}
		if st.Leader && st.Servers == 3 {
			leaders++
		}
	}
	return leaders == 1
}

// Write applies one entry on node i (it fails unless i leads: raw Raft
// does not forward).
func (r *Raw) Write(ctx context.Context, i int) error {
	return postJSON(ctx, r.c, http.MethodPost, r.http[i]+"/write", nil, nil)
}

// Append runs the load inside the leader process.
func (r *Raw) Append(ctx context.Context, clients, total int) (Sample, error) {
	l, err := r.Leader(ctx)
	if err != nil {
		return Sample{}, err
	}
	var s Sample
	url := fmt.Sprintf("%s/load?clients=%d&total=%d", r.http[l], clients, total)
	return s, postJSON(ctx, r.c, http.MethodPost, url, nil, &s)
}

// LoadInLeader: the appends run inside the leader process, so the load
// client's CPU is part of the leader's.
func (r *Raw) LoadInLeader() bool { return true }

// Reads: raw Raft has no store to read.
func (r *Raw) Reads(context.Context, Load) (map[Metric]Sample, error) { return nil, nil }
