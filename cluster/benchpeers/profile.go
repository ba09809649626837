package benchpeers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Profiler is a system whose servers serve Go's runtime profiles
// (net/http/pprof behind the operator token): Profile takes, over window,
// a CPU profile and the allocations of its leader and of one follower,
// then their in-use heap, into dir, and returns the files it wrote.
type Profiler interface {
	Profile(ctx context.Context, dir, prefix string, window time.Duration) ([]string, error)
}

// pprofTarget is one server to profile: its HTTP base URL and a name for
// its files.
type pprofTarget struct {
	base, name string
}

// fetchProfiles takes the CPU profile and the allocations of every
// target over window (both at once: GET /debug/pprof/profile?seconds=N
// and /debug/pprof/allocs?seconds=N, a delta over the same window), then
// each heap. The token goes in the Authorization header.
func fetchProfiles(ctx context.Context, c *http.Client, token, dir, prefix string, window time.Duration, targets []pprofTarget) ([]string, error) {
	secs := strconv.Itoa(max(1, int(math.Ceil(window.Seconds()))))
	ctx, cancel := context.WithTimeout(ctx, window+2*time.Minute)
	defer cancel()
	type job struct{ path, file string }
	var jobs, heaps []job
	for _, t := range targets {
		base := filepath.Join(dir, prefix+"-"+t.name)
		jobs = append(jobs, job{t.base + "/debug/pprof/profile?seconds=" + secs, base + "-cpu.pprof"},
			job{t.base + "/debug/pprof/allocs?seconds=" + secs, base + "-allocs.pprof"})
		heaps = append(heaps, job{t.base + "/debug/pprof/heap", base + "-heap.pprof"})
	}
	var files []string
	for _, batch := range [][]job{jobs, heaps} {
		errs := make([]error, len(batch))
		var wg sync.WaitGroup
		for i, j := range batch {
			wg.Go(func() { errs[i] = FetchProfile(ctx, c, token, j.path, j.file) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return files, err
		}
		for _, j := range batch {
			files = append(files, j.file)
		}
	}
	return files, nil
}

// FetchProfile GETs url with the bearer token and writes a 200 answer to file.
func FetchProfile(ctx context.Context, c *http.Client, token, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("benchpeers: profile: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("benchpeers: profile: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("benchpeers: profile %s: %s: %s", url, resp.Status, msg)
	}
	f, err := os.Create(file) //nolint:gosec // the -profile directory
	if err != nil {
		return fmt.Errorf("benchpeers: profile: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("benchpeers: profile %s: %w", url, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("benchpeers: profile: %w", err)
	}
	return nil
}

// ProfileWindow is how long to profile a 64-client phase of total
// appends: the phase's length at the warm-up's rate (also 64 clients, so
// a little slower, cold) with a fifth more, in whole seconds; fallback
// without a warm-up rate.
func ProfileWindow(total int, warmupRate float64, fallback time.Duration) time.Duration {
	if warmupRate <= 0 {
		return fallback
	}
	secs := math.Ceil(1.2 * float64(total) / warmupRate)
	return time.Duration(min(max(secs, 1), 600)) * time.Second
}
