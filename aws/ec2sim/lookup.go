package ec2sim

// lookupIDs resolves the ids a call names the way EC2 does: a malformed id
// first (malformed builds its error), then every unknown id at once
// (notFound builds its error from them). get returns the resource of an
// id, false when it is unknown or not visible. Duplicates are dropped;
// order is kept.
func lookupIDs[T any](ids []string, prefix string, get func(id string) (T, bool),
	malformed func(id string) *apiError, notFound func(ids []string) *apiError) ([]T, *apiError) {
	for _, id := range ids {
		if !wellFormedID(id, prefix) {
			return nil, malformed(id)
		}
	}
	var found []T
	var missing []string
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		r, ok := get(id)
		if !ok {
			missing = append(missing, id)
			continue
		}
		found = append(found, r)
	}
	if len(missing) > 0 {
		return nil, notFound(missing)
	}
	return found, nil
}
