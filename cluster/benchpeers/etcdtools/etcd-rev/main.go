// Command etcd-rev writes revisions of one key and reads that key back at
// random old revisions over etcd's gRPC client, serializable or
// linearizable (`etcdctl get --rev` in a loop, without a process per
// read). It prints its figures in the benchmark tool's summary format so
// one parser reads both (cluster/benchpeers).
//
//	etcd-rev fill -endpoints A -key hot -n 10000 -clients 64   → "revisions LO HI"
//	etcd-rev read -endpoints A -key hot -lo LO -hi HI -consistency s|l -clients 1 -total 2000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

type opts struct {
	endpoints, key, consistency string
	n, clients, total, valSize  int
	lo, hi                      int64
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "etcd-rev:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || (args[0] != "fill" && args[0] != "read") {
		return errors.New("usage: etcd-rev fill|read [flags]")
	}
	var o opts
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.StringVar(&o.endpoints, "endpoints", "127.0.0.1:2379", "comma-separated gRPC endpoints")
	fs.StringVar(&o.key, "key", "hot", "the key")
	fs.StringVar(&o.consistency, "consistency", "l", "read: l (linearizable) or s (serializable)")
	fs.IntVar(&o.n, "n", 10000, "fill: revisions to write")
	fs.IntVar(&o.valSize, "val-size", 256, "fill: value size")
	fs.IntVar(&o.clients, "clients", 1, "concurrent clients")
	fs.IntVar(&o.total, "total", 2000, "read: reads")
	fs.Int64Var(&o.lo, "lo", 0, "read: lowest revision")
	fs.Int64Var(&o.hi, "hi", 0, "read: highest revision")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(o.endpoints, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = cli.Close() }()
	if args[0] == "fill" {
		return fill(cli, o)
	}
	return read(cli, o)
}

// fill writes o.n revisions of o.key from o.clients writers and prints
// the lowest and highest revision written.
func fill(cli *clientv3.Client, o opts) error {
	val := strings.Repeat("v", o.valSize)
	var lo, hi atomic.Int64
	lo.Store(1 << 62)
	_, err := parallel(o.clients, o.n, func(ctx context.Context, _ int) error {
		resp, err := cli.Put(ctx, o.key, val)
		if err != nil {
			return err
		}
		rev := resp.Header.Revision
		for cur := lo.Load(); rev < cur && !lo.CompareAndSwap(cur, rev); cur = lo.Load() {
		}
		for cur := hi.Load(); rev > cur && !hi.CompareAndSwap(cur, rev); cur = hi.Load() {
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("revisions %d %d\n", lo.Load(), hi.Load())
	return nil
}

// read gets o.key at a random revision in [o.lo, o.hi] o.total times and
// prints the summary.
func read(cli *clientv3.Client, o opts) error {
	if o.lo <= 0 || o.hi < o.lo {
		return fmt.Errorf("read: need 0 < -lo <= -hi, have %d and %d", o.lo, o.hi)
	}
	get := []clientv3.OpOption{}
	if o.consistency == "s" {
		get = append(get, clientv3.WithSerializable())
	}
	start := time.Now()
	lat, err := parallel(o.clients, o.total, func(ctx context.Context, _ int) error {
		rev := o.lo + rand.Int64N(o.hi-o.lo+1)
		resp, err := cli.Get(ctx, o.key, append(get, clientv3.WithRev(rev))...)
		if err == nil && len(resp.Kvs) != 1 {
			return fmt.Errorf("revision %d: %d keys", rev, len(resp.Kvs))
		}
		return err
	})
	if err != nil {
		return err
	}
	printSummary(time.Since(start), lat)
	return nil
}

// parallel runs total operations over clients workers and returns their
// latencies; the first error stops it.
func parallel(clients, total int, op func(context.Context, int) error) ([]time.Duration, error) {
	lat := make([]time.Duration, total)
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < total; i = int(next.Add(1)) - 1 {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				t0 := time.Now()
				err := op(ctx, i)
				lat[i] = time.Since(t0)
				cancel()
				if err != nil {
					mu.Lock()
					first = errors.Join(first, err)
					mu.Unlock()
					next.Store(int64(total))
				}
			}
		}()
	}
	wg.Wait()
	return lat, first
}

// printSummary prints the lines of the benchmark tool's report that
// cluster/benchpeers reads.
func printSummary(total time.Duration, lat []time.Duration) {
	slices.Sort(lat)
	fmt.Printf("\nSummary:\n  Total:\t%.6f secs.\n  Requests/sec:\t%.4f\n\nLatency distribution:\n",
		total.Seconds(), float64(len(lat))/total.Seconds())
	for _, p := range []float64{50, 90, 99} {
		fmt.Printf("  %g%% in %.6f secs.\n", p, lat[int(float64(len(lat))*p/100)].Seconds())
	}
}
