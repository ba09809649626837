package ec2sim

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// protoAll is EC2's "all protocols" (-1; "all" is accepted as a synonym).
const protoAll = "-1"

// protocolName returns the name EC2 answers for a protocol it names
// (given by name or number).
func protocolName(p string) (string, bool) {
	switch p {
	case "6", "tcp":
		return "tcp", true
	case "17", "udp":
		return "udp", true
	case "1", "icmp":
		return "icmp", true
	case "58", "icmpv6":
		return "icmpv6", true
	default:
		return "", false
	}
}

// normalProtocol returns the form EC2 stores a protocol in: tcp, udp,
// icmp and icmpv6 by name, -1 for all, any other protocol by number.
func normalProtocol(p string) (string, *apiError) {
	p = strings.ToLower(p)
	switch p {
	case "":
		return "", errMissing("IpPermissions.N.IpProtocol")
	case "-1", "all":
		return protoAll, nil
	}
	if name, ok := protocolName(p); ok {
		return name, nil
	}
	if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 255 {
		return p, nil
	}
	return "", newAPIError(CodeInvalidParameterValue, "Invalid value '%s' for IP protocol. Unknown protocol.", p)
}

// portRange reads FromPort/ToPort under base for protocol: tcp and udp
// need both (0–65535, from ≤ to); icmp takes a type and a code (-1 = any);
// every other protocol covers all ports (-1/-1).
func portRange(form url.Values, base, protocol string) (int, int, *apiError) {
	from, hasFrom, aerr := optInt(form, base+"FromPort")
	if aerr != nil {
		return 0, 0, aerr
	}
	to, hasTo, aerr := optInt(form, base+"ToPort")
	if aerr != nil {
		return 0, 0, aerr
	}
	switch protocol {
	case "tcp", "udp":
		if !hasFrom || !hasTo {
			return 0, 0, newAPIError(CodeInvalidParameterValue,
				"Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange")
		}
		if from < 0 || to > 65535 || from > to {
			return 0, 0, newAPIError(CodeInvalidParameterValue,
				"Invalid value '%d-%d' for portRange. Must be between 0 and 65535 with from <= to.", from, to)
		}
		return from, to, nil
	case "icmp", "icmpv6":
		if !hasFrom {
			from = -1
		}
		if !hasTo {
			to = -1
		}
		if from < -1 || from > 255 || to < -1 || to > 255 {
			return 0, 0, newAPIError(CodeInvalidParameterValue, "Invalid value '%d/%d' for ICMP type and code.", from, to)
		}
		return from, to, nil
	default:
		return -1, -1, nil
	}
}

// permission is one IpPermissions.N entry: protocol, ports and its peers.
type permission struct {
	protocol string
	from, to int
	peers    []sgRule // CIDR or GroupID (and Description) set
}

// parsePermissions reads IpPermissions.N (or, when absent, the legacy
// top-level IpProtocol/FromPort/ToPort/CidrIp form) as stored rules without
// ids. Referenced groups are checked by the caller.
func parsePermissions(form url.Values) ([]sgRule, *apiError) {
	idx := listIndexes(form, "IpPermissions")
	if len(idx) == 0 {
		if form.Get("IpProtocol") == "" && form.Get("CidrIp") == "" {
			return nil, errMissing("IpPermissions")
		}
		p, aerr := parsePermission(form, "", "CidrIp")
		if aerr != nil {
			return nil, aerr
		}
		return p.expand(), nil
	}
	var out []sgRule
	for _, n := range idx {
		p, aerr := parsePermission(form, "IpPermissions."+strconv.Itoa(n)+".", "")
		if aerr != nil {
			return nil, aerr
		}
		out = append(out, p.expand()...)
	}
	return out, nil
}

// parsePermission reads one permission whose keys start with base. legacyCIDR
// names a single top-level CIDR parameter instead of IpRanges.N.
func parsePermission(form url.Values, base, legacyCIDR string) (permission, *apiError) {
	var p permission
	proto, aerr := normalProtocol(form.Get(base + "IpProtocol"))
	if aerr != nil {
		return p, aerr
	}
	p.protocol = proto
	if p.from, p.to, aerr = portRange(form, base, proto); aerr != nil {
		return p, aerr
	}
	if aerr := unsupportedPeers(form, base); aerr != nil {
		return p, aerr
	}
	if legacyCIDR != "" {
		cidr, aerr := parseCIDR(form.Get(legacyCIDR))
		if aerr != nil {
			return p, aerr
		}
		p.peers = []sgRule{{CIDR: cidr}}
		return p, nil
	}
	if p.peers, aerr = parsePeers(form, base); aerr != nil {
		return p, aerr
	}
	if len(p.peers) == 0 {
		return p, newAPIError(CodeInvalidPermissionMalformed,
			"The permission %s needs at least one of IpRanges or Groups.", strings.TrimSuffix(base, "."))
	}
	return p, nil
}

// parsePeers reads IpRanges.N (CidrIp, Description) and Groups.N (GroupId,
// Description) under base.
func parsePeers(form url.Values, base string) ([]sgRule, *apiError) {
	var peers []sgRule
	for _, n := range listIndexes(form, base+"IpRanges") {
		item := base + "IpRanges." + strconv.Itoa(n) + "."
		cidr, aerr := parseCIDR(form.Get(item + "CidrIp"))
		if aerr != nil {
			return nil, aerr
		}
		peers = append(peers, sgRule{CIDR: cidr, Description: form.Get(item + "Description")})
	}
	for _, n := range listIndexes(form, base+"Groups") {
		item := base + "Groups." + strconv.Itoa(n) + "."
		id := form.Get(item + "GroupId")
		if id == "" {
			return nil, errMissing(item + "GroupId")
		}
		peers = append(peers, sgRule{GroupID: id, Description: form.Get(item + "Description")})
	}
	return peers, nil
}

// unsupportedPeers refuses the peers the simulator does not model.
func unsupportedPeers(form url.Values, base string) *apiError {
	for _, list := range []string{"Ipv6Ranges", "PrefixListIds"} {
		if len(listIndexes(form, base+list)) > 0 {
			return newAPIError(CodeUnsupportedOperation, "ec2sim models IPv4 ranges and groups as peers, not %s.", list)
		}
	}
	return nil
}

// parseCIDR accepts an IPv4 CIDR block in its canonical form.
func parseCIDR(s string) (string, *apiError) {
	if s == "" {
		return "", errMissing("CidrIp")
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return "", newAPIError(CodeInvalidParameterValue, "CIDR block %s is malformed", s)
	}
	return s, nil
}

// expand turns a permission into one rule per peer.
func (p permission) expand() []sgRule {
	out := make([]sgRule, 0, len(p.peers))
	for _, peer := range p.peers {
		peer.Protocol, peer.FromPort, peer.ToPort = p.protocol, p.from, p.to
		out = append(out, peer)
	}
	return out
}

// describeRule renders a rule the way EC2's Duplicate message does.
func describeRule(r sgRule) string {
	peer := r.CIDR
	if r.GroupID != "" {
		peer = r.GroupID
	}
	proto := strings.ToUpper(r.Protocol)
	if r.Protocol == protoAll {
		proto = "ALL"
	}
	return "peer: " + peer + ", " + proto + ", from port: " + strconv.Itoa(r.FromPort) +
		", to port: " + strconv.Itoa(r.ToPort) + ", ALLOW"
}
