package ec2sim

import "encoding/xml"

type xmlIPRange struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type xmlGroupPair struct {
	GroupID     string `xml:"groupId"`
	UserID      string `xml:"userId"`
	Description string `xml:"description,omitempty"`
}

type xmlIPPermission struct {
	IPProtocol string         `xml:"ipProtocol"`
	FromPort   *int           `xml:"fromPort,omitempty"`
	ToPort     *int           `xml:"toPort,omitempty"`
	Groups     []xmlGroupPair `xml:"groups>item"`
	IPRanges   []xmlIPRange   `xml:"ipRanges>item"`
}

type xmlSecurityGroup struct {
	OwnerID     string            `xml:"ownerId"`
	GroupID     string            `xml:"groupId"`
	GroupName   string            `xml:"groupName"`
	Description string            `xml:"groupDescription"`
	VpcID       string            `xml:"vpcId"`
	ARN         string            `xml:"securityGroupArn"`
	Ingress     []xmlIPPermission `xml:"ipPermissions>item"`
	Egress      []xmlIPPermission `xml:"ipPermissionsEgress>item"`
	Tags        []xmlTag          `xml:"tagSet>item"`
}

type describeSecurityGroupsResponse struct {
	XMLName xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeSecurityGroupsResponse"`
	meta
	Groups    []xmlSecurityGroup `xml:"securityGroupInfo>item"`
	NextToken string             `xml:"nextToken,omitempty"`
}

type createSecurityGroupResponse struct {
	XMLName xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ CreateSecurityGroupResponse"`
	meta
	Return  bool     `xml:"return"`
	GroupID string   `xml:"groupId"`
	ARN     string   `xml:"securityGroupArn"`
	Tags    []xmlTag `xml:"tagSet>item"`
}

type deleteSecurityGroupResponse struct {
	XMLName xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DeleteSecurityGroupResponse"`
	meta
	Return  bool   `xml:"return"`
	GroupID string `xml:"groupId"`
}

type xmlReferencedGroup struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type xmlSGRule struct {
	RuleID      string              `xml:"securityGroupRuleId"`
	GroupID     string              `xml:"groupId"`
	OwnerID     string              `xml:"groupOwnerId"`
	IsEgress    bool                `xml:"isEgress"`
	IPProtocol  string              `xml:"ipProtocol"`
	FromPort    int                 `xml:"fromPort"`
	ToPort      int                 `xml:"toPort"`
	CidrIPv4    string              `xml:"cidrIpv4,omitempty"`
	Referenced  *xmlReferencedGroup `xml:"referencedGroupInfo,omitempty"`
	Description string              `xml:"description,omitempty"`
}

// authorizeResponse serves AuthorizeSecurityGroupIngress and -Egress.
type authorizeResponse struct {
	XMLName xml.Name
	meta
	Return bool        `xml:"return"`
	Rules  []xmlSGRule `xml:"securityGroupRuleSet>item"`
}

// revokeResponse serves RevokeSecurityGroupIngress and -Egress.
type revokeResponse struct {
	XMLName xml.Name
	meta
	Return bool        `xml:"return"`
	Rules  []xmlSGRule `xml:"revokedSecurityGroupRuleSet>item"`
}

// groupARN is a group's ARN in the simulated region and account.
func (s *Server) groupARN(id string) string {
	return "arn:aws:ec2:" + s.opts.Region + ":" + s.opts.AccountID + ":security-group/" + id
}

// groupXML renders one group, its rules grouped by protocol and ports the
// way EC2 describes them.
func (s *Server) groupXML(g *securityGroup) xmlSecurityGroup {
	x := xmlSecurityGroup{
		OwnerID: s.opts.AccountID, GroupID: g.ID, GroupName: g.Name, Description: g.Description,
		VpcID: g.VpcID, ARN: s.groupARN(g.ID),
		Ingress: s.permissionsXML(g.Ingress), Egress: s.permissionsXML(g.Egress),
	}
	for _, t := range sortTags(g.Tags) {
		x.Tags = append(x.Tags, xmlTag(t))
	}
	return x
}

// permissionsXML groups rules with the same protocol and ports into one
// IpPermission, in the order each combination first appears.
func (s *Server) permissionsXML(rules []sgRule) []xmlIPPermission {
	var out []xmlIPPermission
	index := make(map[ruleKey]int)
	for _, r := range rules {
		k := ruleKey{protocol: r.Protocol, from: r.FromPort, to: r.ToPort}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			p := xmlIPPermission{IPProtocol: r.Protocol}
			if r.Protocol != protoAll {
				p.FromPort, p.ToPort = &r.FromPort, &r.ToPort
			}
			out = append(out, p)
		}
		if r.GroupID != "" {
			out[i].Groups = append(out[i].Groups, xmlGroupPair{GroupID: r.GroupID, UserID: s.opts.AccountID, Description: r.Description})
		} else {
			out[i].IPRanges = append(out[i].IPRanges, xmlIPRange{CidrIP: r.CIDR, Description: r.Description})
		}
	}
	return out
}

// ruleXML renders one rule as a SecurityGroupRule.
func (s *Server) ruleXML(g *securityGroup, r sgRule, egress bool) xmlSGRule {
	x := xmlSGRule{
		RuleID: r.ID, GroupID: g.ID, OwnerID: s.opts.AccountID, IsEgress: egress,
		IPProtocol: r.Protocol, FromPort: r.FromPort, ToPort: r.ToPort,
		CidrIPv4: r.CIDR, Description: r.Description,
	}
	if r.GroupID != "" {
		x.Referenced = &xmlReferencedGroup{GroupID: r.GroupID, UserID: s.opts.AccountID}
	}
	return x
}
