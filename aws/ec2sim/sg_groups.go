package ec2sim

import (
	"net/url"
	"strconv"
	"strings"
)

// maxGroupText is EC2's limit on a group's name and description.
const maxGroupText = 255

// createSecurityGroup answers CreateSecurityGroup: GroupName (unique per
// VPC, InvalidGroup.Duplicate), GroupDescription, VpcId (the default VPC
// when omitted) and the "security-group" TagSpecification. A new group
// allows all traffic out, as in EC2.
func (s *Server) createSecurityGroup(rq *request) (response, *apiError) {
	name, desc, aerr := groupText(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	vpc := rq.form.Get("VpcId")
	if vpc == "" {
		vpc = DefaultVPC
	}
	if !knownVPC(vpc) {
		return nil, newAPIError(CodeInvalidVpcIDNotFound, "The vpc ID '%s' does not exist", vpc)
	}
	tags, aerr := tagsForType(rq.form, "security-group")
	if aerr != nil {
		return nil, aerr
	}
	if s.st.groups.byName(vpc, name) != nil {
		return nil, newAPIError(CodeInvalidGroupDuplicate, "The security group '%s' already exists for VPC '%s'", name, vpc)
	}
	id := s.st.groups.newGroupID()
	g := &securityGroup{ID: id, Name: name, Description: desc, VpcID: vpc,
		Egress: []sgRule{allowAllOut(s.st.groups.newRuleID())}, Tags: tags}
	s.st.groups.add(g)
	resp := &createSecurityGroupResponse{Return: true, GroupID: id, ARN: s.groupARN(id)}
	for _, t := range sortTags(tags) {
		resp.Tags = append(resp.Tags, xmlTag(t))
	}
	return resp, nil
}

// groupText validates GroupName and GroupDescription.
func groupText(form url.Values) (string, string, *apiError) {
	name, desc := form.Get("GroupName"), form.Get("GroupDescription")
	switch {
	case name == "":
		return "", "", errMissing("GroupName")
	case desc == "":
		return "", "", errMissing("GroupDescription")
	case len(name) > maxGroupText || !isASCII(name):
		return "", "", newAPIError(CodeInvalidParameterValue,
			"Value (%s) for parameter GroupName is invalid. Up to 255 ASCII characters.", name)
	case len(desc) > maxGroupText || !isASCII(desc):
		return "", "", newAPIError(CodeInvalidParameterValue,
			"Value (%s) for parameter GroupDescription is invalid. Up to 255 ASCII characters.", desc)
	case strings.HasPrefix(strings.ToLower(name), "sg-"):
		return "", "", newAPIError(CodeInvalidParameterValue, "Group names may not be in the format sg-*.")
	case name == defaultGroupName:
		return "", "", newAPIError(CodeInvalidGroupReserved, "The security group '%s' is reserved", name)
	}
	return name, desc, nil
}

// tagsForType reads the TagSpecification.N of a create call whose only
// taggable resource type is resourceType.
func tagsForType(form url.Values, resourceType string) (map[string]string, *apiError) {
	out := map[string]string{}
	idx := listIndexes(form, "TagSpecification")
	if len(idx) > 1 {
		return nil, newAPIError(CodeInvalidParameterValue,
			"The same resource type may not be specified more than once in tag specifications")
	}
	for _, n := range idx {
		base := "TagSpecification." + strconv.Itoa(n)
		if rt := form.Get(base + ".ResourceType"); rt != resourceType {
			return nil, errInvalidValue("TagSpecification.ResourceType", rt)
		}
		tags, aerr := parseTags(form, base+".Tag")
		if aerr != nil {
			return nil, aerr
		}
		if aerr := validateTags(tags); aerr != nil {
			return nil, aerr
		}
		for _, t := range tags {
			out[t.Key] = t.Value
		}
	}
	return out, nil
}

// deleteSecurityGroup answers DeleteSecurityGroup (GroupId, or GroupName in
// the default VPC): a default group cannot be deleted (CannotDelete), nor a
// group an instance or another group's rule uses (DependencyViolation).
func (s *Server) deleteSecurityGroup(rq *request) (response, *apiError) {
	var found []*securityGroup
	var aerr *apiError
	switch id, name := rq.form.Get("GroupId"), rq.form.Get("GroupName"); {
	case id != "":
		found, aerr = s.st.groups.lookup([]string{id})
	case name != "":
		found, aerr = s.st.groups.lookupNames([]string{name})
	default:
		aerr = errMissing("GroupId")
	}
	if aerr != nil {
		return nil, aerr
	}
	g := found[0]
	if g.isDefault() {
		return nil, newAPIError(CodeCannotDelete,
			"the specified group: \"%s\" name: \"%s\" cannot be deleted by a user", g.ID, g.Name)
	}
	if s.st.groupInUse(g.ID) || s.st.groups.referencedBy(g) != "" {
		return nil, newAPIError(CodeDependencyViolation, "resource %s has a dependent object", g.ID)
	}
	s.st.groups.remove(g)
	return &deleteSecurityGroupResponse{Return: true, GroupID: g.ID}, nil
}

// groupInUse reports whether an instance that is not terminated uses the
// group (a terminated instance's network interface is gone).
func (st *store) groupInUse(id string) bool {
	for _, in := range st.order {
		if in.State != StateTerminated && containsRef(in.SecurityGroups, id) {
			return true
		}
	}
	return false
}
