package wal

import (
	"reflect"
	"testing"
)

func TestSecurityGroupRoundTrip(t *testing.T) {
	r := header(KindObserved)
	r.ResourceID = "sg-0123456789abcdef0"
	r.Observed = &Observed{Change: ChangeNew, Resource: securityGroupResource()}
	assertAllSet(t, "observed", reflect.ValueOf(r.Observed))
	got, err := DecodeRecord(mustEncode(t, &r))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, normalise(r)) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got.Observed.Resource, r.Observed.Resource)
	}
	if !got.Observed.Resource.Equal(&r.Observed.Resource) {
		t.Fatal("Equal is false for a decoded copy")
	}
	other := securityGroupResource()
	other.SecurityGroup.Ingress = nil
	if other.Equal(&r.Observed.Resource) {
		t.Fatal("Equal ignores the rules")
	}
}

func TestRuleWords(t *testing.T) {
	cases := []struct {
		c    RuleChange
		want string
	}{
		{RuleChange{Rule: Rule{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDR: "0.0.0.0/0"}}, "ingress tcp/22 from 0.0.0.0/0"},
		{RuleChange{Rule: Rule{Protocol: "tcp", FromPort: 8000, ToPort: 8100, Group: "lb"}}, "ingress tcp/8000-8100 from lb"},
		{RuleChange{Egress: true, Rule: Rule{Protocol: ProtocolAll, FromPort: -1, ToPort: -1, CIDR: "0.0.0.0/0"}}, "egress all to 0.0.0.0/0"},
		{RuleChange{Rule: Rule{Protocol: "icmp", FromPort: 8, ToPort: -1, CIDR: "10.0.0.0/8"}}, "ingress icmp/8:-1 from 10.0.0.0/8"},
		{RuleChange{Rule: Rule{Protocol: "47", FromPort: -1, ToPort: -1, CIDR: "10.0.0.0/8"}}, "ingress 47 from 10.0.0.0/8"},
	}
	for _, c := range cases {
		if got := c.c.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.c, got, c.want)
		}
	}
	rules := SortRules([]Rule{{Protocol: "udp"}, {Protocol: "tcp", FromPort: 443}, {Protocol: "tcp", FromPort: 22}, {Protocol: "udp"}})
	if len(rules) != 3 || rules[0].FromPort != 22 || rules[2].Protocol != "udp" {
		t.Fatalf("SortRules: %+v", rules)
	}
}
