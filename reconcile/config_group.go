package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/yairfalse/ovi/wal"
)

// Patterns of group fields. Compiled once per parse (no package state).
const (
	namePattern  = `^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`
	sizePattern  = `^[a-z][a-z0-9-]*\.[a-z0-9-]+$`
	imagePattern = `^ami-([0-9a-f]{8}|[0-9a-f]{17})$`
	subnetPatt   = `^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`
	sgPattern    = `^sg-([0-9a-f]{8}|[0-9a-f]{17})$`
)

// patterns holds the compiled field patterns.
type patterns struct {
	region, name, size, image, subnet, sg *regexp.Regexp
}

func compilePatterns() *patterns {
	return &patterns{
		region: regexp.MustCompile(regionPattern),
		name:   regexp.MustCompile(namePattern),
		size:   regexp.MustCompile(sizePattern),
		image:  regexp.MustCompile(imagePattern),
		subnet: regexp.MustCompile(subnetPatt),
		sg:     regexp.MustCompile(sgPattern),
	}
}

// group reads resource group i. It returns the group, the position its
// name is reported at, and whether it is valid enough to keep checking.
func (p *configParser) group(n ast.Node, i int) (wal.Group, pos, bool) {
	label := groupLabel(i)
	if !p.plain(n) {
		return wal.Group{}, pos{}, false
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		p.mismatch(n, posOf(n), label, "a mapping (type, count, size, ...)")
		return wal.Group{}, pos{}, false
	}
	f := p.fields(m, "resource group", groupKeys())
	errsBefore := len(p.errs)
	g := wal.Group{
		Type:  p.groupType(f, m),
		Count: p.groupCount(f, m),
		Size:  p.pattern(f, m, keySize, true, p.re.size, "invalid size %q (expected an instance type like t3.micro)"),
		Image: p.pattern(f, m, keyImage, false, p.re.image, "invalid image %q (expected an AMI id like ami-0123456789abcdef0)"),
		SubnetID: p.pattern(f, m, keySubnet, false, p.re.subnet,
			"invalid subnet_id %q (expected a subnet id like subnet-0123456789abcdef0)"),
		SecurityGroups: p.securityGroups(f),
		Tags:           p.tags(f),
	}
	at := posOf(m)
	if kv, ok := f[keyName]; ok {
		at = valuePos(kv)
		g.Name = p.pattern(f, m, keyName, false, p.re.name,
			"invalid name %q (use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit)")
	} else {
		g.Name, g.Unnamed = DefaultGroupName(g), true
	}
	return g, at, len(p.errs) == errsBefore
}

func (p *configParser) groupType(f map[string]*ast.MappingValueNode, m *ast.MappingNode) string {
	kv, ok := p.required(f, m, keyType, "resource group")
	if !ok {
		return ""
	}
	s, ok := p.str(kv.Value, valuePos(kv), keyType)
	if ok && s != ResourceTypeEC2 {
		p.errorf(valuePos(kv), "unknown resource type %q (supported: %s)", s, p.typeNames())
	}
	return s
}

func (p *configParser) groupCount(f map[string]*ast.MappingValueNode, m *ast.MappingNode) int {
	kv, ok := p.required(f, m, keyCount, "resource group")
	if !ok {
		return 0
	}
	n, ok := p.integer(kv, keyCount)
	switch {
	case !ok:
	case n < 0:
		p.errorf(valuePos(kv), "count must not be negative (got %d)", n)
	case n > MaxGroupCount:
		p.errorf(valuePos(kv), "count %d exceeds the limit of %d per group", n, MaxGroupCount)
	}
	return n
}

// pattern reads a string field that must match re.
func (p *configParser) pattern(f map[string]*ast.MappingValueNode, m *ast.MappingNode, key string, req bool,
	re *regexp.Regexp, badFormat string) string {
	kv, ok := f[key]
	if !ok {
		if req {
			p.required(f, m, key, "resource group")
		}
		return ""
	}
	s, ok := p.str(kv.Value, valuePos(kv), key)
	if ok && !re.MatchString(s) {
		p.errorf(valuePos(kv), badFormat, s)
	}
	return s
}

func (p *configParser) securityGroups(f map[string]*ast.MappingValueNode) []string {
	kv, ok := f[keySecurityGroups]
	if !ok {
		return nil
	}
	seq, ok := p.sequence(kv, keySecurityGroups)
	if !ok {
		return nil
	}
	if len(seq.Values) > MaxSecurityGroups {
		p.errorf(posOf(seq), "too many security groups: %d (limit %d)", len(seq.Values), MaxSecurityGroups)
	}
	var out []string
	for _, n := range seq.Values {
		s, ok := p.str(n, posOf(n), "security group")
		switch {
		case !ok:
		case !p.groupRef(s, posOf(n)):
		case contains(out, s):
			p.errorf(posOf(n), "duplicate security group %q", s)
		default:
			out = append(out, s)
		}
	}
	return out
}

// DefaultGroupName is the name of a group the file does not name:
// "<type>-<size>-<8 hex digits>", the digits a SHA-256 of the group's
// identity (type, size, image, subnet, sorted security groups, sorted
// tags). Count and position are not part of it, so reordering groups or
// scaling one keeps its name; changing any identity field makes it a
// different group.
func DefaultGroupName(g wal.Group) string {
	var b strings.Builder
	for _, part := range []string{g.Type, g.Size, g.Image, g.SubnetID} {
		b.WriteString(part)
		b.WriteByte(0)
	}
	sgs := append([]string(nil), g.SecurityGroups...)
	sort.Strings(sgs)
	for _, sg := range sgs {
		b.WriteString("sg=" + sg)
		b.WriteByte(0)
	}
	for _, k := range sortedKeys(g.Tags) {
		b.WriteString("tag=" + k + "=" + g.Tags[k])
		b.WriteByte(0)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return g.Type + "-" + g.Size + "-" + hex.EncodeToString(sum[:4])
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
