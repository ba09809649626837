//go:build e2e

package faults

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"
)

// simGroup is a security group as the simulator's state file holds it.
type simGroup struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Ingress []struct {
		Protocol string `json:"protocol"`
		FromPort int    `json:"from_port"`
		CIDR     string `json:"cidr"`
	} `json:"ingress"`
}

// securityGroups reads the simulator's groups from its state file.
func (c *cloud) securityGroups() []simGroup {
	c.t.Helper()
	data, err := os.ReadFile(c.state)
	if err != nil {
		return nil
	}
	var doc struct {
		SecurityGroups struct {
			Groups []simGroup `json:"groups"`
		} `json:"security_groups"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		c.t.Fatalf("simulator state file: %v", err)
	}
	return doc.SecurityGroups.Groups
}

// writeEdge makes the infrastructure file ask for one security group,
// "edge", allowing HTTPS in.
func (cl *cluster) writeEdge() {
	cl.t.Helper()
	text := fmt.Sprintf("version: v1\nprovider: aws\nregion: us-east-1\nendpoint: %s\nresources:\n"+
		"  - {name: web, type: ec2, count: 0, size: t3.micro}\n"+
		"  - type: security_group\n    name: edge\n    ingress:\n      - {protocol: tcp, ports: 443, cidrs: [0.0.0.0/0]}\n",
		cl.cloud.url)
	tmp := cl.infra + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		cl.t.Fatal(err)
	}
	if err := os.Rename(tmp, cl.infra); err != nil {
		cl.t.Fatal(err)
	}
}

// TestLeaderKillMidSecurityGroupCreate kills the leader with a real kill
// -9 between the intent to create a security group and its outcome (before
// the call, and after it), armed with OVI_FAILPOINT. CreateSecurityGroup
// has no ClientToken: the new leader must find the group by its
// ovi:decision tag (or create it, if the call never left), so the cloud
// ends with exactly one "edge" group with its rule, one successful
// CreateSecurityGroup call and no refused one (a blind retry would get
// InvalidGroup.Duplicate).
func TestLeaderKillMidSecurityGroupCreate(t *testing.T) {
	bin := binary(t)
	for _, point := range []string{"after-intent", "after-call"} {
		t.Run(point, func(t *testing.T) { killMidGroupCreate(t, bin, point) })
	}
}

func killMidGroupCreate(t *testing.T, bin, point string) {
	c := startCloud(t, bin)
	cl := newCluster(t, bin, c, false)
	cl.write(infra{web: 0})
	l := cl.start("OVI_FAILPOINT=" + point)
	l = cl.disarmFollowers(l)
	cl.writeEdge()
	cl.waitDeath(l, 60*time.Second)
	nl := cl.waitLeader(60 * time.Second)
	waitFor(t, "the edge group with its rule", 90*time.Second, func() bool {
		gs := edgeGroups(c.securityGroups())
		return len(gs) == 1 && len(gs[0].Ingress) == 1 && gs[0].Ingress[0].FromPort == 443
	})
	cl.restart(l)
	creates, refused := 0, 0
	for _, rq := range c.requests() {
		switch {
		case rq.Action != "CreateSecurityGroup":
		case rq.Status == 200:
			creates++
		default:
			refused++ // e.g. InvalidGroup.Duplicate: a blind retry
		}
	}
	if gs := edgeGroups(c.securityGroups()); len(gs) != 1 || creates != 1 || refused != 0 {
		t.Fatalf("%d edge groups after %d successful and %d refused CreateSecurityGroup calls; want 1, 1 and 0",
			len(gs), creates, refused)
	}
	t.Logf("%s: killed %s, new leader %s; one edge group, one CreateSecurityGroup", point, l.name, nl.name)
}

func edgeGroups(all []simGroup) []simGroup {
	var out []simGroup
	for _, g := range all {
		if g.Name == "edge" && g.Tags["ovi:managed"] == "true" {
			out = append(out, g)
		}
	}
	return out
}
