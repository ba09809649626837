package benchpeers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Metric names one row of the table.
type Metric string

// The rows, in table order.
const (
	Append1      Metric = "append, 1 client"
	Append64     Metric = "append, 64 clients"
	ReadStale    Metric = "old-revision read: stale / serializable"
	ReadDefault  Metric = "old-revision read: default"
	ReadConsist  Metric = "old-revision read: consistent / linearizable"
	FailoverGap  Metric = "failover gap after kill -9"
	startTimeout        = 60 * time.Second
)

// Metrics lists the rows in table order.
func Metrics() []Metric {
	return []Metric{Append1, Append64, ReadStale, ReadDefault, ReadConsist, FailoverGap}
}

// Load sizes one round of a system.
type Load struct {
	Append1, Append64 int // operations of the 1- and 64-client appends
	Few               int // clients of the "1 client" phase instead of 1 (0 or 1: one client)
	Warmup            int // unrecorded 64-client appends first
	Revisions         int // revisions of the read key written before the reads
	Reads             int // reads per consistency level (1 client)
	Kills             int // leader kills (>= 3)
	ValSize           int // bytes of each value
}

// System is one measured three-process cluster.
type System interface {
	Name() string
	// Start starts three fresh processes under dir and waits for a leader
	// with three voters.
	Start(ctx context.Context, dir string) error
	// Stop kills the processes.
	Stop()
	Procs() []*Proc
	// Leader is the index of the process that leads three voters.
	Leader(ctx context.Context) (int, error)
	// Ready reports whether every process answers and one of them leads.
	Ready(ctx context.Context) bool
	// Write commits one value through process i.
	Write(ctx context.Context, i int) error
	// Append runs total appends over clients to the leader.
	Append(ctx context.Context, clients, total int) (Sample, error)
	// Reads writes l.Revisions revisions of one key, then reads it at
	// random old revisions through a follower; nil if the system has no
	// reads (raw Raft).
	Reads(ctx context.Context, l Load) (map[Metric]Sample, error)
}

// freshDir makes dir/name empty.
func freshDir(dir, name string) (string, error) {
	d := filepath.Join(dir, name)
	if err := os.RemoveAll(d); err != nil {
		return "", fmt.Errorf("benchpeers: %w", err)
	}
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("benchpeers: %w", err)
	}
	return d, nil
}

// startAll starts every process and waits until the system is ready.
func startAll(ctx context.Context, s System) error {
	for _, p := range s.Procs() {
		if err := p.Start(); err != nil {
			return err
		}
	}
	return waitReady(ctx, s)
}

// waitReady waits for s.Ready, failing early when a process exits.
func waitReady(ctx context.Context, s System) error {
	var exited error
	err := WaitFor(ctx, s.Name()+" with a leader of three voters", startTimeout, func() bool {
		for _, p := range s.Procs() {
			if exited = p.Check(); exited != nil {
				return true
			}
		}
		return s.Ready(ctx)
	})
	return errors.Join(err, exited)
}

// killAll is Stop for a system of Procs.
func killAll(procs []*Proc) {
	for _, p := range procs {
		if p != nil {
			p.Kill()
		}
	}
}
