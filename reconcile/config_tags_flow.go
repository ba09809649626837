package reconcile

import (
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// flowTag repairs how the YAML parser reads a flow-style tag whose key
// holds a colon. In a flow mapping, YAML 1.2 lets a plain scalar contain
// ':' when no space follows it, so {team: a, ovi:blessed: true} has the
// keys "team" and "ovi:blessed"; the parser splits at the first colon
// instead (key "ovi", value "blessed: true"). When the value starts right
// after the key's colon, the two are one scalar: rejoined and split at the
// first ": ", the value is read as the scalar it is (so `true`, "true"
// and 'true' all give "true", as in block style). It returns the key and
// the value node to use, or ok=false when the entry needs no repair.
func flowTag(kv *ast.MappingValueNode) (key string, value ast.Node, ok bool) {
	kt, vt := tokenOf(kv.Key), tokenOf(kv.Value)
	if kt == nil || vt == nil || kt.Type != token.StringType || kt.Position == nil || vt.Position == nil {
		return "", nil, false
	}
	adjacent := vt.Position.Line == kt.Position.Line &&
		vt.Position.Column == kt.Position.Column+utf8.RuneCountInString(kt.Value)+1
	if !adjacent {
		return "", nil, false
	}
	joined := kt.Value + ":" + valueSource(kv.Value, vt)
	key, rest, found := strings.Cut(joined, ": ")
	if !found {
		return joined, nil, true // {a:b}: one key, no value
	}
	return key, reparseScalar(strings.TrimSpace(rest)), true
}

func tokenOf(n ast.Node) *token.Token {
	if n == nil {
		return nil
	}
	return n.GetToken()
}

// valueSource is the source text of a misread value: a plain scalar's
// text is its token; a value that already looked like a scalar (the
// parser typed "blessed: true"… as a string) keeps its text as written.
func valueSource(n ast.Node, t *token.Token) string {
	if s, ok := n.(*ast.StringNode); ok && t.Type == token.StringType {
		return s.Value
	}
	return t.Value
}

// reparseScalar reads text as the value of a one-line block mapping, so
// it is typed as YAML types it (a boolean, a number, a quoted string).
// Text that is not a single scalar gives a StringNode of the text.
func reparseScalar(text string) ast.Node {
	f, err := parser.ParseBytes([]byte("v: "+text+"\n"), 0)
	if err == nil && len(f.Docs) == 1 {
		if m, ok := f.Docs[0].Body.(*ast.MappingNode); ok && len(m.Values) == 1 {
			if _, ok := scalarText(m.Values[0].Value); ok {
				return m.Values[0].Value
			}
		}
	}
	return ast.String(token.New(text, text, &token.Position{}))
}
