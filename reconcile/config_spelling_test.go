package reconcile

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

const seedHead = "version: v1\nprovider: aws\nregion: us-east-1\nresources:\n  - type: ec2\n    count: 3\n    size: t3.micro\n"

// TestTagSpellingsParseAlike: block and flow style, quoted and unquoted
// keys, booleans and numbers give the same typed configuration (issue
// 19: the flow spelling of the seed example used to name another group).
func TestTagSpellingsParseAlike(t *testing.T) {
	spellings := map[string]string{
		"block":               "    tags:\n      environment: prod\n      port: 8080\n      ovi:blessed: true\n",
		"block quoted":        "    tags:\n      \"environment\": \"prod\"\n      'port': '8080'\n      \"ovi:blessed\": \"true\"\n",
		"flow":                "    tags: {environment: prod, port: 8080, ovi:blessed: true}\n",
		"flow quoted values":  "    tags: {environment: \"prod\", port: \"8080\", ovi:blessed: \"true\"}\n",
		"flow single quotes":  "    tags: {environment: 'prod', port: '8080', ovi:blessed: 'true'}\n",
		"flow quoted keys":    "    tags: {\"environment\": prod, \"port\": 8080, \"ovi:blessed\": true}\n",
		"flow reordered":      "    tags: {ovi:blessed: true, port: 8080, environment: prod}\n",
		"flow multi-line":     "    tags: {\n      environment: prod,\n      port: 8080,\n      ovi:blessed: true\n    }\n",
		"block, keys reorder": "    tags:\n      ovi:blessed: true\n      port: \"8080\"\n      environment: prod\n",
	}
	want := mustParse(t, "block", seedHead+spellings["block"])
	if want.Tags["ovi:blessed"] != "true" || want.Tags["port"] != "8080" || len(want.Tags) != 3 {
		t.Fatalf("block tags = %v", want.Tags)
	}
	for name, tags := range spellings {
		if got := mustParse(t, name, seedHead+tags); !reflect.DeepEqual(got, want) {
			t.Errorf("%s parses to\n%+v\nwant\n%+v", name, got, want)
		}
	}
}

// TestFlowTagWithoutValueIsAnError: {a:b} is one key without a value.
func TestFlowTagWithoutValueIsAnError(t *testing.T) {
	_, err := ParseConfig("f.yaml", []byte(seedHead+"    tags: {team: a, a:b}\n"))
	if err == nil || !strings.Contains(err.Error(), `f.yaml:8:21: tag "a:b" has no value`) {
		t.Fatalf("err = %v", err)
	}
}

func mustParse(t *testing.T, name, src string) wal.Group {
	t.Helper()
	cfg, err := ParseConfig(name, []byte(src))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cfg.Config.Groups[0]
}

// plainSafe are values that YAML reads back as the same text unquoted.
var plainSafe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._/=+-]*$`)

// yamlWords are plain scalars YAML types as something other than text.
func yamlWords() []string {
	return []string{"true", "false", "null", "yes", "no", "on", "off", "y", "n"}
}

func quoteIf(s string, quote bool) string {
	if quote || !plainSafe.MatchString(s) || slices.Contains(yamlWords(), strings.ToLower(s)) {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// renderConfig writes cfg as infrastructure.yaml: tags in flow or block
// style, keys and values quoted or plain (where plain reads back alike).
func renderConfig(cfg wal.Config, flow, quote bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: %s\nprovider: %s\nregion: %s\nresources:\n", cfg.Version, cfg.Provider, cfg.Region)
	for _, g := range cfg.Groups {
		fmt.Fprintf(&b, "  - type: %s\n    count: %d\n    size: %s\n", g.Type, g.Count, g.Size)
		if !g.Unnamed {
			fmt.Fprintf(&b, "    name: %s\n", g.Name)
		}
		if len(g.Tags) == 0 {
			continue
		}
		keys := sortedKeys(g.Tags)
		if flow {
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = quoteIf(k, quote) + ": " + quoteIf(g.Tags[k], quote)
			}
			fmt.Fprintf(&b, "    tags: {%s}\n", strings.Join(parts, ", "))
			continue
		}
		b.WriteString("    tags:\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "      %s: %s\n", quoteIf(k, quote), quoteIf(g.Tags[k], quote))
		}
	}
	return b.String()
}

// FuzzTagSpellings: any tags that parse, re-rendered in block or flow
// style, quoted or plain, parse to the same configuration.
func FuzzTagSpellings(f *testing.F) {
	f.Add("environment", "prod", "ovi:blessed", "true")
	f.Add("a:b:c", "1.50", "port", "8080")
	f.Add("k8s.io/role", "web server", "x", "False")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		src := seedHead + fmt.Sprintf("    tags:\n      %q: %q\n      %q: %q\n", k1, v1, k2, v2)
		first, err := ParseConfig("f.yaml", []byte(src))
		if err != nil {
			return
		}
		for _, flow := range []bool{false, true} {
			for _, quote := range []bool{false, true} {
				text := renderConfig(first.Config, flow, quote)
				again, err := ParseConfig("f.yaml", []byte(text))
				if err != nil {
					t.Fatalf("re-rendered (flow %v, quoted %v) does not parse: %v\n%s", flow, quote, err, text)
				}
				if !reflect.DeepEqual(again.Config, first.Config) {
					t.Fatalf("re-rendered (flow %v, quoted %v) parses differently:\n%s\n%+v\n%+v", flow, quote, text, again.Config, first.Config)
				}
			}
		}
	})
}
