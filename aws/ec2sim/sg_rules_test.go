package ec2sim_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

func fromCIDR(proto string, from, to int32, cidrs ...string) types.IpPermission {
	p := types.IpPermission{IpProtocol: aws.String(proto), FromPort: aws.Int32(from), ToPort: aws.Int32(to)}
	for _, c := range cidrs {
		p.IpRanges = append(p.IpRanges, types.IpRange{CidrIp: aws.String(c)})
	}
	return p
}

func fromGroup(proto string, from, to int32, ids ...string) types.IpPermission {
	p := types.IpPermission{IpProtocol: aws.String(proto), FromPort: aws.Int32(from), ToPort: aws.Int32(to)}
	for _, id := range ids {
		p.UserIdGroupPairs = append(p.UserIdGroupPairs, types.UserIdGroupPair{GroupId: aws.String(id)})
	}
	return p
}

func (h *harness) authorizeIn(t testing.TB, id string, perms ...types.IpPermission) *ec2.AuthorizeSecurityGroupIngressOutput {
	t.Helper()
	out, err := h.client.AuthorizeSecurityGroupIngress(context.Background(),
		&ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perms})
	if err != nil {
		t.Fatalf("AuthorizeSecurityGroupIngress(%s): %v", id, err)
	}
	return out
}

func (h *harness) revokeIn(id string, perms ...types.IpPermission) error {
	_, err := h.client.RevokeSecurityGroupIngress(context.Background(),
		&ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: perms})
	return err
}

// ruleStrings renders a group's rules of one direction as
// "proto/from-to peer", in the simulator's order.
func ruleStrings(rules []ec2sim.Rule) []string {
	var out []string
	for _, r := range rules {
		peer := r.CIDR + r.GroupID
		out = append(out, r.Protocol+"/"+strconv.Itoa(r.FromPort)+"-"+strconv.Itoa(r.ToPort)+" "+peer)
	}
	return out
}

func (h *harness) simGroup(t testing.TB, id string) ec2sim.SecurityGroup {
	t.Helper()
	for _, g := range h.sim.SecurityGroups() {
		if g.ID == id {
			return g
		}
	}
	t.Fatalf("group %s not in the simulator", id)
	return ec2sim.SecurityGroup{}
}

func TestAuthorizeIngressGroupsRulesByPorts(t *testing.T) {
	h := newHarness(t, quietOptions())
	lb, web := h.createGroup(t, "lb", ""), h.createGroup(t, "web", "")
	out := h.authorizeIn(t, web,
		fromCIDR("tcp", 22, 22, "0.0.0.0/0"),
		fromCIDR("tcp", 443, 443, "10.0.0.0/8", "192.168.0.0/16"),
		fromGroup("tcp", 443, 443, lb))
	if !aws.ToBool(out.Return) || len(out.SecurityGroupRules) != 4 {
		t.Fatalf("return %v with %d rules", aws.ToBool(out.Return), len(out.SecurityGroupRules))
	}
	for _, r := range out.SecurityGroupRules {
		if !strings.HasPrefix(aws.ToString(r.SecurityGroupRuleId), "sgr-") || aws.ToString(r.GroupId) != web || aws.ToBool(r.IsEgress) {
			t.Fatalf("rule %+v", r)
		}
	}
	if ref := out.SecurityGroupRules[3].ReferencedGroupInfo; ref == nil || aws.ToString(ref.GroupId) != lb {
		t.Fatalf("referenced group %+v", ref)
	}
	perms := h.group(t, web).IpPermissions
	if len(perms) != 2 {
		t.Fatalf("%d permissions, want tcp/22 and tcp/443: %+v", len(perms), perms)
	}
	https := perms[1]
	if aws.ToInt32(https.FromPort) != 443 || len(https.IpRanges) != 2 || len(https.UserIdGroupPairs) != 1 ||
		aws.ToString(https.UserIdGroupPairs[0].GroupId) != lb {
		t.Fatalf("tcp/443 permission %+v", https)
	}
	want := []string{"tcp/22-22 0.0.0.0/0", "tcp/443-443 10.0.0.0/8", "tcp/443-443 192.168.0.0/16", "tcp/443-443 " + lb}
	if got := ruleStrings(h.simGroup(t, web).Ingress); !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
}

func TestAuthorizeIsAllOrNothing(t *testing.T) {
	h := newHarness(t, quietOptions())
	web := h.createGroup(t, "web", "")
	h.authorizeIn(t, web, fromCIDR("tcp", 22, 22, "0.0.0.0/0"))
	ctx := context.Background()
	auth := func(perms ...types.IpPermission) error {
		_, err := h.client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(web), IpPermissions: perms})
		return err
	}
	msg := wantCode(t, auth(fromCIDR("tcp", 80, 80, "0.0.0.0/0"), fromCIDR("tcp", 22, 22, "0.0.0.0/0")), "InvalidPermission.Duplicate")
	if !strings.Contains(msg, "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW") {
		t.Fatalf("duplicate message %q", msg)
	}
	wantCode(t, auth(fromCIDR("tcp", 80, 80, "1.2.3.0/24", "1.2.3.0/24")), "InvalidPermission.Duplicate")
	other := h.createGroup(t, "other", ec2sim.OtherVPC)
	cases := []struct {
		name string
		perm types.IpPermission
		code string
	}{
		{"unknown referenced group", fromGroup("tcp", 80, 80, "sg-0123456789abcdef0"), "InvalidGroup.NotFound"},
		{"group of another VPC", fromGroup("tcp", 80, 80, other), "InvalidParameterValue"},
		{"malformed CIDR", fromCIDR("tcp", 80, 80, "10.0.0/8"), "InvalidParameterValue"},
		{"CIDR with host bits", fromCIDR("tcp", 80, 80, "10.0.0.1/8"), "InvalidParameterValue"},
		{"unknown protocol", fromCIDR("smtp", 25, 25, "0.0.0.0/0"), "InvalidParameterValue"},
		{"ports reversed", fromCIDR("tcp", 90, 80, "0.0.0.0/0"), "InvalidParameterValue"},
		{"port out of range", fromCIDR("udp", 0, 70000, "0.0.0.0/0"), "InvalidParameterValue"},
		{"tcp without ports", types.IpPermission{IpProtocol: aws.String("tcp"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}, "InvalidParameterValue"},
		{"no peer", types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(1), ToPort: aws.Int32(2)}, "InvalidPermission.Malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCode(t, auth(fromCIDR("tcp", 80, 80, "0.0.0.0/0"), c.perm), c.code) })
	}
	if got := ruleStrings(h.simGroup(t, web).Ingress); !slices.Equal(got, []string{"tcp/22-22 0.0.0.0/0"}) {
		t.Fatalf("failed calls changed the rules: %v", got)
	}
	_, err := h.client.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String("sg-0123456789abcdef0"), IpPermissions: []types.IpPermission{fromCIDR("tcp", 80, 80, "0.0.0.0/0")}})
	wantCode(t, err, "InvalidGroup.NotFound")
}

func TestProtocolsAreNormalised(t *testing.T) {
	h := newHarness(t, quietOptions())
	web := h.createGroup(t, "web", "")
	h.authorizeIn(t, web,
		fromCIDR("6", 80, 80, "0.0.0.0/0"), fromCIDR("UDP", 53, 53, "0.0.0.0/0"),
		fromCIDR("icmp", 8, -1, "0.0.0.0/0"), fromCIDR("all", 1, 2, "10.0.0.0/8"), fromCIDR("47", 1, 2, "10.0.0.0/8"))
	want := []string{"tcp/80-80 0.0.0.0/0", "udp/53-53 0.0.0.0/0", "icmp/8--1 0.0.0.0/0", "-1/-1--1 10.0.0.0/8", "47/-1--1 10.0.0.0/8"}
	if got := ruleStrings(h.simGroup(t, web).Ingress); !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
	err := h.revokeIn(web, fromCIDR("tcp", 80, 80, "0.0.0.0/0"), fromCIDR("-1", 0, 0, "10.0.0.0/8"))
	if err != nil {
		t.Fatalf("revoke with names for what was authorized by number: %v", err)
	}
	if n := len(h.simGroup(t, web).Ingress); n != 3 {
		t.Fatalf("%d rules left, want 3", n)
	}
}

func TestRevokeIngress(t *testing.T) {
	h := newHarness(t, quietOptions())
	web := h.createGroup(t, "web", "")
	out := h.authorizeIn(t, web, fromCIDR("tcp", 22, 22, "0.0.0.0/0"), fromCIDR("tcp", 443, 443, "10.0.0.0/8", "192.168.0.0/16"))
	if err := h.revokeIn(web, fromCIDR("tcp", 443, 443, "10.0.0.0/8")); err != nil {
		t.Fatal(err)
	}
	want := []string{"tcp/22-22 0.0.0.0/0", "tcp/443-443 192.168.0.0/16"}
	if got := ruleStrings(h.simGroup(t, web).Ingress); !slices.Equal(got, want) {
		t.Fatalf("after revoking one CIDR: %v, want %v", got, want)
	}
	wantCode(t, h.revokeIn(web, fromCIDR("tcp", 443, 443, "10.0.0.0/8")), "InvalidPermission.NotFound")
	wantCode(t, h.revokeIn(web, fromCIDR("tcp", 22, 22, "0.0.0.0/0"), fromCIDR("tcp", 23, 23, "0.0.0.0/0")), "InvalidPermission.NotFound")
	if n := len(h.simGroup(t, web).Ingress); n != 2 {
		t.Fatalf("a failed revoke removed rules: %d left", n)
	}
	ctx := context.Background()
	byID := &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(web),
		SecurityGroupRuleIds: []string{aws.ToString(out.SecurityGroupRules[0].SecurityGroupRuleId)}}
	rev, err := h.client.RevokeSecurityGroupIngress(ctx, byID)
	if err != nil || len(rev.RevokedSecurityGroupRules) != 1 {
		t.Fatalf("revoke by rule id: %v, %d revoked", err, len(rev.RevokedSecurityGroupRules))
	}
	_, err = h.client.RevokeSecurityGroupIngress(ctx, byID)
	wantCode(t, err, "InvalidSecurityGroupRuleId.NotFound")
	if got := ruleStrings(h.simGroup(t, web).Ingress); !slices.Equal(got, want[1:]) {
		t.Fatalf("after revoking by id: %v", got)
	}
}

func TestEgressRules(t *testing.T) {
	h := newHarness(t, quietOptions())
	web := h.createGroup(t, "web", "")
	ctx := context.Background()
	allOut := types.IpPermission{IpProtocol: aws.String("-1"), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}
	_, err := h.client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{allOut}})
	if err != nil {
		t.Fatalf("revoking the default egress rule: %v", err)
	}
	_, err = h.client.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(web),
		IpPermissions: []types.IpPermission{fromCIDR("tcp", 443, 443, "0.0.0.0/0")}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.client.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: aws.String(web),
		IpPermissions: []types.IpPermission{fromCIDR("tcp", 443, 443, "0.0.0.0/0")}})
	wantCode(t, err, "InvalidPermission.Duplicate")
	g := h.group(t, web)
	if len(g.IpPermissions) != 0 || len(g.IpPermissionsEgress) != 1 || aws.ToInt32(g.IpPermissionsEgress[0].ToPort) != 443 {
		t.Fatalf("in %+v out %+v", g.IpPermissions, g.IpPermissionsEgress)
	}
	_, err = h.client.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: aws.String(web), IpPermissions: []types.IpPermission{allOut}})
	wantCode(t, err, "InvalidPermission.NotFound")
}

func TestRulesPerGroupLimit(t *testing.T) {
	h := newHarness(t, quietOptions())
	web := h.createGroup(t, "web", "")
	perms := make([]types.IpPermission, 0, 60)
	for port := range int32(60) {
		perms = append(perms, fromCIDR("tcp", 1000+port, 1000+port, "10.0.0.0/8"))
	}
	h.authorizeIn(t, web, perms...)
	_, err := h.client.AuthorizeSecurityGroupIngress(context.Background(), &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(web), IpPermissions: []types.IpPermission{fromCIDR("tcp", 22, 22, "10.0.0.0/8")}})
	wantCode(t, err, "RulesPerSecurityGroupLimitExceeded")
}
