package ec2sim

import "slices"

func (s *Server) authorizeIngress(rq *request) (response, *apiError) { return s.authorize(rq, false) }
func (s *Server) authorizeEgress(rq *request) (response, *apiError)  { return s.authorize(rq, true) }
func (s *Server) revokeIngress(rq *request) (response, *apiError)    { return s.revoke(rq, false) }
func (s *Server) revokeEgress(rq *request) (response, *apiError)     { return s.revoke(rq, true) }

// targetGroup reads the group a rule call changes: GroupId, or (ingress
// only, default VPC only) GroupName.
func (s *Server) targetGroup(rq *request, egress bool) (*securityGroup, *apiError) {
	if id := rq.form.Get("GroupId"); id != "" {
		found, aerr := s.st.groups.lookup([]string{id})
		if aerr != nil {
			return nil, aerr
		}
		return found[0], nil
	}
	if name := rq.form.Get("GroupName"); name != "" && !egress {
		found, aerr := s.st.groups.lookupNames([]string{name})
		if aerr != nil {
			return nil, aerr
		}
		return found[0], nil
	}
	return nil, errMissing("GroupId")
}

// authorize answers AuthorizeSecurityGroupIngress/Egress: every rule of the
// request is added, or none (a rule that exists already is
// InvalidPermission.Duplicate, a referenced group must exist in the same
// VPC, at most 60 rules per direction).
func (s *Server) authorize(rq *request, egress bool) (response, *apiError) {
	g, aerr := s.targetGroup(rq, egress)
	if aerr != nil {
		return nil, aerr
	}
	rules, aerr := parsePermissions(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.checkPeers(g, rules); aerr != nil {
		return nil, aerr
	}
	list := g.rules(egress)
	seen := make(map[ruleKey]bool, len(*list)+len(rules))
	for _, r := range *list {
		seen[r.key()] = true
	}
	for _, r := range rules {
		if seen[r.key()] {
			return nil, newAPIError(CodeInvalidPermissionDuplicate, "the specified rule %q already exists", describeRule(r))
		}
		seen[r.key()] = true
	}
	if len(*list)+len(rules) > maxRulesPerDirection {
		return nil, newAPIError(CodeRulesPerSecurityGroupLimit, "The maximum number of rules per security group has been reached.")
	}
	resp := &authorizeResponse{XMLName: rootName(rq.action), Return: true}
	for _, r := range rules {
		r.ID = s.st.groups.newRuleID()
		*list = append(*list, r)
		resp.Rules = append(resp.Rules, s.ruleXML(g, r, egress))
	}
	return resp, nil
}

// checkPeers checks that every group a rule references exists, in g's VPC.
func (s *Server) checkPeers(g *securityGroup, rules []sgRule) *apiError {
	for _, r := range rules {
		if r.GroupID == "" {
			continue
		}
		found, aerr := s.st.groups.lookup([]string{r.GroupID})
		if aerr != nil {
			return aerr
		}
		if found[0].VpcID != g.VpcID {
			return newAPIError(CodeInvalidParameterValue,
				"You have specified two resources that belong to different networks: %s and %s.", g.ID, r.GroupID)
		}
	}
	return nil
}

// revoke answers RevokeSecurityGroupIngress/Egress, by IpPermissions or by
// SecurityGroupRuleId.N: every named rule is removed, or none (a rule the
// group does not have is InvalidPermission.NotFound).
func (s *Server) revoke(rq *request, egress bool) (response, *apiError) {
	g, aerr := s.targetGroup(rq, egress)
	if aerr != nil {
		return nil, aerr
	}
	list := g.rules(egress)
	drop, aerr := rulesToRevoke(rq, *list)
	if aerr != nil {
		return nil, aerr
	}
	resp := &revokeResponse{XMLName: rootName(rq.action), Return: true}
	for _, r := range *list {
		if drop[r.ID] {
			resp.Rules = append(resp.Rules, s.ruleXML(g, r, egress))
		}
	}
	*list = slices.DeleteFunc(*list, func(r sgRule) bool { return drop[r.ID] })
	return resp, nil
}

// rulesToRevoke returns the ids of the rules of list a revoke names.
func rulesToRevoke(rq *request, list []sgRule) (map[string]bool, *apiError) {
	drop := make(map[string]bool)
	if ids := listValues(rq.form, "SecurityGroupRuleId"); len(ids) > 0 {
		for _, id := range ids {
			if !slices.ContainsFunc(list, func(r sgRule) bool { return r.ID == id }) {
				return nil, newAPIError(CodeInvalidRuleIDNotFound, "The security group rule ID '%s' does not exist", id)
			}
			drop[id] = true
		}
		return drop, nil
	}
	rules, aerr := parsePermissions(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	for _, want := range rules {
		i := slices.IndexFunc(list, func(r sgRule) bool { return r.key() == want.key() })
		if i < 0 {
			return nil, newAPIError(CodeInvalidPermissionNotFound, "The specified rule does not exist in this security group.")
		}
		drop[list[i].ID] = true
	}
	return drop, nil
}
