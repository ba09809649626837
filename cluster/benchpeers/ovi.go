package benchpeers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/yairfalse/ovi/transport"
)

// Ovi is three `ovi agent` processes (bootstrap_expect 3, retry_join to
// each other, Flags added), written through the HTTP API's notes and read
// through GET /v1/state.
type Ovi struct {
	Label   string // the column name ("ovi" when empty)
	Bin     string
	Flags   []string
	ValSize int
	// Token, when set, is the agents' acl.write_token (in a config file
	// of each agent, never on a command line): every call carries it, and
	// the agents serve their profiles (Profile).
	Token string
	// InLeader runs each agent in a `Self ovinode` process (OviNode)
	// instead of `Bin agent`, and the appends inside the leader's process,
	// as raw Raft's are: the same agent without the client and its hop.
	InLeader bool
	Self     string // the bench-peers executable, for InLeader

	procs    []*Proc
	clients  []*transport.Client
	bases    []string // http://host:port of each agent
	controls []string // http://host:port of each ovinode's control API (InLeader)
	text     string
	c        *http.Client
}

// Name is Label, or "ovi".
func (o *Ovi) Name() string {
	if o.Label == "" {
		return "ovi"
	}
	return o.Label
}

// Procs are the three agents.
func (o *Ovi) Procs() []*Proc { return o.procs }

// Start starts three agents under dir.
func (o *Ovi) Start(ctx context.Context, dir string) error {
	d, err := freshDir(dir, o.Name())
	if err != nil {
		return err
	}
	o.procs, o.clients, o.bases, o.controls, o.text = nil, nil, nil, nil, strings.Repeat("n", o.ValSize)
	o.c = newHTTPClient()
	type ports struct{ http, raft, gossip, control int }
	var ps []ports
	for range 3 {
		var p [4]int
		for j := range p {
			if p[j], err = FreePort(); err != nil {
				return err
			}
		}
		ps = append(ps, ports{p[0], p[1], p[2], p[3]})
	}
	for i, p := range ps {
		name := fmt.Sprintf("ovi-%d", i+1)
		args := []string{o.Bin, "agent"}
		if o.InLeader {
			control := "127.0.0.1:" + strconv.Itoa(p.control)
			args = []string{o.Self, "ovinode", "--control", control, "--val-size", strconv.Itoa(o.ValSize)}
			o.controls = append(o.controls, "http://"+control)
		}
		args = append(args, "--node-name", name, "--data-dir", filepath.Join(d, name), "--bind-addr", "127.0.0.1",
			"--http-port", strconv.Itoa(p.http), "--raft-port", strconv.Itoa(p.raft), "--gossip-port", strconv.Itoa(p.gossip),
			"--bootstrap-expect", "3", "--log-level", "warn")
		for _, q := range ps {
			args = append(args, "--retry-join", "127.0.0.1:"+strconv.Itoa(q.gossip))
		}
		if args, err = o.withToken(args, d, name); err != nil {
			return err
		}
		o.procs = append(o.procs, newProc(name, d, append(args, o.Flags...)))
		addr := "127.0.0.1:" + strconv.Itoa(p.http)
		c, err := transport.NewClient(addr, transport.ClientOptions{Timeout: 10 * time.Second, Token: o.Token})
		if err != nil {
			return fmt.Errorf("benchpeers: %w", err)
		}
		o.clients, o.bases = append(o.clients, c), append(o.bases, "http://"+addr)
	}
	return startAll(ctx, o)
}

// withToken adds --config FILE with acl.write_token when Token is set.
func (o *Ovi) withToken(args []string, dir, name string) ([]string, error) {
	if o.Token == "" {
		return args, nil
	}
	path := filepath.Join(dir, name+"-acl.yaml")
	if err := os.WriteFile(path, []byte("acl:\n  write_token: "+strconv.Quote(o.Token)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("benchpeers: %w", err)
	}
	return append(args, "--config", path), nil
}

// Profile takes the CPU profile and allocations over window, then the
// heap, of the leader and the next agent (a follower) into dir.
func (o *Ovi) Profile(ctx context.Context, dir, prefix string, window time.Duration) ([]string, error) {
	if o.Token == "" {
		return nil, fmt.Errorf("benchpeers: %s: profiles need the agents started with a write token", o.Name())
	}
	l, err := o.Leader(ctx)
	if err != nil {
		return nil, err
	}
	f := (l + 1) % len(o.procs)
	targets := []pprofTarget{{o.bases[l], o.procs[l].Name + "-leader"}, {o.bases[f], o.procs[f].Name + "-follower"}}
	return fetchProfiles(ctx, &http.Client{}, o.Token, dir, prefix, window, targets)
}

// Stop kills the agents.
func (o *Ovi) Stop() {
	killAll(o.procs)
	for _, c := range o.clients {
		c.Close()
	}
}

func (o *Ovi) status(ctx context.Context, i int) (transport.StatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return o.clients[i].Status(ctx)
}

// Leader is the agent that leads three voters.
func (o *Ovi) Leader(ctx context.Context) (int, error) {
	for i := range o.procs {
		if st, err := o.status(ctx, i); err == nil && st.State == "Leader" && len(st.Peers) == 3 {
			return i, nil
		}
	}
	return 0, fmt.Errorf("benchpeers: %s: no leader of three voters", o.Name())
}

// Ready: every agent answers and knows the leader, which leads three
// voters.
func (o *Ovi) Ready(ctx context.Context) bool {
	for i := range o.procs {
		if st, err := o.status(ctx, i); err != nil || st.Leader == nil {
			return false
		}
	}
	_, err := o.Leader(ctx)
	return err == nil
}

// Write proposes one note through agent i (a follower forwards it).
func (o *Ovi) Write(ctx context.Context, i int) error {
	_, err := o.clients[i].Note(ctx, transport.NoteRequest{ResourceID: "failover", Text: o.text})
	return err
}

// Append proposes notes to the leader, on 100,000 resource ids: through
// the HTTP API, or (InLeader) inside the leader's process.
func (o *Ovi) Append(ctx context.Context, clients, total int) (Sample, error) {
	l, err := o.Leader(ctx)
	if err != nil {
		return Sample{}, err
	}
	if o.InLeader {
		var s Sample
		url := fmt.Sprintf("%s/load?clients=%d&total=%d", o.controls[l], clients, total)
		return s, postJSON(ctx, o.c, http.MethodPost, url, nil, &s)
	}
	c := o.clients[l]
	return RunLoad(ctx, clients, total, func(ctx context.Context, _ int) error {
		_, err := c.Note(ctx, transport.NoteRequest{ResourceID: "k" + strconv.Itoa(rand.IntN(100000)), Text: o.text})
		return err
	})
}

// LoadInLeader: with InLeader the appends run inside the leader process,
// so the load's CPU is part of the leader's.
func (o *Ovi) LoadInLeader() bool { return o.InLeader }

// Reads writes l.Revisions notes on "hot" through the leader, then reads
// notes/hot at random revisions of that range through a follower, at
// each consistency level.
func (o *Ovi) Reads(ctx context.Context, l Load) (map[Metric]Sample, error) {
	lead, err := o.Leader(ctx)
	if err != nil {
		return nil, err
	}
	var lo, hi atomic.Uint64
	lo.Store(^uint64(0))
	_, err = RunLoad(ctx, 64, l.Revisions, func(ctx context.Context, _ int) error {
		res, err := o.clients[lead].Note(ctx, transport.NoteRequest{ResourceID: "hot", Text: o.text})
		for cur := lo.Load(); err == nil && res.Revision < cur && !lo.CompareAndSwap(cur, res.Revision); cur = lo.Load() {
		}
		for cur := hi.Load(); err == nil && res.Revision > cur && !hi.CompareAndSwap(cur, res.Revision); cur = hi.Load() {
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	f := o.clients[(lead+1)%3]
	// Every level reads revisions the follower has applied (a stale or
	// default read of a later one is an error, not a slow read).
	if err := WaitFor(ctx, "the follower to apply the read key's revisions", 30*time.Second, func() bool {
		st, err := f.Status(ctx)
		return err == nil && st.AppliedIndex >= hi.Load()
	}); err != nil {
		return nil, err
	}
	levels := map[Metric]transport.Consistency{ReadStale: transport.Stale, ReadDefault: transport.Default, ReadConsist: transport.Consistent}
	out := map[Metric]Sample{}
	for m, lvl := range levels {
		if out[m], err = RunLoad(ctx, 1, l.Reads, func(ctx context.Context, _ int) error {
			rev := lo.Load() + rand.Uint64N(hi.Load()-lo.Load()+1)
			st, err := f.State(ctx, transport.StateQuery{Revision: rev, Prefix: "notes/hot", Consistency: lvl})
			if err == nil && len(st.Entries) != 1 {
				return fmt.Errorf("revision %d: %d entries", rev, len(st.Entries))
			}
			return err
		}); err != nil {
			return nil, fmt.Errorf("benchpeers: %s %s reads: %w", o.Name(), lvl, err)
		}
	}
	return out, nil
}
