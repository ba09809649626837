package reconcile

import (
	"math"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// This file holds the typed accessors the schema walk uses on YAML nodes.
// Each one reports a positioned error and returns ok=false on a mismatch.

// plain reports whether n is an ordinary node. Anchors, aliases, YAML tags
// and merge keys were already reported from the token stream (parseYAML);
// the walk only declines to look inside them.
func (p *configParser) plain(n ast.Node) bool {
	switch n.(type) {
	case *ast.AnchorNode, *ast.AliasNode, *ast.TagNode, *ast.MergeKeyNode:
		return false
	}
	return true
}

// nodeText is the source text of a scalar node ("" for nil).
func nodeText(n ast.Node) string {
	if n == nil {
		return ""
	}
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}

// describe names what a node is, for "expected X, got Y" messages.
func describe(n ast.Node) string {
	switch n.(type) {
	case nil, *ast.NullNode:
		return "nothing (null)"
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a sequence"
	case *ast.LiteralNode:
		return "a block scalar"
	case *ast.StringNode:
		return "string " + strconv.Quote(nodeText(n))
	}
	return n.Type().YAMLName() + " " + nodeText(n)
}

// mismatch reports a value of the wrong type.
func (p *configParser) mismatch(n ast.Node, at pos, label, want string) {
	p.errorf(at, "%s: expected %s, got %s", label, want, describe(n))
}

// valuePos is where an error about the value of kv points: the value if
// there is one, else the key.
func valuePos(kv *ast.MappingValueNode) pos {
	if _, null := kv.Value.(*ast.NullNode); kv.Value == nil || null {
		return posOf(kv.Key)
	}
	return posOf(kv.Value)
}

// mapping returns kv's value as a mapping.
func (p *configParser) mapping(kv *ast.MappingValueNode, label string) (*ast.MappingNode, bool) {
	if !p.plain(kv.Value) {
		return nil, false
	}
	m, ok := kv.Value.(*ast.MappingNode)
	if !ok {
		p.mismatch(kv.Value, valuePos(kv), label, "a mapping")
	}
	return m, ok
}

// sequence returns kv's value as a sequence.
func (p *configParser) sequence(kv *ast.MappingValueNode, label string) (*ast.SequenceNode, bool) {
	if !p.plain(kv.Value) {
		return nil, false
	}
	s, ok := kv.Value.(*ast.SequenceNode)
	if !ok {
		p.mismatch(kv.Value, valuePos(kv), label, "a sequence")
	}
	return s, ok
}

// str returns a string scalar.
func (p *configParser) str(n ast.Node, at pos, label string) (string, bool) {
	if !p.plain(n) {
		return "", false
	}
	s, ok := n.(*ast.StringNode)
	if !ok {
		p.mismatch(n, at, label, "a string")
		return "", false
	}
	return s.Value, true
}

// integer returns an integer scalar that fits in an int.
func (p *configParser) integer(kv *ast.MappingValueNode, label string) (int, bool) {
	if !p.plain(kv.Value) {
		return 0, false
	}
	n, ok := kv.Value.(*ast.IntegerNode)
	if !ok {
		p.mismatch(kv.Value, valuePos(kv), label, "an integer")
		return 0, false
	}
	switch v := n.Value.(type) {
	case int64:
		if v >= math.MinInt32 && v <= math.MaxInt32 {
			return int(v), true
		}
	case uint64:
		if v <= math.MaxInt32 {
			return int(v), true
		}
	}
	p.errorf(valuePos(kv), "%s: integer %s is out of range", label, nodeText(n))
	return 0, false
}

// boolean returns a boolean scalar.
func (p *configParser) boolean(kv *ast.MappingValueNode, label string) (bool, bool) {
	if !p.plain(kv.Value) {
		return false, false
	}
	b, ok := kv.Value.(*ast.BoolNode)
	if !ok {
		p.mismatch(kv.Value, valuePos(kv), label, "true or false")
		return false, false
	}
	return b.Value, true
}

// fields indexes a mapping by key, reporting non-string keys, unknown keys
// (with the allowed ones) and duplicates.
func (p *configParser) fields(m *ast.MappingNode, where string, allowed []string) map[string]*ast.MappingValueNode {
	out := make(map[string]*ast.MappingValueNode, len(m.Values))
	for _, kv := range m.Values {
		key, ok := p.str(kv.Key, posOf(kv.Key), "key in "+where)
		if !ok {
			continue
		}
		if !contains(allowed, key) {
			p.errorf(posOf(kv.Key), "unknown key %q in %s (allowed: %s)", key, where, strings.Join(allowed, ", "))
			continue
		}
		if first, dup := out[key]; dup {
			p.errorf(posOf(kv.Key), "duplicate key %q in %s (first at %s)", key, where, posOf(first))
			continue
		}
		out[key] = kv
	}
	return out
}

// required returns the field key of f, reporting it missing at the
// position of mapping m.
func (p *configParser) required(f map[string]*ast.MappingValueNode, m *ast.MappingNode, key, where string) (*ast.MappingValueNode, bool) {
	kv, ok := f[key]
	if !ok {
		p.errorf(posOf(m), "missing required key %q in %s", key, where)
	}
	return kv, ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
