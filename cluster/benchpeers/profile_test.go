package benchpeers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pprofServer answers /debug/pprof/{profile,allocs,heap} with the path
// and its seconds, to the bearer token only, and records what it saw.
func pprofServer(t *testing.T, token string) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String())
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "needs the write token", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte(strings.TrimPrefix(r.URL.Path, "/debug/pprof/") + " " + r.URL.Query().Get("seconds")))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestFetchProfilesTokenInTheHeaderFilesPerTarget(t *testing.T) {
	srv, seen := pprofServer(t, "s3cret")
	dir := t.TempDir()
	targets := []pprofTarget{{srv.URL, "ovi-1-leader"}, {srv.URL, "ovi-2-follower"}}
	files, err := fetchProfiles(context.Background(), srv.Client(), "s3cret", dir, "ovi-round1", 2500*time.Millisecond, targets)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ovi-1-leader-cpu": "profile 3", "ovi-1-leader-allocs": "allocs 3", "ovi-1-leader-heap": "heap ",
		"ovi-2-follower-cpu": "profile 3", "ovi-2-follower-allocs": "allocs 3", "ovi-2-follower-heap": "heap "}
	if len(files) != len(want) {
		t.Fatalf("files %v", files)
	}
	for name, body := range want {
		path := filepath.Join(dir, "ovi-round1-"+name+".pprof")
		b, err := os.ReadFile(path)
		if err != nil || string(b) != body || !slices.Contains(files, path) {
			t.Errorf("%s: %q, %v (want %q; files %v)", path, b, err, body, files)
		}
	}
	for _, u := range *seen {
		if strings.Contains(u, "s3cret") {
			t.Errorf("the token is in a URL: %s", u)
		}
	}
	if _, err := fetchProfiles(context.Background(), srv.Client(), "wrong", dir, "x", time.Second, targets[:1]); err == nil ||
		!strings.Contains(err.Error(), "403") {
		t.Fatalf("a refused profile: %v", err)
	}
}

func TestProfileWindowFromTheWarmUpRate(t *testing.T) {
	for _, c := range []struct {
		total int
		rate  float64
		want  time.Duration
	}{{5000, 2500, 3 * time.Second}, {20000, 2000, 12 * time.Second}, {10, 5000, time.Second}, {5000, 0, 7 * time.Second}, {1 << 30, 1, 600 * time.Second}} {
		if got := ProfileWindow(c.total, c.rate, 7*time.Second); got != c.want {
			t.Errorf("ProfileWindow(%d, %v) = %v, want %v", c.total, c.rate, got, c.want)
		}
	}
}

// profiled is a fake system that serves profiles: Profile waits until the
// 64-client phase has started (the third Append: warm-up, 1, 64), and the
// reads after it see it done.
type profiled struct {
	*fakeSystem
	appends      atomic.Int32
	calls        atomic.Int32
	done         atomic.Bool
	readsTooSoon atomic.Bool
}

func (p *profiled) Profile(ctx context.Context, dir, prefix string, window time.Duration) ([]string, error) {
	p.calls.Add(1)
	err := WaitFor(ctx, "the 64-client phase", 10*time.Second, func() bool { return p.appends.Load() >= 3 })
	p.done.Store(err == nil)
	return []string{filepath.Join(dir, prefix+"-cpu.pprof")}, err
}

func (p *profiled) Reads(ctx context.Context, l Load) (map[Metric]Sample, error) {
	if !p.done.Load() && p.calls.Load() > 0 {
		p.readsTooSoon.Store(true)
	}
	return p.fakeSystem.Reads(ctx, l)
}

func TestRunProfilesRoundOnesSixtyFourClientPhase(t *testing.T) {
	var started []string
	p := &profiled{fakeSystem: &fakeSystem{name: "p", electAfter: 10 * time.Millisecond, started: &started}}
	p.onAppend = func() { p.appends.Add(1) }
	var log strings.Builder
	run := &Run{Systems: []System{p}, Rounds: 2, Dir: t.TempDir(), Profile: t.TempDir(), Log: &log,
		Load: Load{Append1: 10, Append64: 100, Warmup: 10, Kills: 1}}
	if _, err := run.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.calls.Load() != 1 || !p.done.Load() || p.readsTooSoon.Load() {
		t.Fatalf("profiles: %d calls, done %v, reads before they ended %v", p.calls.Load(), p.done.Load(), p.readsTooSoon.Load())
	}
	if !strings.Contains(log.String(), "p-round1-append64-cpu.pprof") {
		t.Errorf("the log does not name the profile:\n%s", log.String())
	}
}

func TestOviTokenGoesInAConfigFile(t *testing.T) {
	dir := t.TempDir()
	o := &Ovi{Token: "tok-123"}
	args, err := o.withToken([]string{"ovi", "agent"}, dir, "ovi-1")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ovi-1-acl.yaml")
	if strings.Join(args, " ") != "ovi agent --config "+path {
		t.Fatalf("args %v", args)
	}
	b, err := os.ReadFile(path)
	st, _ := os.Stat(path)
	if err != nil || string(b) != "acl:\n  write_token: \"tok-123\"\n" || st.Mode().Perm() != 0o600 {
		t.Fatalf("config %q (%v), mode %v", b, err, st.Mode())
	}
	if _, err := (&Ovi{}).Profile(context.Background(), dir, "x", time.Second); err == nil {
		t.Fatal("Profile without a token succeeded")
	}
	if args, _ := (&Ovi{}).withToken([]string{"ovi"}, dir, "ovi-2"); len(args) != 1 {
		t.Fatalf("no token, args %v", args)
	}
}
