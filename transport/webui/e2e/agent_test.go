//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// Tokens of the agent under test: the UI must ask for the read token.
const (
	readToken  = "ui-e2e-read-token-5f1c"
	writeToken = "ui-e2e-write-token-9b2e"
)

// devAgent is `ovi agent -dev` (one node, the EC2 simulator inside) with
// ACL tokens, and what the test reaches it with.
type devAgent struct {
	node     *clustertest.Node
	read     *transport.Client // with the read token
	write    *transport.Client // with the write token
	ec2      *ec2.Client       // the real SDK, talking to the agent's simulator
	infra    string            // the dev agent's infrastructure file
	interval time.Duration
}

// startDevAgent starts the agent and waits for its simulator and file.
func startDevAgent(t *testing.T) *devAgent {
	t.Helper()
	bin := clustertest.Binary(t)
	n := clustertest.NewNode(t, bin, "ui", "-dev", "--interval", "1s",
		"--acl-read-token", readToken, "--acl-write-token", writeToken)
	n.Start()
	a := &devAgent{node: n, interval: time.Second}
	var err error
	if a.read, err = transport.NewClient(n.HTTPAddr(), transport.ClientOptions{Token: readToken}); err != nil {
		t.Fatal(err)
	}
	if a.write, err = transport.NewClient(n.HTTPAddr(), transport.ClientOptions{Token: writeToken}); err != nil {
		t.Fatal(err)
	}
	clustertest.WaitForSeen(t, "the agent to lead", 30*time.Second, func() (bool, string) {
		st, err := a.read.Status(context.Background())
		return err == nil && st.State == "Leader", fmt.Sprint(st.State, err)
	})
	endpoint := logValue(t, n, "ec2_endpoint")
	a.infra = logValue(t, n, "infrastructure")
	a.ec2 = ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: awssdk.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("OVIDEVACCESSKEY", "ovi-dev-secret", "")})
	return a
}

// logValue waits for key=VALUE in the agent's log and returns VALUE.
func logValue(t *testing.T, n *clustertest.Node, key string) string {
	t.Helper()
	re := regexp.MustCompile(`\b` + regexp.QuoteMeta(key) + `=(\S+)`)
	var v string
	clustertest.WaitForSeen(t, "the agent to log "+key, 30*time.Second, func() (bool, string) {
		if !n.Running() {
			t.Fatalf("agent exited: %v\n%s", n.ExitErr(), clustertest.Tail(n.Log(), 20))
		}
		if m := re.FindStringSubmatch(n.Log()); m != nil {
			v = m[1]
		}
		return v != "", clustertest.Tail(n.Log(), 3)
	})
	return v
}

// resources lists the resources in the state at rev (0 = current) and the
// revision read.
func (a *devAgent) resources(t *testing.T, rev uint64) ([]wal.Resource, uint64) {
	t.Helper()
	resp, err := a.read.State(context.Background(), transport.StateQuery{Prefix: "resources/", Revision: rev})
	if err != nil {
		t.Fatalf("state at %d: %v", rev, err)
	}
	var out []wal.Resource
	for _, kv := range resp.Entries {
		if kv.Record != nil && kv.Record.Observed != nil {
			out = append(out, kv.Record.Observed.Resource)
		}
	}
	return out, resp.Revision
}

// isInstance tells EC2 instance ids from those of other resource kinds.
func isInstance(id string) bool { return strings.HasPrefix(id, "i-") }

// countInstances counts the instance ids in ids.
func countInstances(ids []string) int {
	n := 0
	for _, id := range ids {
		if isInstance(id) {
			n++
		}
	}
	return n
}

// ids are the sorted ids of resources.
func ids(rs []wal.Resource) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

// waitFleet waits until the state holds managed live instances and
// unmanaged ones in these numbers, then for a cycle summary after that,
// and returns that summary's revision (a stop of the UI's slider).
func (a *devAgent) waitFleet(t *testing.T, managed, unmanaged int, extra func([]wal.Resource) bool) uint64 {
	t.Helper()
	var at uint64
	clustertest.WaitForSeen(t, "the fleet to settle", 60*time.Second, func() (bool, string) {
		rs, rev := a.resources(t, 0)
		m, u := 0, 0
		for _, r := range rs {
			switch {
			case !isInstance(r.ID): // other kinds (security groups, …) are not counted
			case !r.Managed:
				u++
			case r.State == "running":
				m++
			}
		}
		at = rev
		return m == managed && u == unmanaged && (extra == nil || extra(rs)), strings.Join(ids(rs), " ")
	})
	var summary uint64
	clustertest.WaitFor(t, "a cycle summary after the fleet settled", 30*time.Second, func() bool {
		resp, err := a.read.WAL(context.Background(), transport.WALQuery{Kinds: []wal.Kind{wal.KindCycleSummary},
			After: transport.Revision{Main: at}, Limit: 1})
		if err == nil && len(resp.Records) == 1 {
			summary = resp.Records[0].Revision.Main
		}
		return summary != 0
	})
	return summary
}

// tagHostile sets a tag whose value is markup on id through the real SDK.
func (a *devAgent) tagHostile(t *testing.T, id, key, value string) {
	t.Helper()
	_, err := a.ec2.CreateTags(context.Background(), &ec2.CreateTagsInput{Resources: []string{id},
		Tags: []ec2types.Tag{{Key: awssdk.String(key), Value: awssdk.String(value)}}})
	if err != nil {
		t.Fatalf("CreateTags on %s: %v", id, err)
	}
}

// scale rewrites the agent's infrastructure file with count instances.
func (a *devAgent) scale(t *testing.T, from, to int) {
	t.Helper()
	b, err := os.ReadFile(a.infra)
	if err != nil {
		t.Fatal(err)
	}
	old := "count: " + strconv.Itoa(from)
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", a.infra, old)
	}
	if err := os.WriteFile(a.infra, []byte(strings.Replace(string(b), old, "count: "+strconv.Itoa(to), 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitRefusals waits for n refused decisions (blessed resources Ovi will
// not delete) committed after revision after, and returns their ids.
func (a *devAgent) waitRefusals(t *testing.T, after uint64, n int) []string {
	t.Helper()
	var got []string
	clustertest.WaitForSeen(t, "refused deletions of blessed instances", 30*time.Second, func() (bool, string) {
		resp, err := a.read.WAL(context.Background(), transport.WALQuery{Kinds: []wal.Kind{wal.KindDecided},
			After: transport.Revision{Main: after}})
		if err != nil {
			return false, err.Error()
		}
		got = got[:0]
		for _, e := range resp.Records {
			if d := e.Record.Decided; d.Action == wal.ActionRefuse && !d.DryRun && !slices.Contains(got, e.Record.ResourceID) {
				got = append(got, e.Record.ResourceID)
			}
		}
		return len(got) == n, strings.Join(got, " ")
	})
	slices.Sort(got)
	return got
}
