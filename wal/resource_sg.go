package wal

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// SecurityGroup is the attribute payload of a security group
// (ResourceSecurityGroup), observed or desired: its name (unique per VPC),
// VPC, description and rules. Rules are kept sorted (CompareRules) and
// unique, one peer each.
type SecurityGroup struct {
	Name        string `json:"name"`
	VpcID       string `json:"vpc_id,omitempty"` // "" in a spec: the region's default VPC
	Description string `json:"description"`
	Ingress     []Rule `json:"ingress,omitempty"`
	Egress      []Rule `json:"egress,omitempty"`
}

// ProtocolAll is the protocol of a rule that allows every protocol.
const ProtocolAll = "-1"

// Rule is one security group rule: a protocol and port range (-1/-1 when
// the protocol has no ports; an ICMP type and code for icmp) and exactly
// one peer, a CIDR block or a group. Group is an Ovi-managed group's name
// (its ovi:group) or, for any other group, its sg- id.
type Rule struct {
	Protocol string `json:"protocol"` // tcp, udp, icmp, icmpv6, -1, or a protocol number
	FromPort int32  `json:"from_port"`
	ToPort   int32  `json:"to_port"`
	CIDR     string `json:"cidr,omitempty"`
	Group    string `json:"group,omitempty"`
}

// RuleChange is the payload of an authorize or revoke decision: one rule
// of one direction.
type RuleChange struct {
	Egress bool `json:"egress"`
	Rule   Rule `json:"rule"`
}

// CompareRules orders rules by protocol, ports, CIDR, group.
func CompareRules(a, b Rule) int {
	return cmp.Or(strings.Compare(a.Protocol, b.Protocol), cmp.Compare(a.FromPort, b.FromPort),
		cmp.Compare(a.ToPort, b.ToPort), strings.Compare(a.CIDR, b.CIDR), strings.Compare(a.Group, b.Group))
}

// SortRules sorts rules and drops duplicates.
func SortRules(rules []Rule) []Rule {
	slices.SortFunc(rules, CompareRules)
	return slices.Compact(rules)
}

// Ports is the rule's protocol and ports in words: "tcp/22",
// "tcp/8000-8100", "icmp/8:-1", "all".
func (r Rule) Ports() string {
	switch {
	case r.Protocol == ProtocolAll:
		return "all"
	case r.FromPort == -1 && r.ToPort == -1:
		return r.Protocol
	case strings.HasPrefix(r.Protocol, "icmp"):
		return r.Protocol + "/" + strconv.Itoa(int(r.FromPort)) + ":" + strconv.Itoa(int(r.ToPort))
	case r.FromPort == r.ToPort:
		return r.Protocol + "/" + strconv.Itoa(int(r.FromPort))
	}
	return r.Protocol + "/" + strconv.Itoa(int(r.FromPort)) + "-" + strconv.Itoa(int(r.ToPort))
}

// Peer is the rule's CIDR block or group.
func (r Rule) Peer() string {
	if r.Group != "" {
		return r.Group
	}
	return r.CIDR
}

// String says the change in words: "ingress tcp/22 from 0.0.0.0/0",
// "egress all to 0.0.0.0/0".
func (c RuleChange) String() string {
	if c.Egress {
		return "egress " + c.Rule.Ports() + " to " + c.Rule.Peer()
	}
	return "ingress " + c.Rule.Ports() + " from " + c.Rule.Peer()
}

func (p *SecurityGroup) equal(q *SecurityGroup) bool {
	if p == nil || q == nil {
		return p == q
	}
	return p.Name == q.Name && p.VpcID == q.VpcID && p.Description == q.Description &&
		slices.Equal(p.Ingress, q.Ingress) && slices.Equal(p.Egress, q.Egress)
}

// attributes lists the payload for renderers.
func (p *SecurityGroup) attributes() []Attribute {
	return []Attribute{{"name", p.Name}, {"vpc", p.VpcID}, {"description", p.Description},
		{"ingress", rulesText(p.Ingress, false)}, {"egress", rulesText(p.Egress, true)}}
}

func rulesText(rules []Rule, egress bool) string {
	parts := make([]string, 0, len(rules))
	for _, r := range rules {
		parts = append(parts, strings.TrimPrefix(strings.TrimPrefix(RuleChange{Egress: egress, Rule: r}.String(), "egress "), "ingress "))
	}
	return strings.Join(parts, ", ")
}

// minRuleLen is the smallest encoded Rule: four empty strings and two
// one-byte varints.
const minRuleLen = 6

func (e *encoder) securityGroup(p *SecurityGroup) {
	e.str("security_group.name", p.Name)
	e.str("security_group.vpc_id", p.VpcID)
	e.str("security_group.description", p.Description)
	e.rules(p.Ingress)
	e.rules(p.Egress)
}

func (e *encoder) rules(rules []Rule) {
	e.uvarint(uint64(len(rules)))
	for _, r := range rules {
		e.rule(r)
	}
}

func (e *encoder) rule(r Rule) {
	e.str("rule.protocol", r.Protocol)
	e.varint(int64(r.FromPort))
	e.varint(int64(r.ToPort))
	e.str("rule.cidr", r.CIDR)
	e.str("rule.group", r.Group)
}

func (d *decoder) securityGroup() *SecurityGroup {
	return &SecurityGroup{
		Name:        d.str("security_group.name"),
		VpcID:       d.str("security_group.vpc_id"),
		Description: d.str("security_group.description"),
		Ingress:     d.rules("security_group.ingress"),
		Egress:      d.rules("security_group.egress"),
	}
}

func (d *decoder) rules(field string) []Rule {
	n := d.count(field, minRuleLen)
	if n == 0 {
		return nil
	}
	out := make([]Rule, n)
	for i := range out {
		out[i] = d.rule()
	}
	if d.err != nil {
		return nil
	}
	return out
}

func (d *decoder) rule() Rule {
	return Rule{
		Protocol: d.str("rule.protocol"),
		FromPort: int32(d.varint("rule.from_port")),
		ToPort:   int32(d.varint("rule.to_port")),
		CIDR:     d.str("rule.cidr"),
		Group:    d.str("rule.group"),
	}
}

// ruleChange writes an optional RuleChange (a presence byte first).
func (e *encoder) ruleChange(c *RuleChange) {
	e.bool(c != nil)
	if c != nil {
		e.bool(c.Egress)
		e.rule(c.Rule)
	}
}

func (d *decoder) ruleChange() *RuleChange {
	if !d.bool("rule_change.present") {
		return nil
	}
	return &RuleChange{Egress: d.bool("rule_change.egress"), Rule: d.rule()}
}
