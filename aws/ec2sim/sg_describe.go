package ec2sim

import (
	"cmp"
	"slices"
	"strings"
)

// describeSecurityGroups answers DescribeSecurityGroups: by GroupId.N or
// GroupName.N (default VPC), or a page (MaxResults 5–1000, NextToken) of
// every group in creation order; each narrowed by the filters vpc-id,
// group-id, group-name, description, owner-id, tag:KEY, tag-key and
// tag-value.
func (s *Server) describeSecurityGroups(rq *request) (response, *apiError) {
	filters, aerr := parseFilters(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	keep, aerr := s.groupFilter(filters)
	if aerr != nil {
		return nil, aerr
	}
	size, hasSize, aerr := pageSize(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	ids, names := listValues(rq.form, "GroupId"), listValues(rq.form, "GroupName")
	resp := &describeSecurityGroupsResponse{}
	if len(ids) > 0 || len(names) > 0 {
		if hasSize {
			return nil, newAPIError(CodeInvalidParameterCombination,
				"The parameter groupIdSet cannot be used with the parameter maxResults")
		}
		found, aerr := s.namedGroups(ids, names)
		if aerr != nil {
			return nil, aerr
		}
		for _, g := range found {
			if keep(g) {
				resp.Groups = append(resp.Groups, s.groupXML(g))
			}
		}
		return resp, nil
	}
	after, aerr := decodeToken(rq.form.Get("NextToken"))
	if aerr != nil {
		return nil, aerr
	}
	page, last := s.st.groups.page(after, size, keep)
	for _, g := range page {
		resp.Groups = append(resp.Groups, s.groupXML(g))
	}
	if last != 0 {
		resp.NextToken = encodeToken(last)
	}
	return resp, nil
}

// namedGroups resolves GroupId.N and GroupName.N, in creation order.
func (s *Server) namedGroups(ids, names []string) ([]*securityGroup, *apiError) {
	byID, aerr := s.st.groups.lookup(ids)
	if aerr != nil {
		return nil, aerr
	}
	byName, aerr := s.st.groups.lookupNames(names)
	if aerr != nil {
		return nil, aerr
	}
	out := slices.Concat(byID, byName)
	slices.SortFunc(out, func(a, b *securityGroup) int { return cmp.Compare(a.Seq, b.Seq) })
	return slices.Compact(out), nil
}

// page returns up to size matching groups created after the one with
// sequence number after, and the sequence number to continue from (0 when
// nothing matching is left).
func (gs *groups) page(after uint64, size int, keep func(*securityGroup) bool) ([]*securityGroup, uint64) {
	var items []*securityGroup
	for _, g := range gs.order {
		if g.Seq <= after || !keep(g) {
			continue
		}
		if len(items) == size {
			return items, items[len(items)-1].Seq
		}
		items = append(items, g)
	}
	return items, 0
}

// groupFilter compiles DescribeSecurityGroups filters (ANDed; values ORed,
// with * and ? wildcards).
func (s *Server) groupFilter(filters []filter) (func(*securityGroup) bool, *apiError) {
	preds := make([]func(*securityGroup) bool, 0, len(filters))
	for _, f := range filters {
		p := s.groupPredicate(f)
		if p == nil {
			return nil, newAPIError(CodeInvalidParameterValue, "The filter '%s' is invalid", f.Name)
		}
		preds = append(preds, p)
	}
	return func(g *securityGroup) bool {
		for _, p := range preds {
			if !p(g) {
				return false
			}
		}
		return true
	}, nil
}

// groupPredicate compiles one filter; nil for a name it does not know.
func (s *Server) groupPredicate(f filter) func(*securityGroup) bool {
	vs := f.Values
	if key, ok := strings.CutPrefix(f.Name, "tag:"); ok {
		return func(g *securityGroup) bool {
			v, has := g.Tags[key]
			return has && globAny(vs, v)
		}
	}
	var field func(*securityGroup) string
	switch f.Name {
	case "vpc-id":
		field = func(g *securityGroup) string { return g.VpcID }
	case "group-id":
		field = func(g *securityGroup) string { return g.ID }
	case "group-name":
		field = func(g *securityGroup) string { return g.Name }
	case "description":
		field = func(g *securityGroup) string { return g.Description }
	case "owner-id":
		field = func(*securityGroup) string { return s.opts.AccountID }
	case "tag-key":
		return func(g *securityGroup) bool { return anyTag(g.Tags, func(k, _ string) bool { return globAny(vs, k) }) }
	case "tag-value":
		return func(g *securityGroup) bool { return anyTag(g.Tags, func(_, v string) bool { return globAny(vs, v) }) }
	default:
		return nil
	}
	return func(g *securityGroup) bool { return globAny(vs, field(g)) }
}
