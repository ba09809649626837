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
		key, kok := p.tagKey(tkv.Key)
		value, vok := p.tagValue(tkv, key)
		if !kok || !vok {
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
	if !p.plain(kv.Value) {
		return "", false
	}
	at := valuePos(kv)
	value, ok := scalarText(kv.Value)
	if !ok {
		if _, null := kv.Value.(*ast.NullNode); null || kv.Value == nil {
			p.errorf(at, "tag %q has no value (write \"\" for an empty value)", key)
		} else {
			p.mismatch(kv.Value, at, fmt.Sprintf("tag %q", key), "a string, number or boolean")
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
