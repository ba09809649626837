package reconcile

import (
	"errors"
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// configParser collects every error of one file; parse never stops at the
// first problem unless the file cannot be turned into a syntax tree.
type configParser struct {
	file  string
	re    *patterns
	kinds *Kinds // which `type:` values exist and who parses them
	errs  ConfigErrors
}

// pos is a 1-based line and column.
type pos struct{ line, col int }

// String returns "line:column".
func (at pos) String() string { return fmt.Sprintf("%d:%d", at.line, at.col) }

func (p *configParser) errorf(at pos, format string, args ...any) {
	p.errs = append(p.errs, ConfigError{File: p.file, Line: at.line, Column: at.col, Message: fmt.Sprintf(format, args...)})
}

// yamlError is what goccy/go-yaml's positioned errors implement.
type yamlError interface {
	GetToken() *token.Token
	GetMessage() string
}

// syntaxTree checks the raw limits and parses data into one YAML document
// body. It returns nil (with errors recorded) when there is nothing to walk.
func (p *configParser) syntaxTree(data []byte) ast.Node {
	if len(data) > MaxConfigBytes {
		p.errorf(pos{1, 1}, "file is larger than %d bytes (1 MiB)", MaxConfigBytes)
		return nil
	}
	if !p.checkNesting(data) {
		return nil
	}
	file, err := p.parseYAML(data)
	if err != nil {
		at, msg := pos{1, 1}, err.Error()
		var ye yamlError
		if errors.As(err, &ye) {
			msg = ye.GetMessage()
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				at = pos{tk.Position.Line, tk.Position.Column}
			}
		}
		p.errorf(at, "invalid YAML: %s", msg)
		return nil
	}
	return p.singleBody(file)
}

// parseYAML runs the goccy/go-yaml lexer and parser. Anchors, aliases,
// YAML tags and merge keys are reported from the token stream, wherever
// they are (aliases are how "billion laughs" files explode; the syntax tree
// itself never expands them). Duplicate keys are allowed here because the
// schema walk reports them together with every other error. A panic inside
// the third-party parser becomes an error: bad input must never crash the
// agent.
func (p *configParser) parseYAML(data []byte) (file *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, fmt.Errorf("yaml parser failed: %v", r)
		}
	}()
	tokens := lexer.Tokenize(string(data))
	aliases := make(map[string]bool)
	for _, tk := range tokens {
		p.checkToken(tk, aliases)
	}
	return parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
}

// checkToken reports YAML features v1 does not allow; each alias name is
// reported once.
func (p *configParser) checkToken(tk *token.Token, aliases map[string]bool) {
	if tk == nil || tk.Position == nil {
		return
	}
	at := pos{tk.Position.Line, tk.Position.Column}
	switch tk.Type {
	case token.AnchorType:
		p.errorf(at, "YAML anchors (&%s) are not allowed", anchorName(tk))
	case token.AliasType:
		if name := anchorName(tk); !aliases[name] {
			aliases[name] = true
			p.errorf(at, "YAML aliases (*%s) are not allowed", name)
		}
	case token.TagType:
		p.errorf(at, "YAML tags (%s) are not allowed", tk.Value)
	case token.MergeKeyType:
		p.errorf(at, "YAML merge keys (<<) are not allowed")
	}
}

// anchorName is the name following an anchor or alias indicator.
func anchorName(tk *token.Token) string {
	if tk.Next != nil && tk.Next.Position != nil && tk.Next.Position.Line == tk.Position.Line {
		return tk.Next.Value
	}
	return ""
}

// singleBody returns the body of the only document, reporting empty files
// and multi-document streams.
func (p *configParser) singleBody(file *ast.File) ast.Node {
	var bodies []ast.Node
	for _, doc := range file.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch {
	case len(bodies) == 0:
		p.errorf(pos{1, 1}, "file is empty (expected version, provider, region and resources)")
		return nil
	case len(bodies) > 1:
		p.errorf(posOf(bodies[1]), "only one YAML document is allowed")
		return nil
	}
	return bodies[0]
}

// checkNesting bounds how deep the parser would have to recurse, before it
// runs: flow collections ([ ], { }) may nest MaxFlowDepth deep, and block
// structure (indentation, "- " entries) may not reach beyond
// MaxIndentColumns. It is a conservative lexical scan: quotes and comments
// are skipped, brackets count only where a flow collection can start.
func (p *configParser) checkNesting(data []byte) bool {
	s := nestScan{line: 1, col: 1, lineStart: true, tokenStart: true}
	for i := 0; i < len(data); i++ {
		if msg := s.step(data, i); msg != "" {
			p.errorf(pos{s.line, s.col}, "%s", msg)
			return false
		}
		s.advance(data[i])
	}
	return true
}

// nestScan is the state of checkNesting.
type nestScan struct {
	line, col  int
	depth      int
	quote      byte // 0, '\'' or '"'
	escaped    bool
	comment    bool
	lineStart  bool // only spaces so far on this line
	tokenStart bool // a new token may start here
}

// step inspects data[i] and returns a message if a limit is exceeded.
func (s *nestScan) step(data []byte, i int) string {
	c := data[i]
	switch {
	case s.comment || c == '\n':
		return ""
	case s.quote != 0:
		s.inQuote(c)
		return ""
	case s.lineStart && c != ' ' && s.col > MaxIndentColumns:
		return fmt.Sprintf("nesting too deep: indented beyond column %d", MaxIndentColumns)
	case c == '#' && s.tokenStart:
		s.comment = true
	case (c == '\'' || c == '"') && s.tokenStart:
		s.quote = c
	case (c == '[' || c == '{') && (s.tokenStart || s.depth > 0):
		s.depth++
		if s.depth > MaxFlowDepth {
			return fmt.Sprintf("nesting too deep: more than %d nested flow collections", MaxFlowDepth)
		}
	case (c == ']' || c == '}') && s.depth > 0:
		s.depth--
	case (c == '-' || c == '?') && s.depth == 0 && s.tokenStart && s.col > MaxIndentColumns:
		return fmt.Sprintf("nesting too deep: sequence entry beyond column %d", MaxIndentColumns)
	}
	return ""
}

// inQuote follows a quoted scalar to its end.
func (s *nestScan) inQuote(c byte) {
	switch {
	case s.escaped:
		s.escaped = false
	case s.quote == '"' && c == '\\':
		s.escaped = true
	case c == s.quote:
		s.quote = 0
	}
}

// advance moves past data[i], keeping line, column and token-start state.
func (s *nestScan) advance(c byte) {
	if c == '\n' {
		s.line, s.col = s.line+1, 1
		s.comment, s.lineStart, s.tokenStart = false, true, true
		return
	}
	s.col++
	if c != ' ' && c != '\t' {
		s.lineStart = false
	}
	s.tokenStart = s.quote == 0 && (c == ' ' || c == '\t' || c == '[' || c == '{' || c == ',')
}

// posOf is the position an error about node n points at. Block mappings
// point at their first key (the parser's own token is the first ':').
func posOf(n ast.Node) pos {
	switch v := n.(type) {
	case nil:
		return pos{1, 1}
	case *ast.DocumentNode:
		return posOf(v.Body)
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 {
			return posOf(v.Values[0])
		}
	case *ast.MappingValueNode:
		return posOf(v.Key)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return pos{1, 1}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}
