package main

import (
	"context"
	"slices"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// clusterEventKinds are the records about the whole cluster that a
// resource's lifecycle shows: a restore rewound its history, a leader
// change moved who acts on it.
func clusterEventKinds() []wal.Kind { return []wal.Kind{wal.KindRestore, wal.KindLeadership} }

// withClusterEvents adds to a resource's entries the restore and
// leadership records after its first record (within the query's time
// window and kinds), in revision order.
func withClusterEvents(ctx context.Context, s *session, q transport.WALQuery, entries []walEntry) ([]walEntry, error) {
	if len(entries) == 0 {
		return entries, nil
	}
	kinds := slices.DeleteFunc(clusterEventKinds(), func(k wal.Kind) bool {
		return len(q.Kinds) > 0 && !slices.Contains(q.Kinds, k)
	})
	if len(kinds) == 0 {
		return entries, nil
	}
	cq := transport.WALQuery{Kinds: kinds, Since: q.Since, Until: q.Until, Consistency: q.Consistency}
	resp, err := s.client.WAL(ctx, cq)
	if err != nil {
		return nil, err
	}
	first := entries[0].Revision
	for _, e := range walEntries(resp.Records) {
		if compareRevisions(e.Revision, first) > 0 {
			entries = append(entries, e)
		}
	}
	slices.SortFunc(entries, func(a, b walEntry) int { return compareRevisions(a.Revision, b.Revision) })
	return entries, nil
}
