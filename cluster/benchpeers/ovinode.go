package benchpeers

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/wal"
)

// OviNode is an Ovi agent (cluster.Agent: Raft, the FSM and its store, the
// HTTP API, as `ovi agent` runs them, without a reconciler) in the
// process of the `ovinode` subcommand, with a control API that runs the
// append load inside it: the Ovi column with its load where raw Raft's
// is, so that the two differ only by what Ovi does with a write, not by
// the client and its HTTP hop.
type OviNode struct {
	Agent *cluster.Agent
	text  string
}

// StartOviNode starts the agent of cfg; its notes carry valSize bytes.
func StartOviNode(cfg cluster.Config, valSize int) (*OviNode, error) {
	a, err := cluster.New(cfg)
	if err != nil {
		return nil, err
	}
	return &OviNode{Agent: a, text: strings.Repeat("n", valSize)}, nil
}

// Close shuts the agent down.
func (n *OviNode) Close() error { return n.Agent.Shutdown(context.Background()) }

// Handler is the control API: POST /load?clients=N&total=M runs the
// appends through this agent's Propose — what POST /v1/wal/note does
// after its HTTP request is read — and answers with their Sample.
func (n *OviNode) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /load", n.serveLoad)
	return mux
}

func (n *OviNode) serveLoad(w http.ResponseWriter, r *http.Request) { serveLoad(w, r, n.note) }

// note proposes one note on one of 100,000 resource ids, bounded as the
// API bounds a write.
func (n *OviNode) note(ctx context.Context, _ int) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rec := wal.Record{Kind: wal.KindNote, ResourceID: "k" + strconv.Itoa(rand.IntN(100000)), Note: &wal.Note{Text: n.text}}
	_, err := n.Agent.Propose(ctx, []wal.Record{rec})
	return err
}
