//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// restampedMetric matches the leader's count of re-stamped record times.
var restampedMetric = regexp.MustCompile(`(?m)^ovi_records_restamped_total (\d+)$`)

// TestInternalProposeCannotForgeProposerOrTime is issue 11's second
// finding: a node holding its certificate and the write token POSTs
// /v1/internal/propose with records claiming another member's name and
// a back-dated (or future) time. The leader commits them under the
// sender's certificate name with its own clock; a time inside the window
// is kept. Operators' certificates and non-members' node certificates
// are refused.
func TestInternalProposeCannotForgeProposerOrTime(t *testing.T) {
	bin := clustertest.Binary(t)
	mat := clustertest.NewMaterial(t, bin, "ovi-1", "ovi-2", "ovi-3", outsider)
	nodes, l := clustertest.StartSecureCluster(t, bin, mat)
	ctx := clustertest.Context(t, 60*time.Second)
	fs := clustertest.Followers(nodes, l)
	sender, claimed := fs[0], fs[1]
	for _, cert := range []string{clustertest.OperatorCert, outsider} {
		c := mat.Client(t, l.HTTPAddr(), cert, mat.WriteToken)
		_, err := c.Propose(ctx, transport.ProposeRequest{Records: []wal.Record{forgedRecord("refused", time.Now(), l.Name)}})
		if apiCode(err) != transport.CodeForbidden {
			t.Fatalf("internal propose with the %s certificate: %v (want forbidden)", cert, err)
		}
	}
	before := time.Now().UTC()
	recent := before.Add(-2 * time.Second)
	c := mat.Client(t, l.HTTPAddr(), sender.Name, mat.WriteToken)
	res, err := c.Propose(ctx, transport.ProposeRequest{Records: []wal.Record{
		forgedRecord("back-dated", time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), claimed.Name),
		forgedRecord("future", before.Add(24*time.Hour), l.Name),
		forgedRecord("recent", recent, claimed.Name),
	}})
	if err != nil {
		t.Fatalf("internal propose with %s's certificate: %v", sender.Name, err)
	}
	after := time.Now().UTC()
	recs := batchAt(t, l, res.Revision)
	for _, r := range recs {
		if r.Node != sender.Name {
			t.Errorf("%q committed as node %q, want the certificate's %q", r.Note.Text, r.Node, sender.Name)
		}
		want := r.Time.Before(before) || r.Time.After(after)
		if r.Note.Text == "recent" {
			want = !r.Time.Equal(recent)
		}
		if want {
			t.Errorf("%q committed at %s (sent before %s, answered %s)", r.Note.Text, r.Time.Format(time.RFC3339Nano), before.Format(time.RFC3339Nano), after.Format(time.RFC3339Nano))
		}
	}
	if m := restampedMetric.FindStringSubmatch(metricsOf(t, l)); m == nil || m[1] != "2" {
		t.Errorf("leader's ovi_records_restamped_total: %v, want 2", m)
	}
	sameWAL(t, nodes, res.Revision)
}

func forgedRecord(text string, at time.Time, node string) wal.Record {
	return wal.Record{Kind: wal.KindNote, ResourceID: "claims", Time: at, Node: node, Note: &wal.Note{Text: text}}
}

func apiCode(err error) string {
	var e *transport.APIError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// batchAt is the records committed at revision rev.
func batchAt(t *testing.T, n *clustertest.Node, rev uint64) []wal.Record {
	t.Helper()
	w, err := n.Client.WAL(clustertest.Context(t, 10*time.Second), transport.WALQuery{After: transport.Revision{Main: rev - 1, Sub: 1 << 31}, Consistency: transport.Consistent})
	if err != nil {
		t.Fatal(err)
	}
	var out []wal.Record
	for _, e := range w.Records {
		if e.Revision.Main == rev {
			out = append(out, e.Record)
		}
	}
	if len(out) == 0 {
		t.Fatalf("nothing committed at %d", rev)
	}
	return out
}

// TestClockSkewedFollowers runs two followers with test-only clock offsets
// (OVI_TEST_CLOCK_OFFSET -2h and +2h) and writes notes through every node:
// `ovi wal replay --since T0 --until T1` on every node lists every one of
// them, in revision order, each stamped inside [T0, T1] by the leader's
// clock, and the nodes' answers are identical.
func TestClockSkewedFollowers(t *testing.T) {
	bin := clustertest.Binary(t)
	nodes, l := clustertest.StartCluster(t, bin)
	for i, f := range clustertest.Followers(nodes, l) { // one at a time: the leader keeps its quorum
		f.Stop(syscall.SIGKILL)
		f.Env = append(os.Environ(), fmt.Sprintf("OVI_TEST_CLOCK_OFFSET=%dh", []int{-2, 2}[i]))
		f.Start()
		clustertest.WaitFor(t, f.Name+" back with a skewed clock", 60*time.Second, func() bool {
			st, ok := f.Status()
			return ok && st.Leader != nil && st.Leader.Name == l.Name && settled(nodes)
		})
	}
	ctx := clustertest.Context(t, 60*time.Second)
	t0 := time.Now().UTC().Truncate(time.Second)
	const notes = 30
	for i := range notes {
		n := nodes[i%3]
		if _, err := n.Client.Note(ctx, transport.NoteRequest{ResourceID: "skew-" + strconv.Itoa(i), Text: n.Name}); err != nil {
			t.Fatalf("note %d through %s: %v", i, n.Name, err)
		}
	}
	t1 := time.Now().UTC().Add(time.Second).Truncate(time.Second)
	if st, ok := l.Status(); !ok || st.State != "Leader" {
		t.Fatalf("leadership moved away from %s (unskewed) during the writes: the leader's clock is the reference, so this run cannot check the times", l.Name)
	}
	var want []byte
	for _, n := range nodes {
		got := replaySince(t, bin, n, t0, t1)
		checkSkewReplay(t, n.Name, got, notes, t0, t1)
		b, _ := json.Marshal(got)
		if want == nil {
			want = b
		} else if !bytes.Equal(b, want) {
			t.Fatalf("%s: wal replay --since differs from %s's", n.Name, nodes[0].Name)
		}
	}
}

// replaySince runs `ovi wal replay --type note --since t0 --until t1 -o json`
// (a linearizable read) against n.
func replaySince(t *testing.T, bin string, n *clustertest.Node, t0, t1 time.Time) []transport.WALEntry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--address", "http://"+n.HTTPAddr(), "--consistency", "consistent", "-o", "json", "wal", "replay", "--type", "note",
		"--since", t0.Format(time.RFC3339), "--until", t1.Format(time.RFC3339))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ovi wal replay on %s: %v\n%s", n.Name, err, stderr.String())
	}
	var entries []transport.WALEntry
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var e transport.WALEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("wal replay line %q: %v", sc.Text(), err)
		}
		entries = append(entries, e)
	}
	return entries
}

// checkSkewReplay: every note once, in revision order, timed in [t0, t1).
func checkSkewReplay(t *testing.T, node string, got []transport.WALEntry, notes int, t0, t1 time.Time) {
	t.Helper()
	if len(got) != notes {
		for _, e := range got {
			t.Logf("%v %s %s %s", e.Revision, e.Record.ResourceID, e.Record.Node, e.Record.Time.Format(time.RFC3339Nano))
		}
		t.Fatalf("%s: wal replay --since %s --until %s lists %d notes, want %d", node, t0.Format(time.RFC3339), t1.Format(time.RFC3339), len(got), notes)
	}
	for i, e := range got {
		if e.Record.ResourceID != "skew-"+strconv.Itoa(i) {
			t.Fatalf("%s: replay entry %d is %s, want skew-%d (revision order)", node, i, e.Record.ResourceID, i)
		}
		if i > 0 && !revBefore(got[i-1].Revision, e.Revision) {
			t.Fatalf("%s: revisions out of order: %v then %v", node, got[i-1].Revision, e.Revision)
		}
		if e.Record.Time.Before(t0) || !e.Record.Time.Before(t1) {
			t.Fatalf("%s: note %s through %s stamped %s, outside [%s, %s)", node, e.Record.ResourceID, e.Record.Note.Text,
				e.Record.Time.Format(time.RFC3339Nano), t0.Format(time.RFC3339), t1.Format(time.RFC3339))
		}
	}
}

func revBefore(a, b transport.Revision) bool {
	return a.Main < b.Main || (a.Main == b.Main && a.Sub < b.Sub)
}
