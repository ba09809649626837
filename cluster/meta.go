package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// metaVersion is the first byte of the gossiped node meta.
const metaVersion byte = 1

// errNotOvi marks gossip peers whose meta is not an Ovi agent's.
var errNotOvi = errors.New("cluster: peer is not an Ovi agent")

// nodeMeta is what every agent gossips about itself (memberlist limits it
// to 512 bytes): its name, Raft and HTTP addresses and version. Encoded as
// a version byte followed by JSON.
type nodeMeta struct {
	Name     string `json:"name"`
	RaftAddr string `json:"raft"`
	HTTPAddr string `json:"http"`
	Version  string `json:"version"`
	// WAL is the newest WAL format the node reads (wal.FormatCurrent);
	// nodes of the first release do not send it (read as format 1).
	WAL byte `json:"wal,omitempty"`
	// Leaving is set just before a graceful leave, so peers can tell
	// "left" from "failed" (memberlist's leave notification does not).
	Leaving bool `json:"leaving,omitempty"`
	// Caps lists, comma-separated, the node-to-node protocol features the
	// node serves beyond the first release's (capProposeBatch); older
	// nodes send none, and a peer uses a feature only with a node that
	// lists it. (A string, not a list: a member stays comparable.)
	Caps string `json:"caps,omitempty"`
}

// Capabilities of nodeMeta.Caps.
const (
	// capProposeBatch: the node, as leader, serves
	// transport.PathProposeMany (several forwarded proposals in one
	// request); a follower forwards one proposal a request to a leader
	// that does not list it.
	capProposeBatch = "propose-batch"
)

// ownCaps are the capabilities this release serves.
func ownCaps() string { return capProposeBatch }

// has reports whether the node lists capability c.
func (m nodeMeta) has(c string) bool { return slices.Contains(strings.Split(m.Caps, ","), c) }

func (m nodeMeta) encode() ([]byte, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("cluster: encode node meta: %w", err)
	}
	return append([]byte{metaVersion}, raw...), nil
}

func decodeMeta(b []byte) (nodeMeta, error) {
	var m nodeMeta
	if len(b) < 2 || b[0] != metaVersion {
		return m, errNotOvi
	}
	if err := json.Unmarshal(b[1:], &m); err != nil {
		return m, fmt.Errorf("%w: %w", errNotOvi, err)
	}
	if m.Name == "" || m.RaftAddr == "" || m.HTTPAddr == "" {
		return m, fmt.Errorf("%w: incomplete meta", errNotOvi)
	}
	return m, nil
}
