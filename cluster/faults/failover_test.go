//go:build e2e

package faults

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// failpoints are the named points of execution, in the order one action
// passes them (reconcile.Failpoint*).
func failpoints() []string {
	return []string{"before-intent", "after-intent", "after-call", "after-outcome"}
}

// TestLeaderKillAtFailpoint kills the leader with a real kill -9 at each
// named point of executing a launch of 3 instances, armed with
// OVI_FAILPOINT. A new leader takes over; the simulated cloud must end
// with exactly 3 instances launched (terminated ones included), the WAL
// must tell the decided → executing → executed (recovered) story, and no
// record seen before the kill may be missing afterwards.
func TestLeaderKillAtFailpoint(t *testing.T) {
	bin := binary(t)
	for _, point := range failpoints() {
		t.Run(point, func(t *testing.T) { killAtFailpoint(t, bin, point) })
	}
}

func killAtFailpoint(t *testing.T, bin, point string) {
	const want = 3
	c := startCloud(t, bin)
	cl := newCluster(t, bin, c, false)
	cl.write(infra{web: 0})
	l := cl.start("OVI_FAILPOINT=" + point)
	l = cl.disarmFollowers(l)
	w := newWitness()
	stop := make(chan struct{})
	go w.watch(cl.nodes, stop)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
	}()
	armed := time.Now()
	cl.write(infra{web: want})
	cl.waitDeath(l, 60*time.Second)
	nl := cl.waitLeader(60 * time.Second)
	cl.waitConverged(nl, want, 0, 90*time.Second)
	close(stop)
	cl.restart(l)

	entries := replayCLI(t, bin, l) // the restarted node tells the same story
	if lost, msgs := w.verify(t, cl.nodes); lost != 0 {
		t.Errorf("%d committed records lost:\n%s", lost, strings.Join(msgs, "\n"))
	}
	ins := c.instances()
	launched := 0
	for _, in := range ins {
		if in.Tags["ovi:group"] == "web" {
			launched++
		}
	}
	if launched != want || liveIn(ins, "web") != want {
		t.Errorf("the cloud holds %d launched, %d live instances of web; want exactly %d (no duplicates)", launched, liveIn(ins, "web"), want)
	}
	if over, msgs := overLaunched(ins, entries); over != 0 {
		t.Errorf("duplicate launches: %s", strings.Join(msgs, "; "))
	}
	if bad := uncoveredCalls(c.requests(), entries, cl.nodes); len(bad) != 0 {
		t.Errorf("EC2 calls without a committed intent:\n%s", strings.Join(bad, "\n"))
	}
	checkKilledStories(t, entries, point, l.name, armed)
	if testing.Verbose() {
		t.Logf("ovi wal replay on %s:\n%s", l.name, replayText(t, bin, l))
	}
	t.Logf("%s: killed %s (kill -9 at %s), new leader %s; cloud: %d launched, %d live; WAL: %d records, 0 lost",
		point, l.name, point, nl.name, launched, liveIn(ins, "web"), len(entries))
}

// checkKilledStories checks the story of every actionable decision the
// killed node took after it was armed; there must be at least one.
func checkKilledStories(t *testing.T, entries []transport.WALEntry, point, killed string, armed time.Time) {
	t.Helper()
	n := 0
	for _, s := range stories(entries) {
		if s.decided.Node == killed && s.decided.Time.After(armed) {
			n++
			checkStory(t, s, point, killed)
			if testing.Verbose() && n == 1 {
				t.Logf("killed at %s; the WAL of decision %s:\n%s", point, s.decided.DecisionID, s)
			}
		}
	}
	if n == 0 {
		t.Errorf("the WAL holds no actionable decision of the killed leader %s taken after it was armed at %s", killed, point)
	}
}

// disarmFollowers restarts (kill -9, start without OVI_FAILPOINT) every
// follower, one at a time, so only the leader stays armed.
func (cl *cluster) disarmFollowers(l *node) *node {
	cl.t.Helper()
	for _, f := range cl.nodes {
		if f == l {
			continue
		}
		f.Kill()
		if nl := cl.restart(f); nl != l {
			cl.t.Fatalf("leadership moved from %s to %s while restarting a follower", l.name, nl.name)
		}
	}
	return l
}

// waitConverged waits until the cloud holds the desired live instances
// of web and keep, and the leader's WAL has no decision without an outcome.
func (cl *cluster) waitConverged(l *node, web, keep int, d time.Duration) {
	cl.t.Helper()
	waitFor(cl.t, "convergence", d, func() bool {
		ins := cl.cloud.instances()
		if liveIn(ins, "web") != web || liveIn(ins, "keep") != keep {
			return false
		}
		if nl := leader(cl.nodes, 3); nl != nil {
			l = nl
		}
		entries, err := walOf(l, transport.Revision{})
		return err == nil && openDecisions(entries) == 0
	})
}

// tally is what the repeated-kill test measured.
type tally struct {
	iterations, kills, restarts   int
	byPoint                       map[string]int
	launches, deletions, executed int
	mutatingCalls                 int
	duplicateLaunches             int
	extraDeletions                int
	lostRecords                   int
	blessedDeleted                int
	unmanagedTouched              int
	uncoveredCalls                int
}

// killCount is how many leader kills the repeated test performs: 52 by
// default (13 at each failpoint), 200 with OVI_FAULTS_LONG=1, or
// OVI_FAULTS_KILLS.
func killCount(t *testing.T) int {
	if s := os.Getenv("OVI_FAULTS_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("OVI_FAULTS_KILLS=%q: want a positive number", s)
		}
		return n
	}
	if os.Getenv("OVI_FAULTS_LONG") == "1" {
		return 200
	}
	return 52
}

// nextCount moves the desired count of web up, up, down (2 → 4 → 5 → 2),
// so over 12 iterations every failpoint is hit during both a launch and a
// deletion.
func nextCount(i int) int {
	return []int{4, 5, 2}[i%3]
}

// TestRepeatedLeaderKills reuses one cluster for many leader kills, each
// at the next failpoint (armed through the leader's OVI_FAILPOINT_FILE)
// while the desired count moves up and down. Halfway, the blessed group is
// removed from the file. Every iteration checks the cloud (no duplicate
// launch, no extra deletion, blessed and unmanaged instances untouched),
// the WAL (the killed decision's story, no lost record) and that every
// EC2 call was covered by a committed intent of the node that made it.
func TestRepeatedLeaderKills(t *testing.T) {
	bin := binary(t)
	kills := killCount(t)
	start := time.Now()
	c := startCloud(t, bin)
	unmanaged := c.launchUnmanaged(1)
	cl := newCluster(t, bin, c, false)
	cur := infra{web: 2, blessed: true}
	cl.write(cur)
	cl.waitConverged(cl.start(), cur.web, 2, 90*time.Second)
	blessed := idsOf(c.instances(), "keep")
	w := cl.watchWitness()
	tl := tally{byPoint: map[string]int{}}
	for i := range kills {
		point := failpoints()[i%4]
		next := infra{web: nextCount(i), blessed: i < kills/2}
		cl.killIteration(w, &tl, point, cur, next, blessed, unmanaged)
		tl.iterations++
		tl.byPoint[point]++
		if tl.lostRecords+tl.duplicateLaunches+tl.blessedDeleted+tl.extraDeletions+tl.unmanagedTouched+tl.uncoveredCalls > 0 || t.Failed() {
			t.Fatalf("iteration %d (%s, web %d → %d): %+v", i, point, cur.web, next.web, tl)
		}
		cur = next
	}
	t.Logf("repeated leader kills: %d iterations in %s, %d kills (%v), %d restarts; %d launches, %d deletions, %d actions executed, %d mutating EC2 calls; "+
		"duplicate launches %d, extra deletions %d, lost committed records %d, blessed deletions %d, unmanaged touched %d, calls without intent %d",
		tl.iterations, time.Since(start).Round(time.Second), tl.kills, tl.byPoint, tl.restarts, tl.launches, tl.deletions, tl.executed,
		tl.mutatingCalls, tl.duplicateLaunches, tl.extraDeletions, tl.lostRecords, tl.blessedDeleted, tl.unmanagedTouched, tl.uncoveredCalls)
}

// idsOf returns the ids of the live instances of a group.
func idsOf(ins []simInstance, group string) []string {
	var ids []string
	for _, in := range ins {
		if in.live() && in.Tags["ovi:group"] == group {
			ids = append(ids, in.ID)
		}
	}
	return ids
}

// killIteration arms the leader at point, changes the desired state from
// cur to next, waits for the kill, the failover and convergence, restarts
// the killed node and measures.
func (cl *cluster) killIteration(w *witness, tl *tally, point string, cur, next infra, blessed, unmanaged []string) {
	t := cl.t
	l := cl.waitLeader(60 * time.Second)
	before := map[string]simInstance{}
	for _, in := range cl.cloud.instances() {
		before[in.ID] = in
	}
	calls := len(cl.cloud.requests())
	armed := time.Now()
	l.arm(point)
	cl.write(next)
	cl.waitDeath(l, 60*time.Second)
	tl.kills++
	nl := cl.waitLeader(60 * time.Second)
	cl.waitConverged(nl, next.web, 2, 90*time.Second) // blessed instances stay, in the file or not
	cl.restart(l)
	tl.restarts++

	entries := replayCLI(t, cl.bin, nl)
	lost, msgs := w.verify(t, cl.nodes)
	tl.lostRecords += lost
	if lost > 0 {
		t.Errorf("%d committed records lost:\n%s", lost, strings.Join(msgs, "\n"))
	}
	ins := cl.cloud.instances()
	cl.measureCloud(tl, ins, before, cur, next, blessed, unmanaged)
	over, omsgs := overLaunched(ins, entries)
	tl.duplicateLaunches += over
	if over > 0 {
		t.Errorf("duplicate launches: %s", strings.Join(omsgs, "; "))
	}
	reqs := cl.cloud.requests()[calls:]
	for _, rq := range reqs {
		if mutating(rq.Action) {
			tl.mutatingCalls++
		}
	}
	bad := uncoveredCalls(reqs, entries, cl.nodes)
	tl.uncoveredCalls += len(bad)
	if len(bad) > 0 {
		t.Errorf("EC2 calls without a committed intent:\n%s", strings.Join(bad, "\n"))
	}
	checkKilledStories(t, entries, point, l.name, armed)
	for _, s := range stories(entries) {
		if s.outcome != nil && s.outcome.Kind == wal.KindExecuted && s.outcome.Time.After(armed) {
			tl.executed++
		}
	}
}

// measureCloud counts this iteration's launches and deletions against
// what the change from cur to next needs.
func (cl *cluster) measureCloud(tl *tally, ins []simInstance, before map[string]simInstance, cur, next infra, blessed, unmanaged []string) {
	t := cl.t
	launched, deleted := 0, 0
	for _, in := range ins {
		old, existed := before[in.ID]
		switch {
		case !existed:
			launched++
		case old.live() && !in.live():
			deleted++
			if slices.Contains(blessed, in.ID) {
				tl.blessedDeleted++
				t.Errorf("blessed instance %s was deleted", in.ID)
			}
			if slices.Contains(unmanaged, in.ID) {
				tl.unmanagedTouched++
				t.Errorf("unmanaged instance %s was deleted", in.ID)
			}
		}
	}
	tl.launches += launched
	tl.deletions += deleted
	if wantUp := max(0, next.web-cur.web); launched > wantUp {
		tl.duplicateLaunches += launched - wantUp
		t.Errorf("web %d → %d: %d instances launched, want %d", cur.web, next.web, launched, wantUp)
	}
	if wantDown := max(0, cur.web-next.web); deleted > wantDown {
		tl.extraDeletions += deleted - wantDown
		t.Errorf("web %d → %d: %d instances deleted, want %d", cur.web, next.web, deleted, wantDown)
	}
	for _, rq := range cl.cloud.requests() {
		for _, id := range rq.IDs {
			if mutating(rq.Action) && slices.Contains(unmanaged, id) {
				tl.unmanagedTouched++
				t.Errorf("%s named the unmanaged instance %s", rq.Action, id)
			}
		}
	}
}

// TestKillDuringRecovery kills two leaders in a row: the first at
// after-intent of a launch, the second — the new leader, armed the moment
// the first died — at after-call of its recovery's resumed launch (same
// client token, attempt 2). The first comes back (unarmed) only then, so
// the third leader is elected from it and the survivor; it must find the
// instances by their decision tag and launch nothing: the cloud ends with exactly the
// desired count ever launched, and the WAL tells all three chapters.
func TestKillDuringRecovery(t *testing.T) {
	const want = 3
	bin := binary(t)
	c := startCloud(t, bin)
	cl := newCluster(t, bin, c, false)
	cl.write(infra{web: 0})
	first := cl.start()
	w := cl.watchWitness()
	first.arm("after-intent")
	cl.write(infra{web: want})
	cl.waitDeath(first, 60*time.Second)
	for _, n := range others(cl.nodes, first) {
		n.arm("after-call") // whichever leads next dies inside its recovery
	}
	var second *node
	waitFor(t, "the second leader to die in its recovery", 60*time.Second, func() bool {
		for _, n := range others(cl.nodes, first) {
			if !n.Running() {
				second = n
				return true
			}
		}
		return false
	})
	cl.waitDeath(second, time.Second)
	first.arm("")
	first.start() // unarmed; with the survivor it forms the quorum of the third leader
	third := cl.waitLeader(60 * time.Second)
	cl.waitConverged(third, want, 0, 90*time.Second)
	cl.restart(second)

	entries := replayCLI(t, bin, first)
	if lost, msgs := w.verify(t, cl.nodes); lost != 0 {
		t.Errorf("%d committed records lost:\n%s", lost, strings.Join(msgs, "\n"))
	}
	ins := c.instances()
	if launched := len(idsOfAll(ins, "web")); launched != want {
		t.Errorf("%d instances of web launched, want exactly %d", launched, want)
	}
	if bad := uncoveredCalls(c.requests(), entries, cl.nodes); len(bad) != 0 {
		t.Errorf("EC2 calls without a committed intent:\n%s", strings.Join(bad, "\n"))
	}
	var s *story
	for _, st := range stories(entries) {
		if st.decided.Node == first.name && st.decided.Decided.Action == wal.ActionCreate {
			s = st
		}
	}
	switch {
	case s == nil:
		t.Fatalf("no launch decided by %s in the WAL", first.name)
	case len(s.executing) != 2 || s.executing[0].Node != first.name || s.executing[1].Node != second.name ||
		s.outcome == nil || s.outcome.Kind != wal.KindExecuted || !s.outcome.Executed.Recovered ||
		s.outcome.Node == second.name || len(s.outcome.Executed.ResourceIDs) != want:
		t.Errorf("want executing #1 (%s), executing #2 (%s), executed recovered with %d ids by the third leader; the WAL says:\n%s",
			first.name, second.name, want, s)
	default:
		t.Logf("first leader %s killed at after-intent, second %s at after-call of its recovery, third %s recovered:\n%s",
			first.name, second.name, third.name, s)
	}
	if testing.Verbose() {
		t.Logf("ovi wal replay on %s:\n%s", first.name, replayText(t, bin, first))
	}
}

// idsOfAll returns the ids of every instance of a group, terminated ones too.
func idsOfAll(ins []simInstance, group string) []string {
	var ids []string
	for _, in := range ins {
		if in.Tags["ovi:group"] == group {
			ids = append(ids, in.ID)
		}
	}
	return ids
}

// gapPhases is where one failover gap went, each phase from the kill -9:
// the first and the second survivor noticing the silence (their
// heartbeat timeouts), the election won, the first write committed
// through a survivor, and the first committed through the survivor that
// follows (forwarded to the new leader).
type gapPhases struct {
	firstTimeout, secondTimeout, won, committed, viaFollower time.Duration
}

// TestLeaderKillFailoverPhases kills the leader three times (kill -9, no
// failpoint) with a write started through each survivor every 10 ms, and
// takes each gap apart from the survivors' logs. Each kill must cost
// exactly one election won, no survivor may give up on the leader before
// its heartbeat timeout could have passed, and a write must commit.
func TestLeaderKillFailoverPhases(t *testing.T) {
	const kills = 3
	bin := binary(t)
	cl := newCluster(t, bin, startCloud(t, bin), false)
	cl.write(infra{web: 0})
	l := cl.start()
	var all []gapPhases
	for k := range kills {
		p := cl.killAndTime(l)
		if p.firstTimeout < heartbeatTimeout*3/4 {
			t.Errorf("kill %d: a survivor gave up on the leader %s after the kill, before its heartbeat timeout (%s) could pass",
				k+1, p.firstTimeout, heartbeatTimeout)
		}
		t.Logf("kill %d of %s: heartbeat timeouts at %s and %s, election won at %s, first write committed at %s (through the follower %s)",
			k+1, l.name, ms(p.firstTimeout), ms(p.secondTimeout), ms(p.won), ms(p.committed), ms(p.viaFollower))
		all = append(all, p)
		l = cl.restart(l)
	}
	med := func(f func(gapPhases) time.Duration) string {
		var v []time.Duration
		for _, p := range all {
			v = append(v, f(p))
		}
		slices.Sort(v)
		return ms(v[len(v)/2])
	}
	t.Logf("median of %d kills (heartbeat timeout %s): first timeout %s, second %s, election won %s, first commit %s, through the follower %s",
		kills, heartbeatTimeout, med(func(p gapPhases) time.Duration { return p.firstTimeout }),
		med(func(p gapPhases) time.Duration { return p.secondTimeout }), med(func(p gapPhases) time.Duration { return p.won }),
		med(func(p gapPhases) time.Duration { return p.committed }), med(func(p gapPhases) time.Duration { return p.viaFollower }))
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

// killAndTime kills l with a write probing each survivor every 10 ms and
// returns the phases of the gap, checking that one election was won.
func (cl *cluster) killAndTime(l *node) gapPhases {
	t := cl.t
	t.Helper()
	surv := others(cl.nodes, l)
	killed := time.Now()
	l.Kill()
	commits := probeUntilCommit(t, surv, killed)
	var p gapPhases
	var timeouts []time.Duration
	won := 0
	for _, n := range surv {
		for _, at := range logTimes(t, n, evTimeout) {
			if !at.Before(killed.Truncate(time.Millisecond)) {
				timeouts = append(timeouts, at.Sub(killed))
			}
		}
		for _, at := range logTimes(t, n, evElectionWon) {
			if !at.Before(killed.Truncate(time.Millisecond)) {
				won++
				p.won = at.Sub(killed)
			}
		}
	}
	slices.Sort(timeouts)
	p.committed = time.Duration(1 << 62)
	for _, n := range surv {
		p.committed = min(p.committed, commits[n.name].Sub(killed))
		if st, ok := n.status(); ok && st.State != "Leader" {
			p.viaFollower = commits[n.name].Sub(killed)
		}
	}
	if won != 1 || len(timeouts) == 0 {
		t.Fatalf("kill of %s: %d elections won, %d heartbeat timeouts in the survivors' logs; want 1 and at least 1", l.name, won, len(timeouts))
	}
	p.firstTimeout, p.secondTimeout = timeouts[0], timeouts[len(timeouts)-1]
	return p
}

// probeUntilCommit starts a note through each of nodes every 10 ms (each
// given 500 ms, as bench-peers does) until one has committed through
// every node, and returns when each node's first commit returned.
func probeUntilCommit(t *testing.T, nodes []*node, since time.Time) map[string]time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type commit struct {
		node string
		at   time.Time
	}
	done := make(chan commit, 64)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	first := map[string]time.Time{}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for len(first) < len(nodes) {
		for _, n := range nodes {
			if _, ok := first[n.name]; ok {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				pctx, pcancel := context.WithTimeout(ctx, 500*time.Millisecond)
				defer pcancel()
				if _, err := n.client.Note(pctx, transport.NoteRequest{ResourceID: "probe", Text: "failover"}); err == nil {
					select {
					case done <- commit{n.name, time.Now()}:
					case <-ctx.Done():
					}
				}
			}()
		}
		select {
		case c := <-done:
			if at, ok := first[c.node]; !ok || c.at.Before(at) {
				first[c.node] = c.at
			}
		case <-ctx.Done():
			t.Fatalf("no write committed through each of %d survivors within 30 s of the kill at %s", len(nodes), since.Format("15:04:05.000"))
		case <-tick.C:
		}
	}
	return first
}
