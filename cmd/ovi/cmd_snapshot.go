package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// snapshotCommand is `ovi snapshot save|restore|inspect FILE`.
func snapshotCommand() *cli.Command {
	return &cli.Command{
		Name:  "snapshot",
		Usage: "save, restore and inspect snapshots of the cluster's state",
		Description: `Examples:
   ovi snapshot save backup.snap
   ovi snapshot inspect backup.snap
   ovi snapshot restore backup.snap`,
		Subcommands: []*cli.Command{
			{
				Name: "save", Usage: "save a consistent snapshot of the agent's store to FILE",
				UsageText: "ovi snapshot save FILE", Description: "Example:\n   ovi snapshot save backup.snap",
				Flags:  outputFlags(),
				Action: snapshotSaveAction,
			},
			{
				Name: "restore", Usage: "replace the whole cluster's state with the snapshot in FILE",
				UsageText: "ovi snapshot restore FILE", Description: "Example:\n   ovi snapshot restore backup.snap",
				Flags:  outputFlags(),
				Action: snapshotRestoreAction,
			},
			{
				Name: "inspect", Usage: "describe the snapshot in FILE (offline: no agent needed)",
				UsageText: "ovi snapshot inspect FILE", Description: "Example:\n   ovi snapshot inspect backup.snap",
				Flags:  outputFlags(),
				Action: snapshotInspectAction,
			},
		},
	}
}

// snapshotFileArg returns the one FILE argument.
func snapshotFileArg(c *cli.Context, verb string) (string, error) {
	if c.NArg() != 1 {
		return "", newCLIError("snapshot "+verb, errors.New("want exactly one FILE"), "e.g. ovi snapshot "+verb+" backup.snap")
	}
	return c.Args().First(), nil
}

func snapshotSaveAction(c *cli.Context) error {
	path, err := snapshotFileArg(c, "save")
	if err != nil {
		return err
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".part-*")
	if err != nil {
		return newCLIError("save snapshot", err, "")
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	n, err := s.client.Snapshot(c.Context, tmp)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return s.apiFailure("save snapshot", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return newCLIError("save snapshot", err, "")
	}
	_, err = fmt.Fprintf(c.App.Writer, "Saved snapshot to %s (%d bytes).\n", path, n)
	return err
}

func snapshotRestoreAction(c *cli.Context) error {
	path, err := snapshotFileArg(c, "restore")
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return newCLIError("restore snapshot", err, "")
	}
	defer func() { _ = f.Close() }()
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	resp, err := s.client.Restore(c.Context, f)
	if err != nil {
		return s.apiFailure("restore snapshot", err)
	}
	if s.render.json() {
		return writeJSONDocument(c.App.Writer, resp)
	}
	_, err = fmt.Fprintf(c.App.Writer, "Restored %s; the cluster is at revision %d.\n", path, resp.Revision)
	return err
}

// snapshotInfo describes a snapshot file.
type snapshotInfo struct {
	File      string `json:"file"`
	Bytes     int64  `json:"bytes"`
	SHA256    string `json:"sha256"`
	Revision  uint64 `json:"revision"`
	Term      uint64 `json:"term"`
	Compacted uint64 `json:"compacted"`
	Records   uint64 `json:"records"`
	Keys      int    `json:"keys"`
	Resources int    `json:"resources"`
	Config    string `json:"config,omitempty"` // "sha256:abcd1234 (infrastructure.yaml)"
}

func snapshotInspectAction(c *cli.Context) error {
	path, err := snapshotFileArg(c, "inspect")
	if err != nil {
		return err
	}
	g, err := globalsFrom(c)
	if err != nil {
		return err
	}
	info, err := inspectSnapshot(path)
	if err != nil {
		return newCLIError("inspect "+path, err, "is it a file written by 'ovi snapshot save'?")
	}
	o := renderOptionsFrom(c, g)
	if o.json() {
		return writeJSONDocument(c.App.Writer, info)
	}
	info = terminalSafe(info)
	t := newTable(c.App.Writer)
	t.row("File", info.File)
	t.row("Size", fmt.Sprintf("%d bytes", info.Bytes))
	t.row("SHA-256", info.SHA256)
	t.row("Revision", fmt.Sprintf("%d (term %d)", info.Revision, info.Term))
	t.row("Compacted", fmt.Sprint(info.Compacted))
	t.row("Records", fmt.Sprint(info.Records))
	t.row("Keys", fmt.Sprintf("%d (%d resources)", info.Keys, info.Resources))
	t.row("Config", orDash(info.Config))
	return t.flush()
}

// inspectSnapshot restores the file into a scratch store (which checks
// its trailer and checksum) and reads what it holds.
func inspectSnapshot(path string) (snapshotInfo, error) {
	info := snapshotInfo{File: path}
	f, err := os.Open(path)
	if err != nil {
		return info, err
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	dir, err := os.MkdirTemp("", "ovi-inspect-*")
	if err != nil {
		return info, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	store, err := mvcc.Open(filepath.Join(dir, "state.db"), mvcc.Options{NoSync: true})
	if err != nil {
		return info, err
	}
	defer func() { _ = store.Close() }()
	counter := &countingReader{r: io.TeeReader(f, h)}
	if err := store.Restore(counter); err != nil {
		return info, err
	}
	info.Bytes, info.SHA256 = counter.n, hex.EncodeToString(h.Sum(nil))
	return info, describeStore(store, &info)
}

// describeStore fills info from a restored store.
func describeStore(store *mvcc.Store, info *snapshotInfo) error {
	info.Revision, info.Term = store.AppliedIndex()
	info.Compacted = store.CompactedRevision()
	var err error
	if info.Records, err = store.RecordCount(); err != nil {
		return err
	}
	kvs, err := store.List("", 0)
	if err != nil {
		return err
	}
	info.Keys = len(kvs)
	var resp transport.StateResponse
	for _, kv := range kvs {
		if rec, err := wal.DecodeRecord(kv.Value); err == nil {
			resp.Entries = append(resp.Entries, transport.KeyValue{Key: kv.Key, Record: &rec})
		}
	}
	view := stateViewOf(resp)
	info.Resources = len(view.Resources)
	if view.Config != nil {
		info.Config = configRef(view.Config)
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

// Read implements io.Reader.
func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
