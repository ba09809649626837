//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
)

// storyBudget bounds the whole story; each wait below also has its own.
const storyBudget = 3 * time.Minute

// TestStory plays what an operator does with the deploy/ files, with real
// processes on 127.0.0.1: three agents from deploy/config/ovi-{1,2,3}.yaml
// (ports, paths, addresses and secrets rewritten), `ovi ec2sim` as the
// cloud. The security material is made first with the binary, as the
// operations guide says: `ovi tls ca create`, `ovi tls cert create` for
// each node and for the operator (--client), `ovi keygen`, two random
// tokens. Every CLI call goes over https with the CA, the client
// certificate and a token: the write token for reconcile, the read token
// for every read (members, state, wal replay — it is enough for them).
//
//  1. the three join: `ovi members` shows 3 alive voters and one leader;
//     the read token cannot apply (forbidden), only preview (dry run);
//  2. `ovi reconcile` through a follower converges: exactly 3 managed
//     instances in the simulator, the unmanaged one untouched;
//  3. `ovi state --revision N -o json` is identical on every node;
//  4. `ovi wal replay` on a follower shows observed → decided → executing →
//     executed;
//  5. the file asks for 5; as soon as an executing record is seen (by
//     `ovi wal replay -f` on a follower) the leader gets SIGKILL; the
//     survivors elect a leader and converge to exactly 5 live managed
//     instances (no duplicate launch);
//  6. the old leader restarts and catches up: identical state at the
//     latest revision on all three.
func TestStory(t *testing.T) {
	begin := time.Now()
	bin, root := clustertest.Binary(t), repoRoot(t)
	mat := makeMaterial(t, bin, 3)
	r, w := mat.reader(bin), mat.writer(bin)
	cloud := startSim(t, bin)
	unmanaged := cloud.seedUnmanaged(t)
	proxy := startHoldProxy(t, cloud.url)
	infra := infrastructureCopy(t, root, t.TempDir(), proxy.url(), 3)
	agents := startCluster(t, bin, root, infra, mat)

	leader := waitForLeader(t, r, agents, 3, 60*time.Second)
	checkReadTokenCannotWrite(t, r, leader.http, infra)
	t.Logf("1. joined over mutual TLS: leader %s (%s)", leader.Name, time.Since(begin).Round(time.Millisecond))

	f := clustertest.Followers(agents, leader)
	out := mustOvi(t, w, f[0].http, "reconcile", "-f", infra)
	t.Logf("2. ovi reconcile through follower %s:\n%s", f[0].Name, out)
	waitForManaged(t, cloud, 3, 30*time.Second)
	checkUntouched(t, cloud, unmanaged)

	rev := parseState(t, mustOvi(t, r, leader.http, "state", "-o", "json")).Revision
	st := parseState(t, sameStateEverywhere(t, r, agents, rev, 30*time.Second))
	t.Logf("3. identical state at revision %d on all three nodes (%d resources)", rev, len(st.Resources))

	replay := mustOvi(t, r, f[1].http, "wal", "replay")
	checkLifecycle(t, replay)
	t.Logf("4. ovi wal replay on follower %s shows observed → decided → executing → executed", f[1].Name)

	killed, intent := crashLeaderDuringReconcile(t, r, w, leader, f, proxy, infra, rev)
	newLeader := waitForLeader(t, r, agents, 2, 60*time.Second)
	waitForManaged(t, cloud, 5, 60*time.Second)
	checkUntouched(t, cloud, unmanaged)
	res, err := ovi(w, newLeader.http, "reconcile", "--dry-run", "--detailed-exitcode", "-f", infra)
	if err != nil || res.code != 0 {
		t.Fatalf("after failover, a dry run should find nothing to do: exit %d, %v\n%s%s", res.code, err, res.stdout, res.stderr)
	}
	checkManagedCount(t, cloud, 5)
	checkOutcome(t, r, f[0].http, intent)
	t.Logf("5. the audit trail of the launches, from %s:\n%s", newLeader.Name,
		mustOvi(t, r, newLeader.http, "wal", "replay", "--type", "executing,executed,failed"))
	t.Logf("5. %s leads; exactly 5 live managed instances, by decision: %v (%s)",
		newLeader.Name, byDecision(t, cloud), time.Since(begin).Round(time.Millisecond))

	killed.Start()
	waitForLeader(t, r, agents, 3, 60*time.Second)
	latest := parseState(t, mustOvi(t, r, newLeader.http, "state", "-o", "json")).Revision
	sameStateEverywhere(t, r, agents, latest, 60*time.Second)
	t.Logf("6. %s restarted and caught up: identical state at revision %d on all three (%s)",
		killed.Name, latest, time.Since(begin).Round(time.Millisecond))
	checkManagedCount(t, cloud, 5)
	checkUntouched(t, cloud, unmanaged)
	if d := time.Since(begin); d > storyBudget {
		t.Fatalf("the story took %s, more than its budget of %s", d, storyBudget)
	}
}

// waitForManaged waits until the simulator holds exactly n live managed
// instances, failing at once if it ever holds more (a duplicate launch).
func waitForManaged(t *testing.T, cloud *sim, n int, d time.Duration) {
	t.Helper()
	clustertest.WaitForSeen(t, fmt.Sprintf("exactly %d live managed instances in the simulator", n), d, func() (bool, string) {
		ids, err := cloud.liveManaged(context.Background())
		if err != nil {
			return false, err.Error()
		}
		if len(ids) > n {
			t.Fatalf("duplicate launch: %d live managed instances, want %d: %v", len(ids), n, ids)
		}
		return len(ids) == n, fmt.Sprint(ids)
	})
}

// byDecision counts the live managed instances by the decision that
// launched them (the ovi:decision tag).
func byDecision(t *testing.T, cloud *sim) map[string]int {
	t.Helper()
	all, err := cloud.instances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, in := range all {
		if in.managed() && in.live() {
			out[in.tags["ovi:decision"]]++
		}
	}
	return out
}

// checkManagedCount asserts the simulator holds exactly n live managed instances.
func checkManagedCount(t *testing.T, cloud *sim, n int) {
	t.Helper()
	ids, err := cloud.liveManaged(context.Background())
	if err != nil || len(ids) != n {
		t.Fatalf("live managed instances = %v (%v), want %d", ids, err, n)
	}
}

// checkReadTokenCannotWrite asserts the read token's scope ends at reads:
// an apply is forbidden with it, while a dry run (which records nothing)
// previews the plan.
func checkReadTokenCannotWrite(t *testing.T, r operator, addr, infra string) {
	t.Helper()
	res, err := ovi(r, addr, "reconcile", "-f", infra)
	if err != nil {
		t.Fatal(err)
	}
	if res.code == 0 || !strings.Contains(res.stderr, "forbidden") {
		t.Fatalf("ovi reconcile with the read token: exit %d, want a forbidden error\nstdout:\n%s\nstderr:\n%s",
			res.code, res.stdout, res.stderr)
	}
	res, err = ovi(r, addr, "reconcile", "--dry-run", "-f", infra)
	if err != nil {
		t.Fatal(err)
	}
	if res.code != 0 || !strings.Contains(res.stdout, "Dry run: nothing will be changed.") {
		t.Fatalf("ovi reconcile --dry-run with the read token: exit %d, want the plan\nstdout:\n%s\nstderr:\n%s",
			res.code, res.stdout, res.stderr)
	}
}

// checkUntouched asserts the unmanaged instance still runs, without Ovi's tags.
func checkUntouched(t *testing.T, cloud *sim, id string) {
	t.Helper()
	all, err := cloud.instances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range all {
		if in.id == id {
			if !in.live() || in.managed() || len(in.tags) != 1 {
				t.Fatalf("Ovi touched the unmanaged instance %s: %+v", id, in)
			}
			return
		}
	}
	t.Fatalf("the unmanaged instance %s is gone", id)
}

// replayKind matches the kind column of `ovi wal replay` ("12.1  10:30:00 [observed]  …").
var replayKind = regexp.MustCompile(`^[0-9.]+\s+\S+(?: \S+)? \[([a-z]+)\]`)

// checkLifecycle asserts the replay holds observed, decided, executing and
// executed records in that order.
func checkLifecycle(t *testing.T, replay string) {
	t.Helper()
	want := []string{"observed", "decided", "executing", "executed"}
	next := 0
	for _, line := range strings.Split(replay, "\n") {
		m := replayKind.FindStringSubmatch(line)
		if m != nil && next < len(want) && m[1] == want[next] {
			next++
		}
	}
	if next < len(want) {
		t.Fatalf("ovi wal replay lacks %s after %v:\n%s", want[next], want[:next], replay)
	}
}

// walLine is one line of `ovi -o json wal replay`.
type walLine struct {
	Revision struct {
		Main uint64 `json:"main"`
	} `json:"revision"`
	Record struct {
		Kind       string `json:"kind"`
		DecisionID string `json:"decision_id"`
		Executing  *struct {
			Description string `json:"description"`
		} `json:"executing"`
	} `json:"record"`
}

// crashLeaderDuringReconcile asks for 5 instances (the agents' file, and
// `ovi reconcile` through a follower) and SIGKILLs the leader between the
// intent and its outcome: the proxy holds the leader's RunInstances call;
// once a follower's `ovi wal replay -f` shows the executing record (the
// intent is committed), the leader is killed, then the held call goes on to
// the simulator (EC2 had received it) — the case the ClientToken exists
// for. It returns the killed agent and the intent it left open.
func crashLeaderDuringReconcile(t *testing.T, r, w operator, leader *agent, f []*agent, proxy *holdProxy, infra string, after uint64) (*agent, walLine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	events := followLog(ctx, t, r, f[0].http, after)

	proxy.arm()
	infrastructureCopyCount(t, infra, 5)
	rec := w.command(ctx, f[1].http, "reconcile", "-f", infra)
	var recOut strings.Builder
	rec.Stdout, rec.Stderr = &recOut, &recOut
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proxy.held:
	case <-ctx.Done():
		t.Fatalf("the leader made no RunInstances call within 60 s of asking for 5 instances")
	}
	var intent walLine
	for intent.Record.Kind != "executing" {
		select {
		case intent = <-events:
		case <-ctx.Done():
			t.Fatalf("the leader is launching, but no executing record reached follower %s", f[0].Name)
		}
	}
	leader.Stop(syscall.SIGKILL)
	proxy.releaseHeld()
	t.Logf("5. SIGKILL %s inside its RunInstances call, after the intent %q (revision %d)",
		leader.Name, intent.Record.Executing.Description, intent.Revision.Main)
	// The reconcile streamed from the dead leader: it fails; the cluster
	// must converge anyway.
	err := rec.Wait()
	t.Logf("5. the interrupted `ovi reconcile` ended with %v:\n%s", err, recOut.String())
	return leader, intent
}

// checkOutcome asserts the new leader recorded the outcome of the intent
// the old one left open (executed or failed, same decision id).
func checkOutcome(t *testing.T, r operator, addr string, intent walLine) {
	t.Helper()
	out := mustOvi(t, r, addr, "-o", "json", "wal", "replay", "--type", "executed,failed")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var l walLine
		if json.Unmarshal([]byte(line), &l) == nil && l.Record.DecisionID == intent.Record.DecisionID &&
			l.Revision.Main > intent.Revision.Main {
			return
		}
	}
	t.Fatalf("no outcome recorded for the intent of decision %s:\n%s", intent.Record.DecisionID, out)
}

// followLog runs `ovi -o json wal replay -f --type decided,executing`
// with the read token against addr and sends every record after revision after.
func followLog(ctx context.Context, t *testing.T, r operator, addr string, after uint64) <-chan walLine {
	t.Helper()
	cmd := r.command(ctx, addr, "-o", "json", "wal", "replay", "-f", "--type", "decided,executing")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	events := make(chan walLine, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			var l walLine
			if json.Unmarshal(sc.Bytes(), &l) != nil || l.Revision.Main <= after {
				continue
			}
			if l.Record.Kind == "executing" && l.Record.Executing == nil {
				continue
			}
			select {
			case events <- l:
			case <-ctx.Done():
				return
			}
		}
	}()
	return events
}

// infrastructureCopyCount rewrites the count of the file's only group.
func infrastructureCopyCount(t *testing.T, path string, count int) {
	t.Helper()
	data := readFile(t, path)
	counts := regexp.MustCompile(`(?m)^(\s+count:\s*)\d+`)
	if len(counts.FindAllString(data, -1)) != 1 {
		t.Fatalf("%s: expected one count: line", path)
	}
	writeAtomic(t, path, []byte(counts.ReplaceAllString(data, fmt.Sprintf("${1}%d", count))))
}
