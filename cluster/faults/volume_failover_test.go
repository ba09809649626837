//go:build e2e

package faults

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// volumeEntry is the named volume of infra.volume.
const volumeEntry = "  - {name: data, type: ebs_volume, availability_zone: us-east-1a, size_gib: 10, tags: {team: platform}}\n"

// simVolume is a volume as the simulator's state file holds it.
type simVolume struct {
	ID          string            `json:"id"`
	State       string            `json:"state"`
	ClientToken string            `json:"client_token"`
	Tags        map[string]string `json:"tags"`
}

// volumes reads every volume the simulator holds (deleting ones included).
func (c *cloud) volumes() []simVolume {
	c.t.Helper()
	var doc struct {
		Volumes *struct {
			Volumes []simVolume `json:"volumes"`
		} `json:"volumes"`
	}
	c.readState(&doc)
	if doc.Volumes == nil {
		return nil
	}
	return doc.Volumes.Volumes
}

// TestLeaderKillMidVolumeCreate kills the leader with a real kill -9 at each
// named point of creating the named volume "data" (between the intent and
// the outcome in particular). A new leader takes over and recovers the
// intent (the ovi:decision tag, then CreateVolume with the same
// ClientToken); the cloud must end with exactly one volume of "data".
func TestLeaderKillMidVolumeCreate(t *testing.T) {
	bin := binary(t)
	for _, point := range []string{"after-intent", "after-call"} {
		t.Run(point, func(t *testing.T) { killMidVolumeCreate(t, bin, point) })
	}
}

func killMidVolumeCreate(t *testing.T, bin, point string) {
	c := startCloud(t, bin)
	cl := newCluster(t, bin, c, false)
	cl.write(infra{web: 0})
	l := cl.start("OVI_FAILPOINT=" + point)
	l = cl.disarmFollowers(l)
	cl.write(infra{web: 0, volume: true})
	cl.waitDeath(l, 60*time.Second)
	if !l.KilledBy(syscall.SIGKILL) {
		t.Fatalf("the leader %s was not killed at %s", l.name, point)
	}
	nl := cl.waitLeader(60 * time.Second)
	waitFor(t, "the volume and no open decision", 90*time.Second, func() bool {
		if len(volumesOf(c.volumes(), "data")) != 1 {
			return false
		}
		entries, err := walOf(nl, transport.Revision{})
		return err == nil && openDecisions(entries) == 0
	})
	cl.restart(l)
	vols := volumesOf(c.volumes(), "data")
	if len(vols) != 1 {
		t.Fatalf("the cloud holds %d volumes of data, want exactly 1 (no duplicate): %+v", len(vols), vols)
	}
	creates := 0
	for _, rq := range c.requests() {
		if rq.Action == "CreateVolume" {
			creates++
			if rq.Token != vols[0].ClientToken {
				t.Errorf("a CreateVolume with token %q, want every one with the decision's %q", rq.Token, vols[0].ClientToken)
			}
		}
	}
	t.Logf("%s: killed %s, new leader %s; %d CreateVolume calls, 1 volume %s", point, l.name, nl.name, creates, vols[0].ID)
}

// volumesOf lists the volumes Ovi created for the named volume unit.
func volumesOf(vs []simVolume, name string) []simVolume {
	var out []simVolume
	for _, v := range vs {
		if v.Tags["ovi:managed"] == "true" && v.Tags["ovi:group"] == name {
			out = append(out, v)
		}
	}
	return out
}

// dataVolume is the volume "data" in the zone the simulator launches in,
// of size GiB, attached to a member of web when attach is set.
func dataVolume(size int, attach bool) string {
	to := ""
	if attach {
		to = ", attach_to: web"
	}
	return fmt.Sprintf("  - {name: data, type: ebs_volume, availability_zone: us-east-1a, size_gib: %d, volume_type: gp3%s}\n", size, to)
}

// TestLeaderKillAfterVolumeModifyAndAttach kills the leader with a real
// kill -9 right after its ModifyVolume (the volume grown from 10 to 20 GiB)
// and then the next leader right after its AttachVolume, both before the
// outcome is recorded. Each new leader recovers the open decision by
// looking at the volume (the shape reached, the attachment made): one
// ModifyVolume and one AttachVolume in all, no open decision afterwards.
// One cluster for both points keeps the test's cost to one cluster start.
func TestLeaderKillAfterVolumeModifyAndAttach(t *testing.T) {
	bin := binary(t)
	c := startCloud(t, bin)
	cl := newCluster(t, bin, c, false)
	cl.write(infra{web: 1, volumeSpec: dataVolume(10, false)})
	l := cl.start()
	settled := func(n *node, what string) {
		t.Helper()
		waitFor(t, what, 90*time.Second, func() bool {
			entries, err := walOf(n, transport.Revision{})
			return err == nil && openDecisions(entries) == 0 && len(volumesOf(c.volumes(), "data")) == 1 &&
				liveIn(c.instances(), "web") == 1
		})
	}
	settled(l, "the volume and the instance")
	steps := []struct {
		action string
		spec   string
	}{{"ModifyVolume", dataVolume(20, false)}, {"AttachVolume", dataVolume(20, true)}}
	for _, step := range steps {
		waitFor(t, "the volume observed available", 60*time.Second, func() bool { return volumeObserved(l) == "available" })
		l.arm("after-call")
		cl.write(infra{web: 1, volumeSpec: step.spec})
		cl.waitDeath(l, 60*time.Second)
		nl := cl.waitLeader(60 * time.Second)
		settled(nl, "recovery of the "+step.action)
		cl.restart(l)
		t.Logf("killed %s after %s, new leader %s", l.name, step.action, nl.name)
		l = nl
	}
	calls := map[string]int{}
	for _, rq := range c.requests() {
		calls[rq.Action]++
	}
	if calls["ModifyVolume"] != 1 || calls["AttachVolume"] != 1 {
		t.Fatalf("%d ModifyVolume and %d AttachVolume calls, want one each", calls["ModifyVolume"], calls["AttachVolume"])
	}
	entries, err := walOf(l, transport.Revision{})
	if err != nil {
		t.Fatal(err)
	}
	recovered := 0
	for _, e := range entries {
		if ex := e.Record.Executed; ex != nil && ex.Recovered && (ex.Action == wal.ActionModify || ex.Action == wal.ActionAttach) {
			recovered++
		}
	}
	if recovered != 2 || openDecisions(entries) != 0 {
		t.Fatalf("%d recovered volume outcomes (want 2), %d open decisions", recovered, openDecisions(entries))
	}
}

// volumeObserved is the state of volume "data" in n's last observation.
func volumeObserved(n *node) string {
	entries, err := walOf(n, transport.Revision{})
	if err != nil {
		return ""
	}
	state := ""
	for _, e := range entries {
		if o := e.Record.Observed; o != nil && o.Resource.Kind == wal.ResourceVolume && o.Resource.Group == "data" {
			state = o.Resource.State
		}
	}
	return state
}
