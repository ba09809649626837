package main

import (
	"context"
	"slices"
	"strings"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// nameMembers resolves a name of the configuration (a named resource, or a
// count group) to the cloud ids of its members, oldest first, from the
// observations the audit log indexes under the name. A cloud id or a key
// resolves to nothing.
func nameMembers(ctx context.Context, s *session, name string) ([]string, error) {
	if name == "" || strings.Contains(name, "/") {
		return nil, nil
	}
	resp, err := s.client.WAL(ctx, transport.WALQuery{ResourceID: name, Kinds: []wal.Kind{wal.KindObserved},
		Consistency: s.consistency()})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range resp.Records {
		if o := e.Record.Observed; o != nil && o.Resource.Group == name && !slices.Contains(ids, o.Resource.ID) {
			ids = append(ids, o.Resource.ID)
		}
	}
	return ids, nil
}
