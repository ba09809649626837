package transport

import (
	"context"
	"net/http"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// pagedWAL serves total records, at most page per answer, like an agent
// answering queries without a limit.
func pagedWAL(total, page int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := ParseWALQuery(r.URL.Query())
		if err != nil {
			WriteError(w, Errorf(CodeBadRequest, "%v", err))
			return
		}
		limit := page
		if q.Limit > 0 {
			limit = q.Limit
		}
		out := WALResponse{Revision: uint64(total), Records: []WALEntry{}}
		for rev := q.After.Main + 1; rev <= uint64(total); rev++ {
			if len(out.Records) == limit {
				out.More = true
				break
			}
			out.Records = append(out.Records, WALEntry{Revision: Revision{Main: rev},
				Record: wal.Record{Kind: wal.KindNote, Note: &wal.Note{Text: "n"}}})
		}
		WriteJSON(w, http.StatusOK, &out)
	})
}

func TestClientWALPagesWithoutALimit(t *testing.T) {
	c := newTestClient(t, pagedWAL(25, 10))
	resp, err := c.WAL(context.Background(), WALQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Records) != 25 || resp.More || resp.Records[24].Revision.Main != 25 || resp.Revision != 25 {
		t.Fatalf("got %d records (more=%v, last %+v)", len(resp.Records), resp.More, resp.Records[len(resp.Records)-1].Revision)
	}
	for i, e := range resp.Records {
		if e.Revision.Main != uint64(i+1) {
			t.Fatalf("record %d has revision %d: a page was repeated or skipped", i, e.Revision.Main)
		}
	}
	// With a limit, one answer, and More tells there is more.
	resp, err = c.WAL(context.Background(), WALQuery{Limit: 7})
	if err != nil || len(resp.Records) != 7 || !resp.More {
		t.Fatalf("limit 7: %d records, more=%v, %v", len(resp.Records), resp.More, err)
	}
}
