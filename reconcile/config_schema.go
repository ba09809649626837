package reconcile

import (
	"fmt"
	"net/url"

	"github.com/goccy/go-yaml/ast"

	"github.com/yairfalse/ovi/wal"
)

// Keys of infrastructure.yaml v1.
const (
	keyVersion        = "version"
	keyProvider       = "provider"
	keyRegion         = "region"
	keyEndpoint       = "endpoint"
	keyPolicy         = "policy"
	keyResources      = "resources"
	keyDeleteUnwanted = "delete_unwanted"
	keyMaxDeletions   = "max_deletions_per_run"
	keyDisruptive     = "allow_disruptive"
	keyType           = "type"
	keyCount          = "count"
	keySize           = "size"
	keyName           = "name"
	keyImage          = "image"
	keySubnet         = "subnet_id"
	keySecurityGroups = "security_groups"
	keyTags           = "tags"
)

func topKeys() []string {
	return []string{keyVersion, keyProvider, keyRegion, keyEndpoint, keyPolicy, keyResources}
}

func policyKeys() []string { return []string{keyDeleteUnwanted, keyMaxDeletions, keyDisruptive} }

func groupKeys() []string {
	return []string{keyType, keyCount, keySize, keyName, keyImage, keySubnet, keySecurityGroups, keyTags}
}

// DefaultPolicy is the policy when the file has no policy block: nothing
// unwanted is deleted, at most DefaultMaxDeletions deletions per run once
// deletion is enabled, and no stop/start for resizes.
func DefaultPolicy() wal.Policy {
	return wal.Policy{DeleteUnwanted: false, MaxDeletions: DefaultMaxDeletions, AllowDisruptive: false}
}

// regionPattern matches AWS region names (us-east-1, ap-southeast-2, us-gov-west-1).
const regionPattern = `^[a-z]{2}(-[a-z]+)+-[0-9]+$`

// parse walks the whole file. The returned Config is only meaningful when
// no error was recorded.
func (p *configParser) parse(data []byte) wal.Config {
	body := p.syntaxTree(data)
	if body == nil || !p.plain(body) {
		return wal.Config{}
	}
	m, ok := body.(*ast.MappingNode)
	if !ok {
		p.mismatch(body, posOf(body), "top level", "a mapping of version, provider, region, resources")
		return wal.Config{}
	}
	f := p.fields(m, "top level", topKeys())
	cfg := wal.Config{Policy: DefaultPolicy()}
	cfg.Version = p.choice(f, m, keyVersion, "unsupported version %q (supported: "+ConfigVersion+")", ConfigVersion)
	cfg.Provider = p.choice(f, m, keyProvider, "unknown provider %q (supported: "+ProviderAWS+")", ProviderAWS)
	cfg.Region = p.region(f, m)
	cfg.Endpoint = p.endpoint(f)
	if kv, ok := f[keyPolicy]; ok {
		cfg.Policy = p.policy(kv)
	}
	if kv, ok := p.required(f, m, keyResources, "top level"); ok {
		p.resources(kv, &cfg)
	}
	return cfg
}

// choice reads a required string key that must equal want.
func (p *configParser) choice(f map[string]*ast.MappingValueNode, m *ast.MappingNode, key, badFormat, want string) string {
	kv, ok := p.required(f, m, key, "top level")
	if !ok {
		return ""
	}
	if _, isInt := kv.Value.(*ast.IntegerNode); !isInt {
		if _, isFloat := kv.Value.(*ast.FloatNode); !isFloat {
			s, ok := p.str(kv.Value, valuePos(kv), key)
			if ok && s != want {
				p.errorf(valuePos(kv), badFormat, s)
			}
			return s
		}
	}
	p.errorf(valuePos(kv), badFormat, nodeText(kv.Value))
	return ""
}

func (p *configParser) region(f map[string]*ast.MappingValueNode, m *ast.MappingNode) string {
	kv, ok := p.required(f, m, keyRegion, "top level")
	if !ok {
		return ""
	}
	s, ok := p.str(kv.Value, valuePos(kv), keyRegion)
	if ok && !p.re.region.MatchString(s) {
		p.errorf(valuePos(kv), "invalid region %q (expected a region name like us-east-1)", s)
	}
	return s
}

// endpoint reads the optional API endpoint (a simulator or a VPC endpoint).
func (p *configParser) endpoint(f map[string]*ast.MappingValueNode) string {
	kv, ok := f[keyEndpoint]
	if !ok {
		return ""
	}
	s, ok := p.str(kv.Value, valuePos(kv), keyEndpoint)
	if !ok {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.errorf(valuePos(kv), "invalid endpoint %q (expected an http:// or https:// URL)", s)
	}
	return s
}

// policy reads the policy block; absent keys keep DefaultPolicy values.
func (p *configParser) policy(kv *ast.MappingValueNode) wal.Policy {
	pol := DefaultPolicy()
	m, ok := p.mapping(kv, keyPolicy)
	if !ok {
		return pol
	}
	f := p.fields(m, "policy", policyKeys())
	if v, ok := f[keyDeleteUnwanted]; ok {
		pol.DeleteUnwanted, _ = p.boolean(v, "policy."+keyDeleteUnwanted)
	}
	if v, ok := f[keyDisruptive]; ok {
		pol.AllowDisruptive, _ = p.boolean(v, "policy."+keyDisruptive)
	}
	if v, ok := f[keyMaxDeletions]; ok {
		n, ok := p.integer(v, "policy."+keyMaxDeletions)
		switch {
		case !ok:
		case n < 0:
			p.errorf(valuePos(v), "policy.%s must not be negative (got %d)", keyMaxDeletions, n)
		case n > MaxDeletionsLimit:
			p.errorf(valuePos(v), "policy.%s %d exceeds the limit of %d", keyMaxDeletions, n, MaxDeletionsLimit)
		default:
			pol.MaxDeletions = n
		}
	}
	return pol
}

// resources reads the resources sequence into cfg: instance groups, and
// the entries of other kinds through their schema (entrySchema). Names
// are unique across the file.
func (p *configParser) resources(kv *ast.MappingValueNode, cfg *wal.Config) {
	seq, ok := p.sequence(kv, keyResources)
	if !ok {
		return
	}
	if len(seq.Values) > MaxGroups {
		p.errorf(posOf(seq), "too many resource groups: %d (limit %d)", len(seq.Values), MaxGroups)
		return
	}
	cfg.Groups = make([]wal.Group, 0, len(seq.Values))
	seen := make(map[string]pos, len(seq.Values))
	for i, n := range seq.Values {
		e, ok := p.entry(n, i)
		if !ok {
			continue
		}
		if first, dup := seen[e.name]; dup {
			p.errorf(e.at, "duplicate group name %q (also at %s); give groups distinct names", e.name, first)
			continue
		}
		seen[e.name] = e.at
		e.add(cfg)
	}
}

// entry parses entry i of the resources list with the schema of its kind.
func (p *configParser) entry(n ast.Node, i int) (configEntry, bool) {
	if schema, m, other := p.entryKind(n); other {
		return schema.parseEntry(p, m, i)
	}
	g, at, ok := p.group(n, i)
	return configEntry{name: g.Name, at: at, add: func(cfg *wal.Config) { cfg.Groups = append(cfg.Groups, g) }}, ok
}

// groupLabel names group i in messages.
func groupLabel(i int) string { return fmt.Sprintf("resources[%d]", i) }
