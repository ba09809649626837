package reconcile

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/yairfalse/ovi/wal"
)

// Keys of a security_group entry and of its rules.
const (
	keyVpcID       = "vpc_id"
	keyDescription = "description"
	keyIngress     = "ingress"
	keyEgress      = "egress"
	keyProtocol    = "protocol"
	keyPorts       = "ports"
	keyCIDRs       = "cidrs"
	keyGroups      = "groups"
)

// DefaultSecurityGroupDescription is the description of a group whose
// entry has none (EC2 requires one).
const DefaultSecurityGroupDescription = "Managed by Ovi"

// MaxRulesPerDirection is EC2's default quota of rules per group and
// direction.
const MaxRulesPerDirection = 60

const vpcPattern = `^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`

func securityGroupKeys() []string {
	return []string{keyType, keyName, keyVpcID, keyDescription, keyIngress, keyEgress, keyTags}
}

func ruleKeys() []string { return []string{keyProtocol, keyPorts, keyCIDRs, keyGroups} }

// parseEntry implements entrySchema: a named security group. egress
// omitted means EC2's default, all traffic out; `egress: []` allows none.
func (SecurityGroupKind) parseEntry(p *configParser, m *ast.MappingNode, i int) (configEntry, bool) {
	f := p.fields(m, "security group", securityGroupKeys())
	errsBefore := len(p.errs)
	sg := &wal.SecurityGroup{Description: DefaultSecurityGroupDescription}
	at := posOf(m)
	if kv, ok := p.required(f, m, keyName, "security group"); ok {
		at = valuePos(kv)
		sg.Name = p.pattern(f, m, keyName, true, p.re.name,
			"invalid name %q (use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit)")
		if strings.HasPrefix(strings.ToLower(sg.Name), "sg-") {
			p.errorf(at, "invalid name %q (security group names may not start with sg-)", sg.Name)
		}
	}
	sg.VpcID = p.pattern(f, m, keyVpcID, false, regexp.MustCompile(vpcPattern),
		"invalid vpc_id %q (expected a VPC id like vpc-0123456789abcdef0)")
	if kv, ok := f[keyDescription]; ok {
		if s, ok := p.str(kv.Value, valuePos(kv), keyDescription); ok {
			sg.Description = s
			if s == "" || len(s) > 255 {
				p.errorf(valuePos(kv), "description must be 1-255 characters")
			}
		}
	}
	sg.Ingress = p.rules(f, keyIngress)
	sg.Egress = []wal.Rule{{Protocol: wal.ProtocolAll, FromPort: -1, ToPort: -1, CIDR: "0.0.0.0/0"}}
	if _, ok := f[keyEgress]; ok {
		sg.Egress = p.rules(f, keyEgress)
	}
	spec := wal.Spec{Kind: wal.ResourceSecurityGroup, Name: sg.Name, Tags: p.tags(f), SecurityGroup: sg}
	return configEntry{name: sg.Name, at: at, add: func(cfg *wal.Config) { cfg.Resources = append(cfg.Resources, spec) }},
		len(p.errs) == errsBefore
}

// rules reads the ingress or egress list: each entry a protocol, ports
// and its peers, expanded into one rule per peer, sorted.
func (p *configParser) rules(f map[string]*ast.MappingValueNode, key string) []wal.Rule {
	kv, ok := f[key]
	if !ok {
		return nil
	}
	seq, ok := p.sequence(kv, key)
	if !ok {
		return nil
	}
	var out []wal.Rule
	for _, n := range seq.Values {
		m, ok := n.(*ast.MappingNode)
		if !ok {
			p.mismatch(n, posOf(n), key+" rule", "a mapping (protocol, ports, cidrs, groups)")
			continue
		}
		out = append(out, p.rule(m, key)...)
	}
	out = wal.SortRules(out)
	if len(out) > MaxRulesPerDirection {
		p.errorf(posOf(seq), "too many %s rules: %d (EC2 allows %d per group)", key, len(out), MaxRulesPerDirection)
	}
	return out
}

// rule reads one rule entry.
func (p *configParser) rule(m *ast.MappingNode, dir string) []wal.Rule {
	f := p.fields(m, dir+" rule", ruleKeys())
	var proto string
	if kv, ok := p.required(f, m, keyProtocol, dir+" rule"); ok {
		proto = p.protocol(kv)
	}
	from, to := p.ports(f, m, proto)
	base := wal.Rule{Protocol: proto, FromPort: from, ToPort: to}
	var out []wal.Rule
	for _, cidr := range p.peers(f, keyCIDRs, p.cidr) {
		r := base
		r.CIDR = cidr
		out = append(out, r)
	}
	for _, g := range p.peers(f, keyGroups, p.groupRef) {
		r := base
		r.Group = g
		out = append(out, r)
	}
	_, hasCIDRs := f[keyCIDRs]
	if _, hasGroups := f[keyGroups]; !hasCIDRs && !hasGroups {
		p.errorf(posOf(m), "an %s rule needs cidrs or groups", dir)
	}
	return out
}

// protocol reads tcp, udp, icmp, icmpv6, all (or -1), or a number 0-255.
func (p *configParser) protocol(kv *ast.MappingValueNode) string {
	var s string
	if _, isInt := kv.Value.(*ast.IntegerNode); isInt {
		n, ok := p.integer(kv, keyProtocol)
		if !ok {
			return ""
		}
		s = strconv.Itoa(n)
	} else if v, ok := p.str(kv.Value, valuePos(kv), keyProtocol); ok {
		s = strings.ToLower(v)
	}
	switch s {
	case "tcp", "udp", "icmp", "icmpv6":
		return s
	case "all", "-1":
		return wal.ProtocolAll
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "1":
		return "icmp"
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 255 {
		return s
	}
	p.errorf(valuePos(kv), "unknown protocol %q (use tcp, udp, icmp, icmpv6, all or a number 0-255)", s)
	return ""
}

// ports reads `ports: 22` or `ports: "8000-8100"`: required for tcp and
// udp, not allowed otherwise (those rules cover every port: -1/-1).
func (p *configParser) ports(f map[string]*ast.MappingValueNode, m *ast.MappingNode, proto string) (int32, int32) {
	kv, ok := f[keyPorts]
	if proto != "tcp" && proto != "udp" {
		if ok {
			p.errorf(valuePos(kv), "ports apply to tcp and udp only (protocol %s covers every port)", proto)
		}
		return -1, -1
	}
	if !ok {
		p.required(f, m, keyPorts, proto+" rule")
		return 0, 0
	}
	var lo, hi int
	if _, isInt := kv.Value.(*ast.IntegerNode); isInt {
		n, _ := p.integer(kv, keyPorts)
		lo, hi = n, n
	} else if s, ok := p.str(kv.Value, valuePos(kv), keyPorts); ok {
		a, b, _ := strings.Cut(s, "-")
		if b == "" {
			b = a
		}
		x, errA := strconv.Atoi(a)
		y, errB := strconv.Atoi(b)
		if errA != nil || errB != nil {
			p.errorf(valuePos(kv), "invalid ports %q (use a port like 22 or a range like \"8000-8100\")", s)
			return 0, 0
		}
		lo, hi = x, y
	}
	if lo < 0 || hi > 65535 || lo > hi {
		p.errorf(valuePos(kv), "invalid ports %d-%d (0-65535, low to high)", lo, hi)
		return 0, 0
	}
	return int32(lo), int32(hi) //nolint:gosec // checked to be within 0-65535 above
}

// peers reads a list of strings, each checked by valid.
func (p *configParser) peers(f map[string]*ast.MappingValueNode, key string, valid func(string, pos) bool) []string {
	kv, ok := f[key]
	if !ok {
		return nil
	}
	seq, ok := p.sequence(kv, key)
	if !ok {
		return nil
	}
	var out []string
	for _, n := range seq.Values {
		if s, ok := p.str(n, posOf(n), key); ok && valid(s, posOf(n)) {
			out = append(out, s)
		}
	}
	return out
}

// cidr accepts an IPv4 CIDR block in canonical form.
func (p *configParser) cidr(s string, at pos) bool {
	pr, err := netip.ParsePrefix(s)
	if err != nil || !pr.Addr().Is4() || pr.Masked() != pr {
		p.errorf(at, "invalid CIDR %q (expected an IPv4 block like 10.0.0.0/8)", s)
		return false
	}
	return true
}

// groupRef accepts a security group id or the name of a security group
// of the file.
func (p *configParser) groupRef(s string, at pos) bool {
	if p.re.sg.MatchString(s) || p.re.name.MatchString(s) && !strings.HasPrefix(s, "sg-") && s != "default" {
		return true
	}
	p.errorf(at, "invalid security group %q (expected an id like sg-0123456789abcdef0 or the name of a security_group of this file)", s)
	return false
}
