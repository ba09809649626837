// Command bench-peers measures Ovi against raw hashicorp/raft and etcd in
// one run and prints one table (package benchpeers; `make bench-peers`).
//
//	bench-peers -ovi bin/ovi -etcd-dir .tools/etcd-v3.7.1 [-rounds 3] [-systems raw-boltdb,raw-wal,etcd,ovi,ovi-wal] [-profile DIR]
//	bench-peers ovinode --control 127.0.0.1:C [the `ovi agent` flags the Ovi column sets]
//	bench-peers rawraft -id raw-1 -dir D -raft 127.0.0.1:P -http 127.0.0.1:Q -peers raw-1=…,raw-2=…,raw-3=… -store wal
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cluster/benchpeers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "rawraft":
		err = rawRaft(ctx, os.Args[2:])
	case len(os.Args) > 1 && os.Args[1] == "ovinode":
		err = oviNode(ctx, os.Args[2:])
	default:
		err = bench(ctx, os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-peers:", err)
		os.Exit(1)
	}
}

type options struct {
	ovi, etcdDir, dir, systems, compare string
	oviFlags                            string
	rounds                              int
	idleWindow                          time.Duration
	profile                             string
	profileWindow                       time.Duration
	load                                benchpeers.Load
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench-peers", flag.ContinueOnError)
	fs.StringVar(&o.ovi, "ovi", "bin/ovi", "the ovi binary")
	fs.StringVar(&o.etcdDir, "etcd-dir", ".tools/etcd-v3.7.1", "directory of etcd, benchmark and etcd-rev")
	fs.StringVar(&o.dir, "dir", "", "where the data dirs go (default: a new temporary directory, removed after)")
	fs.StringVar(&o.systems, "systems", "raw-boltdb,raw-wal,etcd,ovi,ovi-wal", "columns: raw-boltdb, raw-wal, etcd, ovi, ovi-boltdb, ovi-wal, ovi-boltdb-inleader, ovi-wal-inleader")
	fs.StringVar(&o.compare, "compare", "ovi,raw-boltdb,etcd", "the Ovi, raw and etcd columns of the ratios")
	fs.StringVar(&o.oviFlags, "ovi-flags", "", "agent flags added for the ovi column (space-separated)")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds (the table shows the median)")
	fs.IntVar(&o.load.Append1, "append1", 2000, "appends with 1 client per round")
	fs.IntVar(&o.load.Few, "few", 1, "clients of the low-load append phase (its row names them)")
	fs.IntVar(&o.load.Append64, "append64", 20000, "appends with 64 clients per round")
	fs.IntVar(&o.load.Warmup, "warmup", 1000, "unrecorded 64-client appends before them")
	fs.IntVar(&o.load.Revisions, "revisions", 10000, "revisions of the read key")
	fs.IntVar(&o.load.Reads, "reads", 2000, "reads per consistency level")
	fs.IntVar(&o.load.Kills, "kills", 3, "leader kills per round")
	fs.IntVar(&o.load.ValSize, "val-size", 256, "value bytes")
	fs.DurationVar(&o.idleWindow, "idle-window", time.Second, "how long the machine's idle figure is sampled before each round (0: not)")
	fs.StringVar(&o.profile, "profile", "", "profile the Ovi leader and a follower (CPU, allocs, heap via /debug/pprof; the agents get a write token) "+
		"during round 1's 64-client phase into this directory")
	fs.DurationVar(&o.profileWindow, "profile-window", 10*time.Second, "the profile's length when there is no warm-up rate to estimate the phase's from")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.rounds < 1 || o.load.Kills < 1 {
		return o, errors.New("-rounds and -kills must be at least 1")
	}
	return o, nil
}

func bench(ctx context.Context, args []string) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	systems, err := pick(o, self)
	if err != nil {
		return err
	}
	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "bench-peers-"); err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(dir) }()
	}
	prov := provenance(ctx, o, self)
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o750); err != nil {
			return err
		}
	}
	run := &benchpeers.Run{Systems: systems, Load: o.load, Rounds: o.rounds, Dir: dir, Log: os.Stderr, IdleWindow: o.idleWindow,
		Profile: o.profile, ProfileWindow: o.profileWindow}
	res, err := run.Execute(ctx)
	c := strings.Split(o.compare+",,", ",")
	if werr := res.WriteTable(os.Stdout, benchpeers.Compare{Ovi: c[0], Raw: c[1], Etcd: c[2]}); werr != nil {
		return werr
	}
	if werr := prov.Write(os.Stdout); werr != nil {
		return werr
	}
	return err
}

// provenance is the command line and the builds of the binaries the run
// uses, taken before it starts.
func provenance(ctx context.Context, o options, self string) benchpeers.Provenance {
	p := benchpeers.Provenance{Command: benchpeers.QuoteCommand(os.Args)}
	names := "," + o.systems + ","
	if strings.Contains(names, ",ovi") {
		ovi, _ := filepath.Abs(o.ovi)
		p.Builds = append(p.Builds, fmt.Sprintf("ovi %s: %s, commit %s", o.ovi, benchpeers.OviVersion(ctx, ovi), benchpeers.Commit(ctx, ovi)))
	}
	if strings.Contains(names, ",etcd,") {
		bin := filepath.Join(o.etcdDir, "etcd")
		p.Builds = append(p.Builds, fmt.Sprintf("etcd %s: %s", bin, benchpeers.ModuleVersion(bin)))
	}
	p.Builds = append(p.Builds, fmt.Sprintf("bench-peers %s: commit %s", os.Args[0], benchpeers.Commit(ctx, self)))
	return p
}

// pick builds the named systems.
func pick(o options, self string) ([]benchpeers.System, error) {
	ovi, err := filepath.Abs(o.ovi)
	if err != nil {
		return nil, err
	}
	token := "" // the agents' write token, only to serve their profiles
	if o.profile != "" {
		token = rand.Text()
	}
	var out []benchpeers.System
	for _, name := range strings.Split(o.systems, ",") {
		switch name {
		case "raw-boltdb", "raw-wal":
			out = append(out, &benchpeers.Raw{Self: self, Store: cluster.LogStoreKind(strings.TrimPrefix(name, "raw-")), ValSize: o.load.ValSize})
		case "etcd":
			out = append(out, &benchpeers.Etcd{Dir: o.etcdDir, ValSize: o.load.ValSize})
		case "ovi":
			out = append(out, &benchpeers.Ovi{Bin: ovi, Flags: strings.Fields(o.oviFlags), ValSize: o.load.ValSize, Token: token})
		case "ovi-boltdb", "ovi-wal", "ovi-boltdb-inleader", "ovi-wal-inleader":
			store, inLeader := strings.CutSuffix(strings.TrimPrefix(name, "ovi-"), "-inleader")
			flags := []string{"--raft-log-store", store}
			out = append(out, &benchpeers.Ovi{Label: name, Bin: ovi, Flags: flags, ValSize: o.load.ValSize, Token: token,
				InLeader: inLeader, Self: self})
		default:
			return nil, fmt.Errorf("-systems: unknown system %q", name)
		}
	}
	return out, nil
}

// rawRaft runs one raw Raft node until it is killed or interrupted.
func rawRaft(ctx context.Context, args []string) error {
	var cfg benchpeers.RawNodeConfig
	var peers, store string
	fs := flag.NewFlagSet("rawraft", flag.ContinueOnError)
	fs.StringVar(&cfg.ID, "id", "", "node id")
	fs.StringVar(&cfg.Dir, "dir", "", "data dir")
	fs.StringVar(&cfg.RaftAddr, "raft", "", "Raft host:port")
	fs.StringVar(&cfg.HTTPAddr, "http", "", "control API host:port")
	fs.StringVar(&peers, "peers", "", "id=host:port,… of all three")
	fs.StringVar(&store, "store", "wal", "log store: wal or boltdb")
	fs.IntVar(&cfg.ValSize, "val-size", 256, "note bytes per entry")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.Peers, err = benchpeers.ParsePeers(peers); err != nil {
		return err
	}
	if cfg.Store, err = cluster.ParseLogStoreKind(store); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return err
	}
	return serveRaw(ctx, cfg)
}

func serveRaw(ctx context.Context, cfg benchpeers.RawNodeConfig) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.RaftAddr)
	if err != nil {
		return err
	}
	node, err := benchpeers.StartRawNode(cfg, ln)
	if err != nil {
		return err
	}
	defer func() { _ = node.Close() }()
	return serveControl(ctx, cfg.HTTPAddr, node.Handler())
}

// serveControl serves a node's control API on addr until ctx ends.
func serveControl(ctx context.Context, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
