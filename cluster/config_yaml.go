package cluster

import (
	"fmt"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// Bounds of the agent configuration's YAML, checked before it is decoded.
// The file is flat (the deepest key is tls.ca_file), so these leave ample
// room while keeping a hostile or broken file from making the parser
// recurse deeply or expand aliases ("billion laughs").
const (
	maxConfigFlowDepth = 4  // nested [ ] / { } collections
	maxConfigIndent    = 32 // column of the first token of a line
)

// checkConfigYAML rejects anchors, aliases, tags and merge keys, and
// nesting beyond the bounds, as "name:line:col: message".
func checkConfigYAML(name string, data []byte) error {
	if line, col, ok := flowTooDeep(data); ok {
		return fmt.Errorf("%w: %s:%d:%d: YAML nested deeper than %d flow collections", ErrConfig, name, line, col, maxConfigFlowDepth)
	}
	tokens, err := tokenize(data)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrConfig, name, err)
	}
	lastLine := 0
	for _, tk := range tokens {
		if tk == nil || tk.Position == nil {
			continue
		}
		at := fmt.Sprintf("%s:%d:%d", name, tk.Position.Line, tk.Position.Column)
		switch tk.Type {
		case token.AnchorType, token.AliasType:
			return fmt.Errorf("%w: %s: YAML anchors and aliases are not allowed in the agent configuration", ErrConfig, at)
		case token.TagType:
			return fmt.Errorf("%w: %s: YAML tags (%s) are not allowed in the agent configuration", ErrConfig, at, tk.Value)
		case token.MergeKeyType:
			return fmt.Errorf("%w: %s: YAML merge keys (<<) are not allowed in the agent configuration", ErrConfig, at)
		}
		if tk.Position.Line > lastLine {
			lastLine = tk.Position.Line
			if tk.Position.Column > maxConfigIndent {
				return fmt.Errorf("%w: %s: YAML indented deeper than %d columns", ErrConfig, at, maxConfigIndent)
			}
		}
	}
	return nil
}

// tokenize runs the go-yaml lexer; a panic inside it becomes an error.
func tokenize(data []byte) (tokens token.Tokens, err error) {
	defer func() {
		if r := recover(); r != nil {
			tokens, err = nil, fmt.Errorf("yaml lexer failed: %v", r)
		}
	}()
	return lexer.Tokenize(string(data)), nil
}

// flowTooDeep scans for [ and { nested beyond maxConfigFlowDepth, outside
// quotes and comments, and returns where the limit was passed.
func flowTooDeep(data []byte) (int, int, bool) {
	line, col, depth := 1, 0, 0
	var quote byte
	comment := false
	for i, c := range data {
		col++
		switch {
		case c == '\n': // quoted scalars may span lines: quote stays set
			line, col, comment = line+1, 0, false
		case comment:
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t'):
			comment = true
		case c == '[' || c == '{':
			if depth++; depth > maxConfigFlowDepth {
				return line, col, true
			}
		case (c == ']' || c == '}') && depth > 0:
			depth--
		}
	}
	return 0, 0, false
}
