//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/reconcile"
)

// rewrite is what the test changes in a node config of deploy/config:
// ports, paths, addresses and secrets, nothing else.
type rewrite struct {
	dataDir, infrastructure string
	http, raft, gossip      int
	retryJoin               []string // replaces the list items in order
	tlsDir                  string   // tls.* keep their file names, in this directory
	secrets                 secrets
}

// secrets replace the placeholders deploy/config ships.
type secrets struct{ gossipKey, readToken, writeToken string }

// tlsKeys are the TLS file keys: their directory is rewritten, their file
// name must stay what `ovi tls … create` writes.
var tlsKeys = []string{"tls.ca_file", "tls.cert_file", "tls.key_file"}

// keyLine matches "  key: value  # comment".
var keyLine = regexp.MustCompile(`^(\s*)([a-z_]+):(\s*)([^#]*?)(\s*#.*)?$`)

// listItem matches "  - value".
var listItem = regexp.MustCompile(`^(\s*-\s+)(\S+)(.*)$`)

// rewriteNodeConfig rewrites one of deploy/config/ovi-N.yaml line by line,
// keeping everything but the values of data_dir, bind_addr (127.0.0.1),
// ports.*, retry_join items, infrastructure, the directory of tls.*, and
// the secrets gossip_key and acl.*. Every one of those must be found: a
// renamed key fails the test rather than being silently kept; a TLS file
// name the commands do not write fails it too.
func rewriteNodeConfig(t *testing.T, src []byte, rw rewrite) []byte {
	t.Helper()
	values := map[string]string{
		"data_dir": rw.dataDir, "bind_addr": "127.0.0.1", "infrastructure": rw.infrastructure,
		"ports.http": fmt.Sprint(rw.http), "ports.raft": fmt.Sprint(rw.raft), "ports.gossip": fmt.Sprint(rw.gossip),
		"gossip_key": strconv.Quote(rw.secrets.gossipKey), "acl.read_token": strconv.Quote(rw.secrets.readToken),
		"acl.write_token": strconv.Quote(rw.secrets.writeToken),
	}
	for _, key := range tlsKeys {
		values[key] = ""
	}
	seen := map[string]bool{}
	parent, items := "", 0
	lines := strings.Split(string(src), "\n")
	for i, line := range lines {
		if m := listItem.FindStringSubmatch(line); m != nil && parent == "retry_join" {
			if items >= len(rw.retryJoin) {
				t.Fatalf("config has more retry_join entries than the test has nodes")
			}
			lines[i] = m[1] + rw.retryJoin[items] + m[3]
			items++
			continue
		}
		m := keyLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := m[2]
		if m[1] == "" {
			parent = key
		} else {
			key = parent + "." + key
		}
		if v, ok := values[key]; ok {
			if strings.HasPrefix(key, "tls.") {
				v = movedTLSFile(t, key, m[4], rw.tlsDir)
			}
			lines[i] = m[1] + m[2] + ":" + m[3] + v + m[5]
			seen[key] = true
		}
	}
	for key := range values {
		if !seen[key] {
			t.Fatalf("node config has no %s to rewrite", key)
		}
	}
	if items != len(rw.retryJoin) {
		t.Fatalf("node config has %d retry_join entries, the test has %d nodes", items, len(rw.retryJoin))
	}
	return []byte(strings.Join(lines, "\n"))
}

// movedTLSFile is the file the config's value names, in dir instead; it
// must exist there (the test made dir with `ovi tls … create`).
func movedTLSFile(t *testing.T, key, value, dir string) string {
	t.Helper()
	name := filepath.Base(strings.Trim(value, `"'`))
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s names %s, a file `ovi tls ca create` / `ovi tls cert create` do not write: %v", key, value, err)
	}
	return path
}

// checkOnlyRewritten parses both files as the agent does and checks they
// differ in the rewritten fields only: TLS files keep their names, and the
// shipped secrets are "<…>" placeholders, never real-looking ones.
func checkOnlyRewritten(t *testing.T, name string, orig, rewritten []byte) cluster.Config {
	t.Helper()
	a, err := cluster.ParseConfig(name, orig)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cluster.ParseConfig(name+" (rewritten)", rewritten)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.RetryJoin) != len(b.RetryJoin) {
		t.Fatalf("%s: retry_join has %d entries after the rewrite, %d before", name, len(b.RetryJoin), len(a.RetryJoin))
	}
	for _, f := range [][2]string{{a.TLS.CAFile, b.TLS.CAFile}, {a.TLS.CertFile, b.TLS.CertFile}, {a.TLS.KeyFile, b.TLS.KeyFile}} {
		if filepath.Base(f[0]) != filepath.Base(f[1]) {
			t.Fatalf("%s: the rewrite renamed the TLS file %s to %s", name, f[0], f[1])
		}
	}
	for key, v := range map[string]string{"gossip_key": a.GossipKey, "acl.read_token": a.ACL.ReadToken, "acl.write_token": a.ACL.WriteToken} {
		if !strings.HasPrefix(v, "<") || !strings.HasSuffix(v, ">") {
			t.Fatalf("%s: %s is not a \"<…>\" placeholder: do not ship secrets", name, key)
		}
	}
	got := b
	for _, c := range []*cluster.Config{&a, &b} {
		c.DataDir, c.BindAddr, c.Infrastructure, c.Ports, c.RetryJoin = "", "", "", cluster.Ports{}, nil
		c.TLS, c.GossipKey, c.ACL = cluster.TLSConfig{}, "", cluster.ACLConfig{}
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s: the rewrite changed more than ports, paths, addresses and secrets:\n%+v\nvs\n%+v", name, a, b)
	}
	return got
}

// infrastructureCopy writes deploy/config/infrastructure.yaml to dir with
// an endpoint: line (the simulator) after region:, and the count of its
// only group set to count. It returns the path.
func infrastructureCopy(t *testing.T, root, dir, endpoint string, count int) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "deploy", "config", "infrastructure.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	region := regexp.MustCompile(`(?m)^region:.*$`)
	counts := regexp.MustCompile(`(?m)^(\s+count:\s*)\d+`)
	if len(region.FindAll(src, -1)) != 1 || len(counts.FindAll(src, -1)) != 1 {
		t.Fatalf("deploy/config/infrastructure.yaml: expected one region: and one count: line")
	}
	out := region.ReplaceAll(src, []byte("$0\nendpoint: "+endpoint))
	out = counts.ReplaceAll(out, []byte(fmt.Sprintf("${1}%d", count)))
	path := filepath.Join(dir, "infrastructure.yaml")
	writeAtomic(t, path, out)
	if _, err := reconcile.ParseConfig(path, out); err != nil {
		t.Fatalf("the rewritten infrastructure file does not parse: %v", err)
	}
	return path
}

// writeAtomic replaces path's content at once (temp file + rename), so an
// agent polling the file never reads half of it.
func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
