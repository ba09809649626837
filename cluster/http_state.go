package cluster

import (
	"math"
	"net/http"
	"time"

	"github.com/yairfalse/ovi/mvcc"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// maxProposeBody limits forwarded proposals (batches of records).
const maxProposeBody = 16 << 20

func (a *Agent) handleState(w http.ResponseWriter, r *http.Request) error {
	q, err := transport.ParseStateQuery(r.URL.Query())
	if err != nil {
		return transport.Errorf(transport.CodeBadRequest, "%v", err)
	}
	if err := a.ReadBarrier(r.Context(), q.Consistency); err != nil {
		return err
	}
	rev := q.Revision
	if rev == 0 {
		rev = a.store.CurrentRevision()
	}
	kvs, err := a.store.List(q.Prefix, rev)
	if err != nil {
		return err
	}
	out := transport.StateResponse{Revision: rev, Compacted: a.store.CompactedRevision(), Entries: make([]transport.KeyValue, 0, len(kvs))}
	for i := range kvs {
		kv := toKV(&kvs[i])
		if kv.Record != nil && kv.Record.Time.After(out.Time) {
			out.Time = kv.Record.Time
		}
		out.Entries = append(out.Entries, kv)
	}
	if t, ok := a.revisionTime(rev); ok {
		out.Time = t
	}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

// revisionTime is the proposer's time of the first record at rev.
func (a *Agent) revisionTime(rev uint64) (time.Time, bool) {
	if rev == 0 {
		return time.Time{}, false
	}
	recs, err := a.store.Replay(mvcc.ReplayFilter{After: mvcc.Revision{Main: rev - 1, Sub: math.MaxUint32}, Limit: 1})
	if err != nil || len(recs) == 0 || recs[0].Revision.Main != rev {
		return time.Time{}, false
	}
	return recs[0].Record.Time, true
}

// toKV converts a store value; FSM values are encoded WAL records.
func toKV(kv *mvcc.KeyValue) transport.KeyValue {
	out := transport.KeyValue{Key: kv.Key, CreateRevision: toRev(kv.CreateRevision), ModRevision: toRev(kv.ModRevision),
		Version: kv.Version, Deleted: kv.Deleted}
	if len(kv.Value) > 0 {
		if rec, err := wal.DecodeRecord(kv.Value); err == nil {
			out.Record = &rec
		} else {
			out.Value = kv.Value
		}
	}
	return out
}

func toRev(r mvcc.Revision) transport.Revision { return transport.Revision{Main: r.Main, Sub: r.Sub} }

func (a *Agent) handleHistory(w http.ResponseWriter, r *http.Request) error {
	q, err := transport.ParseHistoryQuery(r.URL.Query())
	if err != nil {
		return transport.Errorf(transport.CodeBadRequest, "%v", err)
	}
	if err := a.ReadBarrier(r.Context(), q.Consistency); err != nil {
		return err
	}
	kvs, err := a.store.History(q.Key)
	if err != nil {
		return err
	}
	out := transport.HistoryResponse{Key: q.Key, Versions: make([]transport.KeyValue, 0, len(kvs))}
	for i := range kvs {
		out.Versions = append(out.Versions, toKV(&kvs[i]))
	}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

func (a *Agent) handleDiff(w http.ResponseWriter, r *http.Request) error {
	q, err := transport.ParseDiffQuery(r.URL.Query())
	if err != nil {
		return transport.Errorf(transport.CodeBadRequest, "%v", err)
	}
	if err := a.ReadBarrier(r.Context(), q.Consistency); err != nil {
		return err
	}
	changes, err := a.store.Diff(q.From, q.To)
	if err != nil {
		return err
	}
	out := transport.DiffResponse{From: q.From, To: q.To, Changes: make([]transport.Change, 0, len(changes))}
	for _, c := range changes {
		tc := transport.Change{Key: c.Key}
		if c.Before != nil {
			kv := toKV(c.Before)
			tc.Before = &kv
		}
		if c.After != nil {
			kv := toKV(c.After)
			tc.After = &kv
		}
		out.Changes = append(out.Changes, tc)
	}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

// replayFilter converts a WAL query.
func replayFilter(q *transport.WALQuery) mvcc.ReplayFilter {
	return mvcc.ReplayFilter{ResourceID: q.ResourceID, Kinds: q.Kinds, Since: q.Since, Until: q.Until,
		After: mvcc.Revision{Main: q.After.Main, Sub: q.After.Sub}, Limit: q.Limit, Last: q.Last}
}

func (a *Agent) handleWAL(w http.ResponseWriter, r *http.Request) error {
	q, err := transport.ParseWALQuery(r.URL.Query())
	if err != nil {
		return transport.Errorf(transport.CodeBadRequest, "%v", err)
	}
	if err := a.ReadBarrier(r.Context(), q.Consistency); err != nil {
		return err
	}
	rev := a.store.CurrentRevision()
	limit := q.Limit
	if limit == 0 {
		limit = transport.DefaultWALLimit
	}
	filter := replayFilter(&q)
	filter.Limit = limit + 1 // one more tells whether the answer is cut short
	recs, err := a.store.Replay(filter)
	if err != nil {
		return err
	}
	more := len(recs) > limit
	if q.Last { // the extra record is the oldest one
		recs = recs[len(recs)-min(len(recs), limit):]
	} else {
		recs = recs[:min(len(recs), limit)]
	}
	out := transport.WALResponse{Revision: rev, Records: make([]transport.WALEntry, 0, len(recs)), More: more}
	for _, ra := range recs {
		out.Records = append(out.Records, transport.WALEntry{Revision: toRev(ra.Revision), Record: ra.Record})
	}
	transport.WriteJSON(w, http.StatusOK, &out)
	return nil
}

func (a *Agent) handleNote(w http.ResponseWriter, r *http.Request) error {
	var in transport.NoteRequest
	if e := transport.DecodeBody(w, r, &in); e != nil {
		return e
	}
	rec := wal.Record{Kind: wal.KindNote, ResourceID: in.ResourceID, Note: &wal.Note{Text: in.Text}}
	return a.proposeAndReply(w, r, rec)
}

// proposeAndReply commits one record (forwarded to the leader when this
// node follows) and answers with its revision. The write waits at most
// defaultApplyTimeout: a caller whose own deadline is longer gets this
// node's verdict (timeout, no_leader, or outcome_unknown when a forwarded
// write went unanswered) instead of a dropped connection.
func (a *Agent) proposeAndReply(w http.ResponseWriter, r *http.Request, rec wal.Record) error {
	rev, err := a.proposeBy(r.Context(), time.Now().Add(defaultApplyTimeout), []wal.Record{rec})
	if err != nil {
		return err
	}
	transport.WriteRevision(w, rev)
	return nil
}
