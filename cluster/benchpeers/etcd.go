package benchpeers

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Etcd is three etcd members (Dir/etcd, fsync on: etcd's defaults), driven
// by etcd's benchmark tool for appends and by etcd-rev for reads at an
// old revision; writes of the failover probe go through the JSON gateway.
type Etcd struct {
	Dir     string // holds etcd, benchmark and etcd-rev
	ValSize int

	procs  []*Proc
	client []string // host:port of each member's client URL
	c      *http.Client
}

// Name is "etcd".
func (e *Etcd) Name() string { return "etcd" }

// Procs are the three members.
func (e *Etcd) Procs() []*Proc { return e.procs }

// Start starts three members under dir as a new cluster.
func (e *Etcd) Start(ctx context.Context, dir string) error {
	d, err := freshDir(dir, "etcd")
	if err != nil {
		return err
	}
	e.c, e.procs, e.client = newHTTPClient(), nil, nil
	var peerURLs, initial []string
	for i := range 3 {
		cp, err1 := FreePort()
		pp, err2 := FreePort()
		if err1 != nil || err2 != nil {
			return fmt.Errorf("benchpeers: ports: %w %w", err1, err2)
		}
		e.client = append(e.client, "127.0.0.1:"+strconv.Itoa(cp))
		peerURLs = append(peerURLs, "http://127.0.0.1:"+strconv.Itoa(pp))
		initial = append(initial, fmt.Sprintf("e%d=%s", i+1, peerURLs[i]))
	}
	for i := range 3 {
		name := fmt.Sprintf("e%d", i+1)
		args := []string{filepath.Join(e.Dir, "etcd"), "--name", name, "--data-dir", filepath.Join(d, name),
			"--listen-client-urls", "http://" + e.client[i], "--advertise-client-urls", "http://" + e.client[i],
			"--listen-peer-urls", peerURLs[i], "--initial-advertise-peer-urls", peerURLs[i],
			"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new",
			"--initial-cluster-token", "bench-peers", "--log-level", "warn"}
		e.procs = append(e.procs, newProc(name, d, args))
	}
	return startAll(ctx, e)
}

// Stop kills the members.
func (e *Etcd) Stop() { killAll(e.procs) }

// etcdStatus is the part of the gateway's /v3/maintenance/status answer
// read here (uint64s are JSON strings there).
type etcdStatus struct {
	Header struct {
		MemberID string `json:"member_id"`
	} `json:"header"`
	Leader string `json:"leader"`
}

func (e *Etcd) status(ctx context.Context, i int) (etcdStatus, error) {
	var st etcdStatus
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := postJSON(ctx, e.c, http.MethodPost, "http://"+e.client[i]+"/v3/maintenance/status", struct{}{}, &st)
	return st, err
}

// Leader is the member whose id is the leader id it reports.
func (e *Etcd) Leader(ctx context.Context) (int, error) {
	for i := range e.procs {
		if st, err := e.status(ctx, i); err == nil && st.Leader != "" && st.Leader != "0" && st.Leader == st.Header.MemberID {
			return i, nil
		}
	}
	return 0, fmt.Errorf("benchpeers: etcd: no leader")
}

// Ready: every member answers and they name one leader among them.
func (e *Etcd) Ready(ctx context.Context) bool {
	leader, leads := "", 0
	for i := range e.procs {
		st, err := e.status(ctx, i)
		if err != nil || st.Leader == "" || st.Leader == "0" || (leader != "" && st.Leader != leader) {
			return false
		}
		leader = st.Leader
		if st.Leader == st.Header.MemberID {
			leads++
		}
	}
	return leads == 1
}

// Write puts one value through member i's gateway.
func (e *Etcd) Write(ctx context.Context, i int) error {
	b64 := base64.StdEncoding.EncodeToString
	in := map[string]string{"key": b64([]byte("failover")), "value": b64(bytes.Repeat([]byte("v"), e.ValSize))}
	return postJSON(ctx, e.c, http.MethodPost, "http://"+e.client[i]+"/v3/kv/put", in, nil)
}

// Append runs `benchmark put` against the leader: clients gRPC clients
// over min(clients, 16) connections, 8-byte keys over 100,000.
func (e *Etcd) Append(ctx context.Context, clients, total int) (Sample, error) {
	l, err := e.Leader(ctx)
	if err != nil {
		return Sample{}, err
	}
	return e.tool(ctx, "benchmark", "put", "--endpoints", e.client[l], "--clients", strconv.Itoa(clients),
		"--conns", strconv.Itoa(min(clients, 16)), "--total", strconv.Itoa(total), "--val-size", strconv.Itoa(e.ValSize),
		"--key-size", "8", "--key-space-size", "100000", "--precise")
}

// Reads fills the key "hot" through the leader and reads it at random
// revisions of that range through a follower, serializable then
// linearizable.
func (e *Etcd) Reads(ctx context.Context, l Load) (map[Metric]Sample, error) {
	lead, err := e.Leader(ctx)
	if err != nil {
		return nil, err
	}
	follower := e.client[(lead+1)%3]
	out, err := e.run(ctx, "etcd-rev", "fill", "-endpoints", e.client[lead], "-key", "hot", "-n", strconv.Itoa(l.Revisions),
		"-clients", "64", "-val-size", strconv.Itoa(e.ValSize))
	if err != nil {
		return nil, err
	}
	var lo, hi int64
	if _, err := fmt.Sscanf(string(out), "revisions %d %d", &lo, &hi); err != nil {
		return nil, fmt.Errorf("benchpeers: etcd-rev fill: %q: %w", out, err)
	}
	res := map[Metric]Sample{}
	for m, level := range map[Metric]string{ReadStale: "s", ReadConsist: "l"} {
		s, err := e.tool(ctx, "etcd-rev", "read", "-endpoints", follower, "-key", "hot", "-lo", strconv.FormatInt(lo, 10),
			"-hi", strconv.FormatInt(hi, 10), "-consistency", level, "-clients", "1", "-total", strconv.Itoa(l.Reads))
		if err != nil {
			return nil, err
		}
		res[m] = s
	}
	return res, nil
}

// tool runs one of Dir's programs and parses its report.
func (e *Etcd) tool(ctx context.Context, name string, args ...string) (Sample, error) {
	out, err := e.run(ctx, name, args...)
	if err != nil {
		return Sample{}, err
	}
	s, err := ParseEtcdReport(bytes.NewReader(out))
	if err != nil {
		return Sample{}, fmt.Errorf("%s %s: %w", name, args[0], err)
	}
	return s, nil
}

// run runs one of Dir's programs (bounded: the benchmark tool waits
// forever for an endpoint that is gone) and returns its standard output.
func (e *Etcd) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(e.Dir, name), args...) //nolint:gosec // the pinned peer tools
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("benchpeers: %s %s: %w: %s", name, args[0], err, lastLine(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
