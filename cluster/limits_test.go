package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

func TestWALQueriesAreBounded(t *testing.T) {
	a, c := soloClient(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	total := transport.DefaultWALLimit + 5
	batch := make([]wal.Record, 0, transport.DefaultWALLimit)
	for i := range transport.DefaultWALLimit {
		batch = append(batch, note(fmt.Sprintf("k%d", i), "x"))
	}
	if _, err := a.Propose(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Propose(ctx, batch[:5]); err != nil {
		t.Fatal(err)
	}
	kinds := []wal.Kind{wal.KindNote}

	// One answer without a limit holds DefaultWALLimit records and says more.
	resp, err := http.Get("http://" + a.HTTPAddr() + transport.PathWAL + "?kind=note")
	if err != nil {
		t.Fatal(err)
	}
	var page transport.WALResponse
	err = json.NewDecoder(resp.Body).Decode(&page)
	_ = resp.Body.Close()
	if err != nil || len(page.Records) != transport.DefaultWALLimit || !page.More {
		t.Fatalf("unlimited answer: %d records, more=%v, %v", len(page.Records), page.More, err)
	}
	// The client pages through them all.
	all, err := c.WAL(ctx, transport.WALQuery{Kinds: kinds})
	if err != nil || len(all.Records) != total || all.More {
		t.Fatalf("client: %d records (want %d), more=%v, %v", len(all.Records), total, all.More, err)
	}
	// An explicit limit is one answer; above MaxWALLimit is a clear error.
	some, err := c.WAL(ctx, transport.WALQuery{Kinds: kinds, Limit: 3})
	if err != nil || len(some.Records) != 3 || !some.More {
		t.Fatalf("limit 3: %d records, more=%v, %v", len(some.Records), some.More, err)
	}
	status, body := rawCall(t, http.MethodGet, fmt.Sprintf("http://%s%s?limit=%d", a.HTTPAddr(), transport.PathWAL, transport.MaxWALLimit+1), "")
	if status != http.StatusBadRequest || !strings.Contains(body.Error.Message, "limit") {
		t.Fatalf("limit over the maximum: %d %+v", status, body)
	}
}

func TestAgentConfigYAMLIsBounded(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"alias":       {"data_dir: &d /x\ninfrastructure: *d\n", "aliases are not allowed"},
		"anchor only": {"node_name: &n ovi-1\ndata_dir: /x\n", "anchors and aliases"},
		"merge key":   {"ports: {http: 1}\nacl:\n  <<: {read_token: r}\n", "merge keys"},
		"tag":         {"data_dir: !!str /x\n", "tags"},
		"flow nesting": {"retry_join: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n",
			"deeper than 4 flow collections"},
		"block nesting": {"data_dir: /x\n" + deepBlock(40), "indented deeper than"},
		"too large":     {"data_dir: /x\n" + strings.Repeat("# padding\n", 8000), "larger than"},
	}
	for name, tc := range cases {
		_, err := ParseConfig("ovi.yaml", []byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "ovi.yaml") {
			t.Errorf("%s: err = %v (want one line containing %q)", name, err, tc.want)
		}
	}
	// Quoted brackets and comments do not count as nesting.
	ok := "data_dir: /x # [[[[[[ not nesting\nnode_name: \"[[[[[[\"\nretry_join: [\"[::1]:7402\"]\n"
	if _, err := ParseConfig("ovi.yaml", []byte(ok)); err != nil {
		t.Fatalf("valid file refused: %v", err)
	}
}

// deepBlock is a block mapping nested n levels deep.
func deepBlock(n int) string {
	var b strings.Builder
	b.WriteString("acl:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat("  ", i), i)
	}
	return b.String()
}

func TestReconcileBodyFitsALargeConfigButIsBounded(t *testing.T) {
	a, _ := soloClient(t, nil)
	post := func(groups int) int {
		cfg := wal.Config{Version: "1", Provider: "aws", Region: "us-east-1"}
		for i := range groups {
			cfg.Groups = append(cfg.Groups, wal.Group{Name: fmt.Sprintf("group-%05d", i), Type: "ec2", Count: 1, Size: "t3.micro",
				Tags: map[string]string{"team": strings.Repeat("t", 200)}})
		}
		raw, err := json.Marshal(transport.ReconcileRequest{DryRun: true, Config: &cfg})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post("http://"+a.HTTPAddr()+transport.PathReconcile, transport.ContentTypeJSON, strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	// About 1.4 MiB of JSON: decoded (the agent has no reconciler wired: 503).
	if status := post(5000); status != http.StatusServiceUnavailable {
		t.Fatalf("a 1.4 MiB reconcile request: status %d", status)
	}
	if status := post(20000); status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 5.6 MiB reconcile request: status %d", status)
	}
}
