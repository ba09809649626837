package ec2sim

import "net/url"

// maxGroupsPerInterface is EC2's default limit of security groups per
// network interface.
const maxGroupsPerInterface = 5

// groupRef is a security group an instance uses. A group's name never
// changes, so it is kept beside the id.
type groupRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// xmlGroupIdentifier is one item of an instance's groupSet.
type xmlGroupIdentifier struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

// groupIDs returns the ids of the groups in uses.
func (in *instance) groupIDs() []string {
	ids := make([]string, 0, len(in.SecurityGroups))
	for _, g := range in.SecurityGroups {
		ids = append(ids, g.ID)
	}
	return ids
}

// groupsXML renders an instance's groupSet.
func groupsXML(refs []groupRef) []xmlGroupIdentifier {
	out := make([]xmlGroupIdentifier, 0, len(refs))
	for _, g := range refs {
		out = append(out, xmlGroupIdentifier{GroupID: g.ID, GroupName: g.Name})
	}
	return out
}

// launchGroups reads RunInstances' SecurityGroupId.N and SecurityGroup.N
// (names, default VPC): every group must exist, all in one VPC, at most 5.
// With neither, the instance gets the default VPC's default group.
func (s *Server) launchGroups(form url.Values) (string, []groupRef, *apiError) {
	byID, aerr := s.st.groups.lookup(listValues(form, "SecurityGroupId"))
	if aerr != nil {
		return "", nil, aerr
	}
	byName, aerr := s.st.groups.lookupNames(listValues(form, "SecurityGroup"))
	if aerr != nil {
		return "", nil, aerr
	}
	found := append(byID, byName...)
	if len(found) == 0 {
		found = append(found, s.st.groups.defaultOf(DefaultVPC))
	}
	if len(found) > maxGroupsPerInterface {
		return "", nil, newAPIError(CodeSecurityGroupsPerInterfaceLimit,
			"The maximum number of security groups per interface has been reached.")
	}
	vpc := found[0].VpcID
	refs := make([]groupRef, 0, len(found))
	for _, g := range found {
		if g.VpcID != vpc {
			return "", nil, newAPIError(CodeInvalidParameterValue,
				"Security groups %s and %s belong to different networks.", found[0].ID, g.ID)
		}
		if !containsRef(refs, g.ID) {
			refs = append(refs, groupRef{ID: g.ID, Name: g.Name})
		}
	}
	return vpc, refs, nil
}

func containsRef(refs []groupRef, id string) bool {
	for _, r := range refs {
		if r.ID == id {
			return true
		}
	}
	return false
}
