package ec2sim

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// VPC is one entry of the simulator's fixed VPC catalogue.
type VPC struct {
	ID        string
	CIDR      string
	IsDefault bool
}

// The catalogue's VPC ids: the region's default VPC and one more, so that
// "unique per VPC" can be exercised.
const (
	DefaultVPC = "vpc-0a1b2c3d4e5f60001"
	OtherVPC   = "vpc-0a1b2c3d4e5f60002"
)

// defaultGroupName is the name of every VPC's default security group.
const defaultGroupName = "default"

// maxRulesPerDirection is EC2's default quota of inbound (and of outbound)
// rules per security group.
const maxRulesPerDirection = 60

// Id domains of security groups and their rules.
const (
	domainDefaultGroup uint64 = 0x64666c74
	domainDefaultRule  uint64 = 0x64727572
	domainGroup        uint64 = 0x73677270
	domainRule         uint64 = 0x73677272
)

// VPCs returns the fixed VPC catalogue. Each VPC has a default security
// group from the start.
func VPCs() []VPC {
	return []VPC{
		{ID: DefaultVPC, CIDR: "172.31.0.0/16", IsDefault: true},
		{ID: OtherVPC, CIDR: "10.0.0.0/16"},
	}
}

func knownVPC(id string) bool {
	return slices.ContainsFunc(VPCs(), func(v VPC) bool { return v.ID == id })
}

// sgRule is one stored rule: one protocol and port range, and exactly one
// peer (a CIDR or a security group). EC2 stores rules this way and groups
// them by protocol and ports when it describes a group.
type sgRule struct {
	ID          string `json:"id"`
	Protocol    string `json:"protocol"` // "tcp", "udp", "icmp", "icmpv6", "-1" or a protocol number
	FromPort    int    `json:"from_port"`
	ToPort      int    `json:"to_port"`
	CIDR        string `json:"cidr,omitempty"`
	GroupID     string `json:"group_id,omitempty"`
	Description string `json:"description,omitempty"`
}

// ruleKey is what makes two rules the same rule (the description does not).
type ruleKey struct {
	protocol string
	from, to int
	cidr     string
	groupID  string
}

func (r sgRule) key() ruleKey {
	return ruleKey{protocol: r.Protocol, from: r.FromPort, to: r.ToPort, cidr: r.CIDR, groupID: r.GroupID}
}

// securityGroup is the stored form (also its JSON form in the state file).
type securityGroup struct {
	Seq         uint64            `json:"seq"`
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	VpcID       string            `json:"vpc_id"`
	Ingress     []sgRule          `json:"ingress,omitempty"`
	Egress      []sgRule          `json:"egress,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

func (g *securityGroup) isDefault() bool { return g.Name == defaultGroupName }

// rules returns the rule list of one direction.
func (g *securityGroup) rules(egress bool) *[]sgRule {
	if egress {
		return &g.Egress
	}
	return &g.Ingress
}

// groups holds the region's security groups. Callers hold Server.mu. Group
// and rule ids come from counters of their own, so creating groups does not
// change the ids later instances get.
type groups struct {
	seed    uint64
	byID    map[string]*securityGroup
	order   []*securityGroup // creation order (ascending Seq)
	seq     uint64           // last group sequence number
	ruleSeq uint64           // last rule number
}

// groupsDoc is the state file's form of the groups.
type groupsDoc struct {
	Seq     uint64           `json:"seq"`
	RuleSeq uint64           `json:"rule_seq"`
	Groups  []*securityGroup `json:"groups"`
}

// doc returns the state file's form.
func (gs *groups) doc() *groupsDoc {
	return &groupsDoc{Seq: gs.seq, RuleSeq: gs.ruleSeq, Groups: gs.order}
}

// newGroupID returns the id the next created group gets.
func (gs *groups) newGroupID() string {
	return resourceID("sg", gs.seed, domainGroup, gs.seq+1)
}

// newRuleID hands out a rule id; rule ids never repeat.
func (gs *groups) newRuleID() string {
	gs.ruleSeq++
	return resourceID("sgr", gs.seed, domainRule, gs.ruleSeq)
}

// newGroups returns every catalogue VPC's default group: all traffic in
// from members of the group itself, all traffic out.
func newGroups(seed uint64) *groups {
	gs := &groups{seed: seed, byID: make(map[string]*securityGroup)}
	for i, v := range VPCs() {
		n := uint64(i + 1)
		id := resourceID("sg", seed, domainDefaultGroup, n)
		gs.add(&securityGroup{
			ID: id, Name: defaultGroupName, Description: "default VPC security group", VpcID: v.ID,
			Ingress: []sgRule{{ID: resourceID("sgr", seed, domainDefaultRule, 2*n), Protocol: protoAll, FromPort: -1, ToPort: -1, GroupID: id}},
			Egress:  []sgRule{allowAllOut(resourceID("sgr", seed, domainDefaultRule, 2*n+1))},
			Tags:    map[string]string{},
		})
	}
	return gs
}

// allowAllOut is the egress rule EC2 gives every new group.
func allowAllOut(id string) sgRule {
	return sgRule{ID: id, Protocol: protoAll, FromPort: -1, ToPort: -1, CIDR: "0.0.0.0/0"}
}

// add stores g with the next sequence number.
func (gs *groups) add(g *securityGroup) {
	gs.seq++
	g.Seq = gs.seq
	gs.byID[g.ID] = g
	gs.order = append(gs.order, g)
}

// remove forgets g.
func (gs *groups) remove(g *securityGroup) {
	delete(gs.byID, g.ID)
	gs.order = slices.DeleteFunc(gs.order, func(x *securityGroup) bool { return x == g })
}

// byName finds the group called name in vpc.
func (gs *groups) byName(vpc, name string) *securityGroup {
	for _, g := range gs.order {
		if g.VpcID == vpc && g.Name == name {
			return g
		}
	}
	return nil
}

// defaultOf returns the default group of vpc.
func (gs *groups) defaultOf(vpc string) *securityGroup {
	return gs.byName(vpc, defaultGroupName)
}

// lookup resolves group ids: malformed ids first, then the first unknown id.
func (gs *groups) lookup(ids []string) ([]*securityGroup, *apiError) {
	for _, id := range ids {
		if !wellFormedID(id, "sg") {
			return nil, newAPIError(CodeInvalidGroupIDMalformed, "Invalid id: %q (expecting \"sg-...\")", id)
		}
	}
	out := make([]*securityGroup, 0, len(ids))
	for _, id := range ids {
		g, ok := gs.byID[id]
		if !ok {
			return nil, errGroupNotFound(id)
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out, nil
}

// lookupNames resolves group names in the default VPC, the only VPC where
// EC2 accepts a group by name.
func (gs *groups) lookupNames(names []string) ([]*securityGroup, *apiError) {
	out := make([]*securityGroup, 0, len(names))
	for _, name := range names {
		g := gs.byName(DefaultVPC, name)
		if g == nil {
			return nil, newAPIError(CodeInvalidGroupNotFound,
				"The security group '%s' does not exist in default VPC '%s'", name, DefaultVPC)
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out, nil
}

// referencedBy returns the id of a group other than g whose rules name g.
func (gs *groups) referencedBy(g *securityGroup) string {
	for _, other := range gs.order {
		if other == g {
			continue
		}
		for _, r := range slices.Concat(other.Ingress, other.Egress) {
			if r.GroupID == g.ID {
				return other.ID
			}
		}
	}
	return ""
}

func errGroupNotFound(id string) *apiError {
	return newAPIError(CodeInvalidGroupNotFound, "The security group '%s' does not exist", id)
}

// SecurityGroup is a copy of one simulated security group, for assertions.
type SecurityGroup struct {
	ID          string
	Name        string
	Description string
	VpcID       string
	Ingress     []Rule
	Egress      []Rule
	Tags        []Tag // sorted by key
}

// Rule is one rule of a SecurityGroup: one protocol and port range, one peer.
type Rule struct {
	ID          string
	Protocol    string
	FromPort    int
	ToPort      int
	CIDR        string
	GroupID     string
	Description string
}

func (g *securityGroup) public() SecurityGroup {
	out := SecurityGroup{ID: g.ID, Name: g.Name, Description: g.Description, VpcID: g.VpcID, Tags: sortTags(g.Tags)}
	for _, r := range g.Ingress {
		out.Ingress = append(out.Ingress, Rule(r))
	}
	for _, r := range g.Egress {
		out.Egress = append(out.Egress, Rule(r))
	}
	return out
}

// sortTags returns tags ordered by key.
func sortTags(m map[string]string) []Tag {
	tags := make([]Tag, 0, len(m))
	for k, v := range m {
		tags = append(tags, Tag{Key: k, Value: v})
	}
	slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	return tags
}

// SecurityGroups returns a copy of every security group the region holds,
// in creation order (the catalogue VPCs' default groups first).
func (s *Server) SecurityGroups() []SecurityGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SecurityGroup, 0, len(s.st.groups.order))
	for _, g := range s.st.groups.order {
		out = append(out, g.public())
	}
	return out
}

// groupsFromDoc rebuilds the groups of a state file; a file written before
// the simulator modelled security groups has none, and gets the defaults.
func groupsFromDoc(seed uint64, doc *groupsDoc) (*groups, error) {
	if doc == nil || len(doc.Groups) == 0 {
		return newGroups(seed), nil
	}
	gs := &groups{seed: seed, byID: make(map[string]*securityGroup), seq: doc.Seq, ruleSeq: doc.RuleSeq}
	slices.SortFunc(doc.Groups, func(a, b *securityGroup) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, g := range doc.Groups {
		if g == nil || !wellFormedID(g.ID, "sg") || !knownVPC(g.VpcID) || g.Seq > doc.Seq {
			return nil, errors.New("invalid security group record")
		}
		if gs.byID[g.ID] != nil || gs.byName(g.VpcID, g.Name) != nil {
			return nil, fmt.Errorf("duplicate security group %s (%s)", g.ID, g.Name)
		}
		if g.Tags == nil {
			g.Tags = make(map[string]string)
		}
		gs.byID[g.ID] = g
		gs.order = append(gs.order, g)
	}
	return gs, nil
}

// groupTags resolves security group ids to their tags (CreateTags,
// DeleteTags).
func (s *Server) groupTags(_ *request, ids []string) ([]map[string]string, *apiError) {
	found, aerr := s.st.groups.lookup(ids)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]map[string]string, 0, len(found))
	for _, g := range found {
		out = append(out, g.Tags)
	}
	return out, nil
}
