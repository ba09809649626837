package reconcile

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

var (
	ssh      = wal.Rule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "10.0.0.0/8"}
	https    = wal.Rule{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDR: "0.0.0.0/0"}
	worldSSH = wal.Rule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"}
	allOut   = wal.Rule{Protocol: wal.ProtocolAll, FromPort: -1, ToPort: -1, CIDR: "0.0.0.0/0"}
)

// sgSpec is a desired group "web" allowing ssh and https in, all out.
func sgSpec(tags map[string]string) wal.Spec {
	return wal.Spec{Kind: wal.ResourceSecurityGroup, Name: "web", Tags: tags, SecurityGroup: &wal.SecurityGroup{
		Name: "web", Description: "web", Ingress: []wal.Rule{ssh, https}, Egress: []wal.Rule{allOut}}}
}

// sg is an observed managed group "web" with the given ingress rules.
func sg(id string, tags map[string]string, ingress ...wal.Rule) wal.Resource {
	all := map[string]string{wal.TagManaged: "true", wal.TagGroup: "web"}
	for k, v := range tags {
		all[k] = v
	}
	return wal.Resource{ID: id, Kind: wal.ResourceSecurityGroup, State: "available", Tags: all, Managed: true, Group: "web",
		SecurityGroup: &wal.SecurityGroup{Name: "web", VpcID: "vpc-1", Description: "web", Ingress: wal.SortRules(ingress),
			Egress: []wal.Rule{allOut}}}
}

func sgConfig(pol wal.Policy, specs ...wal.Spec) wal.Config {
	cfg := testConfig(pol)
	cfg.Resources = specs
	return cfg
}

func TestSecurityGroupInSync(t *testing.T) {
	p := Decide(sgConfig(deleteOn, sgSpec(nil)), []wal.Resource{sg("sg-1", nil, ssh, https)}, Memory{})
	wantActions(t, p)
	if p.Counts.InSync != 1 {
		t.Fatalf("counts %+v", p.Counts)
	}
}

func TestSecurityGroupMissingIsCreated(t *testing.T) {
	p := Decide(sgConfig(deleteOn, sgSpec(map[string]string{"team": "a"})), nil, Memory{})
	wantActions(t, p, "create web/: Create: security group web missing")
	a := p.Actions[0]
	if a.Kind != wal.ResourceSecurityGroup || a.SetTags[wal.TagManaged] != "true" || a.SetTags[wal.TagGroup] != "web" || a.SetTags["team"] != "a" {
		t.Fatalf("create %+v", a)
	}
}

func TestSecurityGroupRuleDriftIsRepairedRuleByRule(t *testing.T) {
	observed := sg("sg-1", nil, ssh, worldSSH) // https missing, world ssh added by hand
	p := Decide(sgConfig(deleteOn, sgSpec(nil)), []wal.Resource{observed}, Memory{})
	wantActions(t, p,
		"authorize web/sg-1: Authorize: ingress tcp/443 from 0.0.0.0/0 missing",
		"revoke web/sg-1: Revoke: ingress tcp/22 from 0.0.0.0/0 added outside Ovi")
	if r := p.Actions[1].Rule; r == nil || r.Egress || r.Rule != worldSSH {
		t.Fatalf("revoke carries rule %+v", r)
	}
	if p.Counts.Drifted != 1 {
		t.Fatalf("counts %+v", p.Counts)
	}
}

func TestSecurityGroupUnwantedAndUnmanaged(t *testing.T) {
	foreign := wal.Resource{ID: "sg-9", Kind: wal.ResourceSecurityGroup, State: "available",
		SecurityGroup: &wal.SecurityGroup{Name: "legacy"}}
	p := Decide(sgConfig(deleteOn), []wal.Resource{sg("sg-1", nil, ssh), foreign}, confirmed("sg-1"))
	wantActions(t, p,
		"delete web/sg-1: Delete: Not in desired configuration",
		"report /sg-9: Report: not managed by Ovi (no ovi:managed tag); never touched")
}

func TestSecurityGroupFourDriftKindsMixed(t *testing.T) {
	api := sgSpec(nil)
	api.Name, api.SecurityGroup = "api", &wal.SecurityGroup{Name: "api", Description: "api", Egress: []wal.Rule{allOut}}
	old := sg("sg-2", nil)
	old.Group, old.Tags[wal.TagGroup] = "old", "old"
	foreign := wal.Resource{ID: "sg-9", Kind: wal.ResourceSecurityGroup, State: "available", SecurityGroup: &wal.SecurityGroup{Name: "x"}}
	p := Decide(sgConfig(deleteOn, sgSpec(nil), api), []wal.Resource{sg("sg-1", nil, ssh), old, foreign}, confirmed("sg-2"))
	wantActions(t, p,
		"create api/: Create: security group api missing",
		"authorize web/sg-1: Authorize: ingress tcp/443 from 0.0.0.0/0 missing",
		"delete old/sg-2: Delete: Not in desired configuration",
		"report /sg-9: Report: not managed by Ovi (no ovi:managed tag); never touched")
}

func TestSecurityGroupBlessedSurvivesRemovalFromTheFile(t *testing.T) {
	blessed := sg("sg-1", map[string]string{wal.TagBlessed: "true"}, ssh)
	p := Decide(sgConfig(deleteOn), []wal.Resource{blessed}, confirmed("sg-1"))
	wantActions(t, p, "refuse web/sg-1: Protected: tagged ovi:blessed")
}

func TestSecurityGroupInUseIsNotDeleted(t *testing.T) {
	user := inst("i-1", "app", "t3.micro", 1)
	user.Instance.SecurityGroups = []string{"sg-1"}
	cfg := sgConfig(deleteOn)
	cfg.Groups = []wal.Group{{Name: "app", Type: "ec2", Count: 1, Size: "t3.micro", Tags: map[string]string{"team": "a"}}}
	p := Decide(cfg, []wal.Resource{sg("sg-1", nil, ssh), user}, confirmed("sg-1"))
	wantActions(t, p, "refuse web/sg-1: Refused: Not in desired configuration, but in use by instance i-1")
}

func TestSecurityGroupsBeforeInstancesThatNameThem(t *testing.T) {
	cfg := sgConfig(deleteOn, sgSpec(nil))
	g := webGroup(2)
	g.Name, g.SecurityGroups = "app", []string{"web"}
	cfg.Groups = []wal.Group{g}
	old := inst("i-9", "gone", "t3.micro", 1)
	oldSG := sg("sg-2", nil)
	oldSG.Group, oldSG.Tags[wal.TagGroup] = "gone", "gone"
	p := Decide(cfg, []wal.Resource{old, oldSG}, confirmed("i-9", "sg-2"))
	wantActions(t, p,
		"create web/: Create: security group web missing",
		"create app/: Create: 2 instances missing from group app",
		"delete gone/i-9: Delete: Not in desired configuration",
		"delete gone/sg-2: Delete: Not in desired configuration")
}

func TestSecurityGroupDecideIsDeterministic(t *testing.T) {
	cfg := sgConfig(deleteOn, sgSpec(nil))
	observed := []wal.Resource{
		sg("sg-1", nil, worldSSH, ssh, wal.Rule{Protocol: "udp", FromPort: 53, ToPort: 53, CIDR: "10.0.0.0/8"}),
		{ID: "sg-9", Kind: wal.ResourceSecurityGroup, State: "available", SecurityGroup: &wal.SecurityGroup{Name: "x"}},
		inst("i-1", "web", "t3.micro", 1), unmanaged("i-2"),
	}
	want := Decide(cfg, observed, Memory{})
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		shuffled := append([]wal.Resource(nil), observed...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := Decide(cfg, shuffled, Memory{}); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffled inputs gave another plan:\n%s\nwant\n%s", strings.Join(brief(got), "\n"), strings.Join(brief(want), "\n"))
		}
	}
}

func TestParseSecurityGroupEntry(t *testing.T) {
	data := `version: v1
provider: aws
region: us-east-1
resources:
  - type: security_group
    name: web
    vpc_id: vpc-0a1b2c3d4e5f60001
    description: web servers
    ingress:
      - {protocol: tcp, ports: 443, cidrs: [0.0.0.0/0]}
      - {protocol: tcp, ports: "8000-8100", groups: [lb, sg-0123456789abcdef0]}
    tags: {team: platform}
  - {type: security_group, name: lb, egress: []}
  - {type: ec2, count: 1, size: t3.micro, security_groups: [web]}
`
	c, err := ParseConfig("infra.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	cfg := c.Config
	if len(cfg.Resources) != 2 || len(cfg.Groups) != 1 || cfg.Groups[0].SecurityGroups[0] != "web" {
		t.Fatalf("parsed %+v", cfg)
	}
	web := cfg.Resources[0].SecurityGroup
	wantIn := []wal.Rule{https, {Protocol: "tcp", FromPort: 8000, ToPort: 8100, Group: "lb"},
		{Protocol: "tcp", FromPort: 8000, ToPort: 8100, Group: "sg-0123456789abcdef0"}}
	if !reflect.DeepEqual(web.Ingress, wal.SortRules(wantIn)) || !reflect.DeepEqual(web.Egress, []wal.Rule{allOut}) ||
		web.VpcID != "vpc-0a1b2c3d4e5f60001" || cfg.Resources[0].Tags["team"] != "platform" {
		t.Fatalf("web %+v", web)
	}
	if lb := cfg.Resources[1].SecurityGroup; len(lb.Egress) != 0 || lb.Description != DefaultSecurityGroupDescription {
		t.Fatalf("lb %+v", lb)
	}
}

func TestParseSecurityGroupErrors(t *testing.T) {
	data := `version: v1
provider: aws
region: us-east-1
resources:
  - type: security_group
    name: web
    vpc_id: vpc-x
    ingress:
      - {protocol: tcp, cidrs: [0.0.0.0/0]}
      - {protocol: smtp, cidrs: [0.0.0.0/0]}
      - {protocol: tcp, ports: 22, cidrs: [10.0.0.1/8]}
      - {protocol: udp, ports: 53}
      - {protocol: all, ports: 1, cidrs: [0.0.0.0/0]}
`
	_, err := ParseConfig("infra.yaml", []byte(data))
	want := []string{
		`infra.yaml:7:13: invalid vpc_id "vpc-x"`,
		`infra.yaml:9:9: missing required key "ports"`,
		`infra.yaml:10:20: unknown protocol "smtp"`,
		`infra.yaml:11:44: invalid CIDR "10.0.0.1/8"`,
		`infra.yaml:12:9: an ingress rule needs cidrs or groups`,
		`infra.yaml:13:32: ports apply to tcp and udp only`,
	}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("errors:\n%v\nwant a line containing %q", err, w)
		}
	}
}
