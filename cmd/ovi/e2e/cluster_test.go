//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
)

// agent is one `ovi agent --config FILE` process started from a rewritten
// deploy/config/ovi-N.yaml.
type agent struct {
	*clustertest.Proc
	nodeName string
	http     string // host:port of the HTTP API
}

// startCluster starts the three agents of deploy/config (ovi-1, ovi-2,
// ovi-3) on free loopback ports, all reading the infrastructure file infra,
// with mat's TLS files, gossip key and tokens.
func startCluster(t *testing.T, bin, root, infra string, mat material) []*agent {
	t.Helper()
	type ports struct{ http, raft, gossip int }
	ps := make([]ports, 3)
	var join []string
	for i := range ps {
		ps[i] = ports{clustertest.FreePort(t), clustertest.FreePort(t), clustertest.FreePort(t)}
		join = append(join, "127.0.0.1:"+strconv.Itoa(ps[i].gossip))
	}
	agents := make([]*agent, 3)
	for i := range agents {
		name := fmt.Sprintf("ovi-%d", i+1)
		src, err := os.ReadFile(filepath.Join(root, "deploy", "config", name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		out := rewriteNodeConfig(t, src, rewrite{dataDir: filepath.Join(dir, "data"), infrastructure: infra,
			http: ps[i].http, raft: ps[i].raft, gossip: ps[i].gossip, retryJoin: join, tlsDir: mat.dir,
			secrets: secrets{gossipKey: mat.gossipKey, readToken: mat.readToken, writeToken: mat.writeToken}})
		cfg := checkOnlyRewritten(t, name+".yaml", src, out)
		path := filepath.Join(dir, "ovi.yaml")
		if err := os.WriteFile(path, out, 0o600); err != nil {
			t.Fatal(err)
		}
		agents[i] = &agent{nodeName: cfg.NodeName, http: "127.0.0.1:" + strconv.Itoa(ps[i].http)}
		agents[i].Proc = clustertest.NewProc(t, name, dir, bin, "agent", "--config", path)
		agents[i].Env = simEnv()
	}
	for _, a := range agents {
		a.Start()
	}
	return agents
}

// member is one row of `ovi -o json members`.
type member struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	RaftRole string `json:"raft_role"`
	Voter    bool   `json:"voter"`
}

// members asks the agent at addr for the cluster's members.
func members(o operator, addr string) ([]member, error) {
	res, err := ovi(o, addr, "-o", "json", "members")
	if err != nil {
		return nil, err
	}
	if res.code != 0 {
		return nil, fmt.Errorf("exit %d: %s", res.code, strings.TrimSpace(res.stderr))
	}
	var out struct {
		Members []member `json:"members"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		return nil, fmt.Errorf("members JSON: %w", err)
	}
	return out.Members, nil
}

// leaderOf returns the leader's name if, as seen from addr, the cluster
// has exactly `alive` alive voters and exactly one leader among them.
func leaderOf(o operator, addr string, alive int) (string, string) {
	ms, err := members(o, addr)
	if err != nil {
		return "", err.Error()
	}
	n, leaders := 0, []string{}
	for _, m := range ms {
		if m.Status == "alive" && m.Voter {
			n++
			if m.RaftRole == "leader" {
				leaders = append(leaders, m.Name)
			}
		}
	}
	saw := fmt.Sprintf("%+v", ms)
	if n != alive || len(leaders) != 1 {
		return "", saw
	}
	return leaders[0], saw
}

// waitForLeader waits until every running agent sees `alive` alive voters
// and the same single leader, and returns it.
func waitForLeader(t *testing.T, o operator, agents []*agent, alive int, d time.Duration) *agent {
	t.Helper()
	var leader string
	clustertest.WaitForSeen(t, fmt.Sprintf("%d alive voters and one leader, on every running node", alive), d, func() (bool, string) {
		leader = ""
		for _, a := range agents {
			if !a.Running() {
				continue
			}
			l, saw := leaderOf(o, a.http, alive)
			if l == "" || (leader != "" && l != leader) {
				return false, a.Name + ": " + saw
			}
			leader = l
		}
		return leader != "", "no running node"
	})
	for _, a := range agents {
		if a.nodeName == leader {
			return a
		}
	}
	t.Fatalf("leader %q is none of the test's agents", leader)
	return nil
}

// stateDoc is the part of `ovi -o json state` the story reads.
type stateDoc struct {
	Revision  uint64 `json:"revision"`
	Resources []struct {
		ID      string `json:"id"`
		State   string `json:"state"`
		Managed bool   `json:"managed"`
	} `json:"resources"`
}

func parseState(t *testing.T, out string) stateDoc {
	t.Helper()
	var st stateDoc
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("state JSON: %v\n%s", err, out)
	}
	return st
}

// sameStateEverywhere waits until `ovi state --revision rev -o json` gives
// byte-identical output on every running agent, and returns it.
func sameStateEverywhere(t *testing.T, o operator, agents []*agent, rev uint64, d time.Duration) string {
	t.Helper()
	var want string
	clustertest.WaitForSeen(t, fmt.Sprintf("identical `ovi state --revision %d -o json` on every node", rev), d, func() (bool, string) {
		want = ""
		for _, a := range agents {
			if !a.Running() {
				continue
			}
			res, err := ovi(o, a.http, "state", "--revision", strconv.FormatUint(rev, 10), "-o", "json")
			switch {
			case err != nil:
				return false, err.Error()
			case res.code != 0:
				return false, a.Name + ": " + strings.TrimSpace(res.stderr)
			case want == "":
				want = res.stdout
			case res.stdout != want:
				return false, fmt.Sprintf("%s differs:\n%s\nvs\n%s", a.Name, res.stdout, want)
			}
		}
		return want != "", "no running node"
	})
	return want
}
