package ec2sim

import "strings"

// tagResolver resolves the ids of one resource type to their tag maps (the
// stored maps, so a caller writes through them). Like EC2, one unknown id
// fails the whole call.
type tagResolver func(s *Server, rq *request, ids []string) ([]map[string]string, *apiError)

// tagResolvers maps a resource id prefix ("i" for "i-…") to its resolver:
// one line per taggable resource type.
func tagResolvers() map[string]tagResolver {
	return map[string]tagResolver{
		"i":   (*Server).instanceTags,
		"sg":  (*Server).groupTags,
		"vol": (*Server).volumeTags,
	}
}

// tagTargets reads ResourceId.N (1–1000 ids of any taggable type, mixed) and
// resolves them, all or nothing.
func (s *Server) tagTargets(rq *request) ([]map[string]string, *apiError) {
	ids := listValues(rq.form, "ResourceId")
	if len(ids) == 0 {
		return nil, errMissing("ResourceId")
	}
	if len(ids) > maxBatch {
		return nil, errTooMany("ResourceId", len(ids))
	}
	resolvers := tagResolvers()
	var prefixes []string
	byPrefix := make(map[string][]string)
	for _, id := range ids {
		prefix, _, ok := strings.Cut(id, "-")
		if _, known := resolvers[prefix]; !ok || !known {
			return nil, newAPIError(CodeInvalidID, "The ID '%s' is not valid", id)
		}
		if _, seen := byPrefix[prefix]; !seen {
			prefixes = append(prefixes, prefix)
		}
		byPrefix[prefix] = append(byPrefix[prefix], id)
	}
	var targets []map[string]string
	for _, prefix := range prefixes {
		found, aerr := resolvers[prefix](s, rq, byPrefix[prefix])
		if aerr != nil {
			return nil, aerr
		}
		targets = append(targets, found...)
	}
	return targets, nil
}

// instanceTags resolves instance ids to their tags.
func (s *Server) instanceTags(rq *request, ids []string) ([]map[string]string, *apiError) {
	found, aerr := s.resolve(rq, ids)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]map[string]string, 0, len(found))
	for _, in := range found {
		out = append(out, in.Tags)
	}
	return out, nil
}
