package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

func TestSecurityRules(t *testing.T) {
	pki := newTestPKI(t)
	files := pki.issue("n1", false)
	base := DefaultConfig()
	base.DataDir, base.NodeName = "/tmp/x", "n1"
	public := base
	public.BindAddr = "10.0.0.11"
	cases := []struct {
		name   string
		cfg    func() Config
		wantIn string // "" = valid
	}{
		{"loopback plaintext", func() Config { return base }, ""},
		{"other loopback address", func() Config { c := base; c.BindAddr = "127.0.0.3"; return c }, ""},
		{"ipv6 loopback", func() Config { c := base; c.BindAddr = "::1"; return c }, ""},
		{"public without tls", func() Config { return public }, "ovi tls ca create"},
		{"wildcard without tls", func() Config { c := public; c.BindAddr, c.AdvertiseAddr = "0.0.0.0", "10.0.0.11"; return c }, "tls.ca_file"},
		{"public opt-out", func() Config { c := public; c.InsecurePlaintext = true; return c }, ""},
		{"public tls without gossip key", func() Config { c := public; c.TLS = files; return c }, "ovi keygen"},
		{"public tls and gossip key", func() Config { c := public; c.TLS, c.GossipKey = files, testGossipKey(1); return c }, ""},
		{"partial tls", func() Config { c := base; c.TLS.CertFile = files.CertFile; return c }, "set all three or none"},
		{"read token alone", func() Config { c := base; c.ACL.ReadToken = "r"; return c }, "acl.write_token"},
		{"same tokens", func() Config { c := base; c.ACL = ACLConfig{ReadToken: "t", WriteToken: "t"}; return c }, "must differ"},
	}
	for _, tc := range cases {
		cfg := tc.cfg()
		err := cfg.Validate()
		switch {
		case tc.wantIn == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantIn != "" && (err == nil || !strings.Contains(err.Error(), tc.wantIn) || strings.Contains(err.Error(), "\n")):
			t.Errorf("%s: err = %v, want one line containing %q", tc.name, err, tc.wantIn)
		}
	}
}

func TestInsecurePlaintextWarnsAtStartAndOnReload(t *testing.T) {
	cfg := testConfig(t, "loud", 1)
	cfg.InsecurePlaintext = true
	logs := capture(&cfg)
	a := startAgent(t, cfg)
	if n := logs.count("SECURITY WARNING"); n != 1 || logs.count("level=WARN") == 0 {
		t.Fatalf("start: %d warnings in\n%s", n, logs)
	}
	for range 2 {
		if err := a.Reload(cfg); err != nil {
			t.Fatal(err)
		}
	}
	if n := logs.count("SECURITY WARNING"); n != 3 {
		t.Fatalf("after two reloads: %d warnings, want 3", n)
	}
	changed := cfg
	changed.ACL = ACLConfig{ReadToken: "new-read-secret", WriteToken: "new-write-secret"}
	if err := a.Reload(changed); err != nil {
		t.Fatal(err)
	}
	if logs.count("need a restart; kept the running values") != 1 || strings.Contains(logs.String(), "new-write-secret") {
		t.Fatalf("reload with new tokens:\n%s", logs)
	}

	quiet := testConfig(t, "quiet", 1)
	quietLogs := capture(&quiet)
	q := startAgent(t, quiet)
	if err := q.Reload(quiet); err != nil {
		t.Fatal(err)
	}
	if quietLogs.count("SECURITY WARNING") != 0 || quietLogs.count("loopback address only") != 1 {
		t.Fatalf("loopback agent without opt-out:\n%s", quietLogs)
	}
}

// rawCall performs one request with an optional bearer token and returns
// the status and decoded error body.
func rawCall(t *testing.T, method, url, token string) (int, transport.ErrorBody) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var body transport.ErrorBody
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, body
}

func TestTokenScopes(t *testing.T) {
	const readTok, writeTok = "read-tok-7f3a9c", "write-tok-52e1d8"
	cfg := testConfig(t, "acl", 1)
	cfg.ACL = ACLConfig{ReadToken: readTok, WriteToken: writeTok}
	logs := capture(&cfg)
	a := startAgent(t, cfg)
	waitFor(t, "leadership", 10*time.Second, func() bool { return a.IsLeader() && a.readyTerm.Load() != 0 })
	base := "http://" + a.HTTPAddr()
	cases := []struct {
		method, path, token string
		status              int
		code                string
	}{
		{http.MethodGet, transport.PathHealth, "", 200, ""},
		{http.MethodGet, transport.PathStatus, "", 401, transport.CodeUnauthorized},
		{http.MethodGet, transport.PathWAL, "wrong-token", 401, transport.CodeUnauthorized},
		{http.MethodGet, transport.PathMembers, readTok, 200, ""},
		{http.MethodGet, transport.PathWAL, readTok, 200, ""},
		{http.MethodGet, transport.PathState, writeTok, 200, ""},
		{http.MethodPost, transport.PathNote, readTok, 403, transport.CodeForbidden},
		{http.MethodPost, transport.PathJoin, readTok, 403, transport.CodeForbidden},
		{http.MethodPost, transport.PathLeave, readTok, 403, transport.CodeForbidden},
		{http.MethodPost, transport.PathCompact, readTok, 403, transport.CodeForbidden},
		{http.MethodPost, transport.PathRestore, readTok, 403, transport.CodeForbidden},
		{http.MethodPost, transport.PathReconcile, readTok, 403, transport.CodeForbidden}, // an apply ({}); a dry run may: TestReadTokenMayDryRun
		{http.MethodPost, transport.PathRemovePeer, readTok, 403, transport.CodeForbidden},
		{http.MethodPost, transport.PathPropose, readTok, 403, transport.CodeForbidden},
		{http.MethodGet, transport.PathReadIndex, readTok, 403, transport.CodeForbidden},
		{http.MethodPost, transport.PathNote, "", 401, transport.CodeUnauthorized},
	}
	for _, tc := range cases {
		status, body := rawCall(t, tc.method, base+tc.path, tc.token)
		if status != tc.status || body.Error.Code != tc.code {
			t.Errorf("%s %s with %q: %d %+v, want %d %s", tc.method, tc.path, tc.token, status, body.Error, tc.status, tc.code)
		}
		if strings.Contains(body.Error.Message, readTok) || strings.Contains(body.Error.Message, "wrong-token") {
			t.Errorf("%s: the error echoes the token: %s", tc.path, body.Error.Message)
		}
	}
	refused := logs.count("api request refused")
	if refused != len(cases)-4 {
		t.Errorf("%d refusals logged, want %d:\n%s", refused, len(cases)-4, logs)
	}
	for _, secret := range []string{readTok, writeTok, "wrong-token"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds the token %q", secret)
		}
	}
}

func TestSecretsNeverReachLogsWALOrSnapshots(t *testing.T) {
	const readTok, writeTok = "rd-3b1f0c77e2", "wr-9d4a51c0f8"
	key := testGossipKey(7)
	cfg := testConfig(t, "secret", 1)
	cfg.ACL = ACLConfig{ReadToken: readTok, WriteToken: writeTok}
	cfg.GossipKey = key
	logs := capture(&cfg)
	a := startAgent(t, cfg)
	waitFor(t, "leadership", 10*time.Second, func() bool { return a.IsLeader() && a.readyTerm.Load() != 0 })
	ctx := context.Background()
	writer, _ := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{Token: writeTok})
	reader, _ := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{Token: readTok})
	stranger, _ := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{Token: "not-" + writeTok})
	if _, err := writer.Note(ctx, transport.NoteRequest{ResourceID: "r", Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	if _, err := reader.Note(ctx, transport.NoteRequest{Text: "x"}); apiCode(err) != transport.CodeForbidden {
		t.Fatalf("reader note: %v", err)
	}
	if _, err := stranger.WAL(ctx, transport.WALQuery{}); apiCode(err) != transport.CodeUnauthorized {
		t.Fatalf("stranger WAL: %v", err)
	}
	if _, err := reader.WAL(ctx, transport.WALQuery{}); err != nil {
		t.Fatal(err)
	}
	if err := a.raft.Snapshot().Error(); err != nil {
		t.Fatalf("raft snapshot: %v", err)
	}
	var snap strings.Builder
	if _, err := writer.Snapshot(ctx, &snap); err != nil {
		t.Fatal(err)
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	secrets := []string{readTok, writeTok, key}
	if logs.count("api request refused") != 2 || !strings.Contains(logs.String(), "level=DEBUG") {
		t.Fatalf("the log did not capture the refusals at debug level:\n%s", logs)
	}
	haystacks := map[string]string{"log": logs.String(), "API snapshot": snap.String()}
	err := filepath.WalkDir(cfg.DataDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		haystacks[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(haystacks) < 5 {
		t.Fatalf("data dir holds only %d files; expected raft.db, state.db and a snapshot", len(haystacks)-2)
	}
	for where, text := range haystacks {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the secret %q", where, s)
			}
		}
	}
}

// A dry run records nothing, so the read token may preview a plan; an
// apply still needs the write token.
func TestReadTokenMayDryRun(t *testing.T) {
	const readTok, writeTok = "read-tok-dry", "write-tok-dry"
	cfg := testConfig(t, "dry", 1)
	cfg.ACL = ACLConfig{ReadToken: readTok, WriteToken: writeTok}
	hook := ReconcileFunc(func(_ context.Context, req transport.ReconcileRequest, emit func(wal.Record)) error {
		emit(wal.Record{Kind: wal.KindNote, Note: &wal.Note{Text: fmt.Sprint("dry run ", req.DryRun)}})
		return nil
	})
	a := startAgentWith(t, cfg, hook)
	waitFor(t, "leadership", 10*time.Second, func() bool { return a.IsLeader() && a.readyTerm.Load() != 0 })
	reader, _ := transport.NewClient(a.HTTPAddr(), transport.ClientOptions{Token: readTok})
	var got []string
	err := reader.Reconcile(context.Background(), transport.ReconcileRequest{DryRun: true}, func(r wal.Record) error {
		got = append(got, r.Note.Text)
		return nil
	})
	if err != nil || len(got) != 1 || got[0] != "dry run true" {
		t.Fatalf("dry run with the read token: %v, %v", got, err)
	}
	err = reader.Reconcile(context.Background(), transport.ReconcileRequest{}, func(wal.Record) error { return nil })
	if apiCode(err) != transport.CodeForbidden {
		t.Fatalf("apply with the read token: %v, want forbidden", err)
	}
}
