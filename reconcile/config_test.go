package reconcile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

func TestLoadConfigSeedExampleUnchanged(t *testing.T) {
	path := filepath.Join("testdata", "config", "valid-seed.yaml")
	got, err := LoadConfig(path)
	if err != nil {
		t.Fatalf("seed example: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	want := wal.ConfigApplied{
		Source: path,
		Digest: hex.EncodeToString(sum[:]),
		Config: wal.Config{
			Version: "v1", Provider: "aws", Region: "us-east-1",
			Policy: wal.Policy{DeleteUnwanted: false, MaxDeletions: 5, AllowDisruptive: false},
			Groups: []wal.Group{{
				Name: "ec2-t3.micro-d422e912", Type: "ec2", Count: 3, Size: "t3.micro",
				Tags: map[string]string{"environment": "prod", "team": "platform", "ovi:blessed": "true"}, Unnamed: true,
			}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("seed example:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseConfigAllFields(t *testing.T) {
	got, err := LoadConfig(filepath.Join("testdata", "config", "valid-full.yaml"))
	if err != nil {
		t.Fatalf("valid-full: %v", err)
	}
	c := got.Config
	if c.Endpoint != "http://127.0.0.1:4566" || c.Region != "eu-west-1" {
		t.Errorf("endpoint/region = %q %q", c.Endpoint, c.Region)
	}
	if c.Policy != (wal.Policy{DeleteUnwanted: true, MaxDeletions: 10, AllowDisruptive: true}) {
		t.Errorf("policy = %+v", c.Policy)
	}
	if len(c.Groups) != 2 {
		t.Fatalf("groups = %d, want 2", len(c.Groups))
	}
	web := c.Groups[0]
	wantWeb := wal.Group{
		Name: "web", Type: "ec2", Count: 2, Size: "t3.small", Image: "ami-0123456789abcdef0",
		SubnetID: "subnet-0123456789abcdef0", SecurityGroups: []string{"sg-0123456789abcdef0", "sg-89abcdef"},
		Tags: map[string]string{"team": "web", "cost-center": "1042", "ratio": "1.50", "debug": "false",
			"ovi:blessed": "true", "empty": ""},
	}
	if !reflect.DeepEqual(web, wantWeb) {
		t.Errorf("web group:\n got %+v\nwant %+v", web, wantWeb)
	}
	if c.Groups[1].Count != 0 || !strings.HasPrefix(c.Groups[1].Name, "ec2-m5.large-") {
		t.Errorf("second group = %+v", c.Groups[1])
	}
}

// TestParseConfigBrokenFiles checks every testdata/config/bad-*.yaml
// against its .err file: the exact error lines, all reported at once.
func TestParseConfigBrokenFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "config", "bad-*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("only %d broken files, want at least 15", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(file, ".yaml") + ".err")
			if err != nil {
				t.Fatalf("expectation: %v", err)
			}
			cfg, err := LoadConfig(filepath.ToSlash(file))
			if err == nil {
				t.Fatalf("parsed without error: %+v", cfg)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("errors.Is(err, ErrInvalidConfig) = false for %T", err)
			}
			var ce ConfigErrors
			if !errors.As(err, &ce) || len(ce) == 0 {
				t.Fatalf("error is %T, want ConfigErrors", err)
			}
			if got := err.Error() + "\n"; got != string(want) {
				t.Errorf("errors:\n%s\nwant:\n%s", got, want)
			}
			if !reflect.DeepEqual(cfg, wal.ConfigApplied{}) {
				t.Errorf("a broken file returned a configuration: %+v", cfg)
			}
		})
	}
}

const twoGroups = `version: v1
provider: aws
region: us-east-1
resources:
  - type: ec2
    count: 2
    size: t3.micro
    tags: {team: a, env: prod}
  - type: ec2
    count: 1
    size: t3.small
`

func TestDefaultGroupNamesIgnoreOrderAndCount(t *testing.T) {
	a, err := ParseConfig("a.yaml", []byte(twoGroups))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(twoGroups, "\n")
	// Swap the two groups, scale the first, and list its tags the other way round.
	reordered := strings.Join(append(append(lines[:4:4], lines[8:11]...),
		"  - type: ec2", "    count: 7", "    size: t3.micro", "    tags: {env: prod, team: a}", ""), "\n")
	b, err := ParseConfig("b.yaml", []byte(reordered))
	if err != nil {
		t.Fatalf("reordered: %v\n%s", err, reordered)
	}
	if a.Config.Groups[0].Name != b.Config.Groups[1].Name || a.Config.Groups[1].Name != b.Config.Groups[0].Name {
		t.Errorf("names changed on reorder: %s,%s vs %s,%s", a.Config.Groups[0].Name, a.Config.Groups[1].Name,
			b.Config.Groups[1].Name, b.Config.Groups[0].Name)
	}
	if a.Digest == b.Digest {
		t.Error("different bytes, same digest")
	}
	changed := a.Config.Groups[0]
	changed.Tags = map[string]string{"team": "b", "env": "prod"}
	if DefaultGroupName(changed) == a.Config.Groups[0].Name {
		t.Error("changing a tag kept the derived name")
	}
}

func TestParseConfigLimits(t *testing.T) {
	head := "version: v1\nprovider: aws\nregion: us-east-1\n"
	tests := []struct {
		name, data, want string
	}{
		{"too large", head + "# " + strings.Repeat("x", MaxConfigBytes) + "\nresources: []\n",
			"big.yaml:1:1: file is larger than 1048576 bytes (1 MiB)"},
		{"deep flow", head + "resources: " + strings.Repeat("[", 500000),
			"big.yaml:4:44: nesting too deep: more than 32 nested flow collections"},
		{"deep block", head + "resources:\n" + strings.Repeat("- ", 200000) + "x\n",
			"big.yaml:5:257: nesting too deep: sequence entry beyond column 256"},
		{"deep indent", head + "resources:\n" + strings.Repeat(" ", 300) + "- x\n",
			"big.yaml:5:301: nesting too deep: indented beyond column 256"},
		{"too many groups", head + "resources:\n" + strings.Repeat("  - {type: ec2, count: 1, size: t3.micro}\n", MaxGroups+1),
			"big.yaml:5:3: too many resource groups: 1001 (limit 1000)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("big.yaml", []byte(tc.data))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error = %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestParseConfigCapsErrorCount(t *testing.T) {
	data := "version: v1\nprovider: aws\nregion: us-east-1\nresources:\n" +
		strings.Repeat("  - {type: ec2, count: -1, size: t3.micro}\n", 150)
	_, err := ParseConfig("many.yaml", []byte(data))
	var ce ConfigErrors
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	if len(ce) != MaxConfigErrors+1 {
		t.Fatalf("%d errors, want %d", len(ce), MaxConfigErrors+1)
	}
	if last := ce[len(ce)-1].Error(); last != "many.yaml:105:24: too many errors: 50 more not shown" {
		t.Errorf("last = %q", last)
	}
}

func TestParseConfigAcceptsGoodVariants(t *testing.T) {
	good := []string{
		"version: v1\nprovider: aws\nregion: us-gov-west-1\nresources: []\n",
		"version: \"v1\"\nprovider: 'aws'\nregion: ap-southeast-2\nresources:\n- {type: ec2, count: 0, size: g5.xlarge}\n",
		"{version: v1, provider: aws, region: eu-central-1, resources: [{type: ec2, count: 1, size: c7gn.metal, tags: {1: 2, x: 3.0e2}}]}\n",
	}
	for _, data := range good {
		if _, err := ParseConfig("good.yaml", []byte(data)); err != nil {
			t.Errorf("%q: %v", data, err)
		}
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "absent.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
	if errors.Is(err, ErrInvalidConfig) {
		t.Error("a missing file is not an invalid configuration")
	}
}

func FuzzParseConfig(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "config", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("fuzz.yaml", data)
		if err != nil {
			var ce ConfigErrors
			if !errors.As(err, &ce) || len(ce) == 0 {
				t.Fatalf("error %T %v is not ConfigErrors", err, err)
			}
			return
		}
		if cfg.Config.Version != ConfigVersion || cfg.Digest == "" {
			t.Fatalf("accepted %+v", cfg)
		}
	})
}
