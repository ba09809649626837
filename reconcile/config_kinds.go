package reconcile

import (
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/yairfalse/ovi/wal"
)

// entrySchema is implemented by a Kind whose resources appear in the
// file's resources list under their own `type:` (every kind but the
// instance kind, whose entries are the groups of config_group.go). The
// parser hands it entry i (a mapping); it reports problems through p and
// returns the entry, and whether it is valid.
type entrySchema interface {
	parseEntry(p *configParser, m *ast.MappingNode, i int) (configEntry, bool)
}

// configEntry is one parsed entry of the resources list: its name (unique
// in the file), where the name is reported, and how it joins the config.
type configEntry struct {
	name string
	at   pos
	add  func(cfg *wal.Config)
}

// entryKind returns the Kind an entry's `type:` names, if a registered
// kind other than instances parses its own entries. Anything else
// (instances, a missing or unknown type) is parsed as an instance group,
// which reports what is wrong.
func (p *configParser) entryKind(n ast.Node) (entrySchema, *ast.MappingNode, bool) {
	m, ok := n.(*ast.MappingNode)
	if !ok || p.kinds == nil {
		return nil, nil, false
	}
	for _, kv := range m.Values {
		key, ok := kv.Key.(*ast.StringNode)
		if !ok || key.Value != keyType {
			continue
		}
		val, ok := kv.Value.(*ast.StringNode)
		if !ok {
			return nil, nil, false
		}
		rk, err := wal.ParseResourceKind(val.Value)
		if err != nil {
			return nil, nil, false
		}
		k, ok := p.kinds.Get(rk)
		if !ok {
			return nil, nil, false
		}
		s, ok := k.(entrySchema)
		return s, m, ok
	}
	return nil, nil, false
}

// typeNames lists the `type:` values the registry understands.
func (p *configParser) typeNames() string {
	if p.kinds == nil {
		return wal.ResourceInstance.String()
	}
	kinds := slices.Sorted(slices.Values(p.kinds.order))
	names := make([]string, 0, len(kinds))
	for _, k := range kinds {
		names = append(names, k.String())
	}
	return strings.Join(names, ", ")
}
