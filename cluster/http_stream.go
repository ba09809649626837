package cluster

import (
	"encoding/json"
	"math"
	"net/http"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// Follow streaming limits.
const (
	followChunk     = 1000
	followKeepAlive = 15 * time.Second
	// maxReconcileBody bounds POST /v1/reconcile: the request carries the
	// parsed desired configuration, whose JSON may be somewhat larger than
	// the (at most 1 MiB) file it came from.
	maxReconcileBody = 4 << 20
)

// handleFollow streams records committed after the query's After revision
// (default: the current revision) as newline-delimited JSON, waking on
// store.Changed(). It ends when the client goes away.
func (a *Agent) handleFollow(w http.ResponseWriter, r *http.Request) error {
	q, err := transport.ParseWALQuery(r.URL.Query())
	if err != nil {
		return transport.Errorf(transport.CodeBadRequest, "%v", err)
	}
	if err := a.ReadBarrier(r.Context(), q.Consistency); err != nil {
		return err
	}
	if q.After == (transport.Revision{}) {
		q.After = transport.Revision{Main: a.store.CurrentRevision(), Sub: math.MaxUint32}
	}
	w.Header().Set("Content-Type", transport.ContentTypeNDJS)
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	filter := replayFilter(&q)
	filter.Limit = followChunk
	for {
		changed := a.store.Changed()
		recs, err := a.store.Replay(filter)
		if err != nil {
			_ = enc.Encode(transport.FollowLine{Error: toAPIError(err)})
			return nil
		}
		for _, ra := range recs {
			entry := transport.WALEntry{Revision: toRev(ra.Revision), Record: ra.Record}
			if err := enc.Encode(transport.FollowLine{Entry: &entry}); err != nil {
				return nil
			}
			filter.After = ra.Revision
		}
		if flusher != nil {
			flusher.Flush()
		}
		if len(recs) == followChunk {
			continue
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-a.stopCh:
			return nil
		case <-changed:
		case <-time.After(followKeepAlive):
			if _, err := w.Write([]byte("\n")); err != nil {
				return nil
			}
		}
	}
}

func (a *Agent) handleReconcile(w http.ResponseWriter, r *http.Request) error {
	var in transport.ReconcileRequest
	if e := transport.DecodeBodyLimit(w, r, &in, maxReconcileBody); e != nil {
		return e
	}
	// A dry run writes nothing to the log (the reconciler only streams its
	// records), so the read token may preview a plan; an apply needs the
	// write token.
	if !in.DryRun {
		if e := a.authorize(r, scopeWrite); e != nil {
			a.logger.Warn("api request refused", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr,
				"code", e.Code, "reason", e.Message)
			return e
		}
	}
	if !a.IsLeader() {
		return a.forwardReconcile(w, r, in)
	}
	if a.rec == nil {
		return transport.Errorf(transport.CodeUnavailable, "this agent has no reconciler wired")
	}
	w.Header().Set("Content-Type", transport.ContentTypeNDJS)
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	emit := func(rec wal.Record) {
		_ = enc.Encode(transport.ReconcileLine{Record: &rec})
		if flusher != nil {
			flusher.Flush()
		}
	}
	if err := a.rec.Reconcile(r.Context(), in, emit); err != nil {
		_ = enc.Encode(transport.ReconcileLine{Error: toAPIError(err)})
	}
	return nil
}

// forwardReconcile relays a reconcile to the leader, streaming its lines.
func (a *Agent) forwardReconcile(w http.ResponseWriter, r *http.Request, in transport.ReconcileRequest) error {
	_, leader, err := a.leaderClient()
	if err != nil {
		return err
	}
	started := false
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	err = leader.Reconcile(r.Context(), in, func(rec wal.Record) error {
		if !started {
			w.Header().Set("Content-Type", transport.ContentTypeNDJS)
			w.WriteHeader(http.StatusOK)
			started = true
		}
		if err := enc.Encode(transport.ReconcileLine{Record: &rec}); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	})
	if err != nil && started {
		_ = enc.Encode(transport.ReconcileLine{Error: toAPIError(err)})
		return nil
	}
	if err == nil && !started {
		w.Header().Set("Content-Type", transport.ContentTypeNDJS)
		w.WriteHeader(http.StatusOK)
	}
	return err
}
