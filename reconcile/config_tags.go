package reconcile

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"

	"github.com/yairfalse/ovi/wal"
)

// Tag prefixes: aws: is reserved by AWS, ovi: by Ovi (only ovi:blessed
// may be written in a file).
const (
	awsTagPrefix = "aws:"
	oviTagPrefix = "ovi:"
)

// tags reads a group's tags. Booleans become "true"/"false" and numbers
// keep their source text, since EC2 tags are strings.
func (p *configParser) tags(f map[string]*ast.MappingValueNode) map[string]string {
	kv, ok := f[keyTags]
	if !ok {
		return nil
	}
	m, ok := p.mapping(kv, keyTags)
	if !ok {
		return nil
	}
	if len(m.Values) > MaxUserTags {
		p.errorf(posOf(m), "too many tags: %d (limit %d: EC2 allows %d per resource and Ovi adds ovi:managed, ovi:group and ovi:decision)",
			len(m.Values), MaxUserTags, MaxTags)
	}
	out := make(map[string]string, len(m.Values))
	first := make(map[string]pos, len(m.Values))
	for _, tkv := range m.Values {
		key, value, ok := p.tag(m, tkv)
		if !ok {
			continue
		}
		if at, dup := first[key]; dup {
			p.errorf(posOf(tkv.Key), "duplicate tag %q (first at %s)", key, at)
			continue
		}
		first[key] = posOf(tkv.Key)
		out[key] = value
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// tag reads one tag of m (repairing a flow-style key with a colon, see
// flowTag).
func (p *configParser) tag(m *ast.MappingNode, tkv *ast.MappingValueNode) (string, string, bool) {
	if m.IsFlowStyle {
		if key, vn, ok := flowTag(tkv); ok {
			key, kok := p.checkTagKey(key, posOf(tkv.Key))
			if !kok {
				return "", "", false
			}
			at := valuePos(tkv)
			if vn == nil {
				at = posOf(tkv.Key)
			}
			value, vok := p.tagValueAt(vn, at, key)
			return key, value, vok
		}
	}
	key, kok := p.tagKey(tkv.Key)
	value, vok := p.tagValue(tkv, key)
	return key, value, kok && vok
}

// scalarText is the text of a scalar usable as a tag key or value.
func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.BoolNode:
		return strconv.FormatBool(v.Value), true
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return nodeText(v), true
	}
	return "", false
}

func (p *configParser) tagKey(n ast.Node) (string, bool) {
	if !p.plain(n) {
		return "", false
	}
	at := posOf(n)
	key, ok := scalarText(n)
	if !ok {
		p.mismatch(n, at, "tag key", "a string")
		return "", false
	}
	return p.checkTagKey(key, at)
}

// checkTagKey applies EC2's and Ovi's rules to a tag key.
func (p *configParser) checkTagKey(key string, at pos) (string, bool) {
	lower := strings.ToLower(key)
	switch {
	case key == "":
		p.errorf(at, "tag key must not be empty")
	case utf8.RuneCountInString(key) > MaxTagKeyLen:
		p.errorf(at, "tag key %q is %d characters long (limit %d)", abbreviate(key), utf8.RuneCountInString(key), MaxTagKeyLen)
	case strings.HasPrefix(lower, awsTagPrefix):
		p.errorf(at, "tag key %q uses the prefix %q, which is reserved by AWS", key, awsTagPrefix)
	case strings.HasPrefix(lower, oviTagPrefix) && key != wal.TagBlessed:
		p.errorf(at, "tag key %q is reserved for Ovi (the only ovi: tag a file may set is %s)", key, wal.TagBlessed)
	case badTagRune(key) != 0:
		p.errorf(at, "tag key %q contains %q (allowed: letters, digits, spaces and + - = . _ : / @)", key, badTagRune(key))
	default:
		return key, true
	}
	return "", false
}

func (p *configParser) tagValue(kv *ast.MappingValueNode, key string) (string, bool) {
	return p.tagValueAt(kv.Value, valuePos(kv), key)
}

// tagValueAt reads tag key's value node n, reported at at.
func (p *configParser) tagValueAt(n ast.Node, at pos, key string) (string, bool) {
	if n != nil && !p.plain(n) {
		return "", false
	}
	value, ok := scalarText(n)
	if !ok {
		if _, null := n.(*ast.NullNode); null || n == nil {
			p.errorf(at, "tag %q has no value (write \"\" for an empty value)", key)
		} else {
			p.mismatch(n, at, fmt.Sprintf("tag %q", key), "a string, number or boolean")
		}
		return "", false
	}
	switch {
	case key == wal.TagBlessed && value != "true":
		p.errorf(at, "%s must be true (omit the tag to leave resources unprotected)", wal.TagBlessed)
	case utf8.RuneCountInString(value) > MaxTagValueLen:
		p.errorf(at, "tag %q: value is %d characters long (limit %d)", key, utf8.RuneCountInString(value), MaxTagValueLen)
	case badTagRune(value) != 0:
		p.errorf(at, "tag %q: value contains %q (allowed: letters, digits, spaces and + - = . _ : / @)", key, badTagRune(value))
	default:
		return value, true
	}
	return "", false
}

// badTagRune returns the first rune EC2 does not allow in tags, or 0.
func badTagRune(s string) rune {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || strings.ContainsRune("+-=._:/@", r) {
			continue
		}
		return r
	}
	return 0
}

// abbreviate shortens s for a message.
func abbreviate(s string) string {
	const keep = 24
	if utf8.RuneCountInString(s) <= keep {
		return s
	}
	return string([]rune(s)[:keep]) + "…"
}
