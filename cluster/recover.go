package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/raft"
)

// peersFile is the lost-quorum recovery file, read at start (as in Consul).
const peersFile = "peers.json"

// recoverPeers applies data_dir/raft/peers.json when it exists: the Raft
// configuration is replaced by the servers it lists (raft.RecoverCluster,
// which also replays the local log into the FSM and writes a snapshot of
// the result), and the file is renamed to peers.json.applied so that it
// is applied once. It runs before Raft starts. The file format is
// raft.ReadConfigJSON's: [{"id": "ovi-1", "address": "10.0.0.11:7401",
// "non_voter": false}, ...]. A bad file stops the agent with an error.
func (a *Agent) recoverPeers() error {
	path := filepath.Join(a.cfg.DataDir, "raft", peersFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("cluster: %s: %w", path, err)
	}
	configuration, err := raft.ReadConfigJSON(path)
	if err != nil {
		return fmt.Errorf("cluster: lost-quorum recovery: %s: %w", path, err)
	}
	ids := make([]string, 0, len(configuration.Servers))
	for _, s := range configuration.Servers {
		ids = append(ids, string(s.ID)+"="+string(s.Address))
	}
	a.logger.Warn("LOST-QUORUM RECOVERY: found "+peersFile+"; replacing the raft configuration with the servers it lists",
		"file", path, "servers", strings.Join(ids, ","))
	conf, err := a.raftConfig()
	if err != nil {
		return err
	}
	fsm := &releasingFSM{FSM: a.fsm}
	err = raft.RecoverCluster(conf, fsm, a.logStore, a.logStore, a.privateSnapshots(), a.trans, configuration)
	fsm.release()
	if err != nil {
		return fmt.Errorf("cluster: lost-quorum recovery from %s: %w", path, err)
	}
	if err := os.Rename(path, path+".applied"); err != nil {
		return fmt.Errorf("cluster: lost-quorum recovery applied, but renaming %s failed (remove it before the next start): %w", path, err)
	}
	a.logger.Warn("LOST-QUORUM RECOVERY done: raft configuration replaced; "+peersFile+" renamed to "+peersFile+".applied",
		"servers", strings.Join(ids, ","))
	return nil
}

// releasingFSM releases the FSM snapshots raft.RecoverCluster takes: it
// persists its snapshot but never calls Release, and the FSM's snapshot
// holds a read transaction of the store until then (a later restore would
// wait for it forever).
type releasingFSM struct {
	raft.FSM
	taken []raft.FSMSnapshot
}

// Snapshot takes a snapshot and remembers it.
func (f *releasingFSM) Snapshot() (raft.FSMSnapshot, error) {
	s, err := f.FSM.Snapshot()
	if err == nil {
		f.taken = append(f.taken, s)
	}
	return s, err
}

// release releases every snapshot taken.
func (f *releasingFSM) release() {
	for _, s := range f.taken {
		s.Release()
	}
	f.taken = nil
}
