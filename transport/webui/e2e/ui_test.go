//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// Markup in cloud data and notes: the UI must show it as text.
const (
	hostileTag  = `<script>window.__oviPwned=1</script><img src=x onerror="window.__oviPwned=2">`
	hostileNote = `<b id="hostile-note">bold?</b><script>window.__oviPwned=3</script>`
)

// TestWebUI plays an operator in the browser against a dev agent with
// tokens: the token prompt, the fleet now and at an earlier revision
// through the slider, one resource's timeline, hostile values shown as
// text, the WAL page following live, and no request leaving the agent.
func TestWebUI(t *testing.T) {
	a := startDevAgent(t)
	a.waitFleet(t, 3, 2, nil)
	rs, _ := a.resources(t, 0)
	target := firstWhere(t, rs, func(r wal.Resource) bool { return !r.Managed && isInstance(r.ID) })
	managed := firstWhere(t, rs, func(r wal.Resource) bool { return r.Managed && isInstance(r.ID) })
	a.tagHostile(t, target.ID, "note", hostileTag)
	if _, err := a.write.Note(context.Background(), transport.NoteRequest{ResourceID: target.ID, Text: hostileNote}); err != nil {
		t.Fatal(err)
	}
	atN := a.waitFleet(t, 3, 2, func(rs []wal.Resource) bool { return hasTag(rs, target.ID, "note", hostileTag) })
	a.scale(t, 3, 5)
	a.waitFleet(t, 5, 2, nil)
	_, before := a.resources(t, 0)
	a.scale(t, 5, 3) // the 2 surplus instances are blessed: refused, kept
	refused := a.waitRefusals(t, before, 2)

	b := newBrowser(t)
	base := "http://" + a.node.HTTPAddr() + "/ui/"
	signIn(t, b, base)
	current := checkFleetNow(t, a, b, refused)
	checkHostileShownAsText(t, b, target.ID)
	b.screenshot("fleet")
	checkSlider(t, a, b, atN, current)
	b.screenshot("fleet-at-revision")
	checkTimeline(t, a, b, base, managed.ID)
	b.screenshot("resource")
	checkRefusalShown(t, b, refused[0])
	b.goTo("#/resource/" + target.ID)
	b.waitJS("the note on the resource page", `document.querySelector('#resource') && document.querySelector('#resource').textContent.includes(`+jsString(hostileNote)+`)`)
	checkNoMarkup(t, b)
	checkWALFilters(t, a, b, managed.ID)
	checkWALFollows(t, a, b, base)
	b.goTo("#/wal?limit=30&oldest=1")
	b.waitJS("the first WAL records", `document.querySelectorAll('#wal tbody tr').length === 30`)
	b.screenshot("wal")
	checkRequests(t, b, base)
}

func firstWhere(t *testing.T, rs []wal.Resource, ok func(wal.Resource) bool) wal.Resource {
	t.Helper()
	for _, r := range rs {
		if ok(r) {
			return r
		}
	}
	t.Fatalf("no such resource among %v", ids(rs))
	return wal.Resource{}
}

func hasTag(rs []wal.Resource, id, k, v string) bool {
	return slices.ContainsFunc(rs, func(r wal.Resource) bool { return r.ID == id && r.Tags[k] == v })
}

// signIn opens the UI, is asked for the token, is refused a wrong one and
// gets in with the read token.
func signIn(t *testing.T, b *browser, base string) {
	t.Helper()
	b.run("open the UI", chromedp.Navigate(base))
	b.waitJS("the token prompt", `!document.getElementById('token-prompt').hidden`)
	b.run("type a wrong token", chromedp.SendKeys(chromedp.CSS("#token-input"), "not-the-token"), chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)))
	b.waitJS("the wrong token refused", `!document.getElementById('token-prompt').hidden && document.getElementById('token-message').textContent.includes('refused')`)
	b.run("type the read token", chromedp.SendKeys(chromedp.CSS("#token-input"), readToken), chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)))
	b.waitJS("the fleet page", `document.querySelector('#fleet[data-current="true"] tr[data-id]')`)
	stored := mustJS[string](b, `sessionStorage.getItem('ovi.readToken') + '|' + localStorage.length`)
	if stored != readToken+"|0" {
		t.Errorf("token storage = %q, want the token in sessionStorage and nothing in localStorage", stored)
	}
}

// checkFleetNow compares the fleet page with the state at the revision it
// shows (ids, drift and blessed markers), and returns the ids shown. The
// page moves on with each cycle, but a settled fleet stays the same.
func checkFleetNow(t *testing.T, a *devAgent, b *browser, refused []string) []string {
	t.Helper()
	opened := mustJS[string](b, `document.getElementById('fleet').dataset.revision`)
	b.waitJS("the fleet page to move on to the next cycle", `Number(document.getElementById('fleet').dataset.revision) > `+opened)
	rev := mustJS[string](b, `document.getElementById('fleet').dataset.revision`)
	n, err := strconv.ParseUint(rev, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := a.resources(t, n)
	got := shownIDs(b, "#fleet")
	if !slices.Equal(got, ids(want)) {
		t.Fatalf("fleet now (revision %d) shows %v, the state has %v", n, got, ids(want))
	}
	if countInstances(got) != 7 {
		t.Fatalf("fleet now shows %d instances, want 5 managed + 2 unmanaged: %v", countInstances(got), got)
	}
	for _, r := range want {
		drift := "in-sync"
		switch {
		case !r.Managed:
			drift = "unmanaged"
		case slices.Contains(refused, r.ID):
			drift = "unwanted refuse"
		}
		row := `document.querySelector('#fleet tr[data-id=` + jsString(r.ID) + `]')`
		shown := mustJS[string](b, `[`+row+`.dataset.drift, `+row+`.querySelector('.badge.stage-refuse') ? 'refuse' : ''].join(' ').trim()`)
		blessed := mustJS[bool](b, row+`.querySelector('.badge.blessed') !== null`)
		if shown != drift || blessed != r.Blessed() {
			t.Errorf("%s: drift %q blessed %v, want %q %v", r.ID, shown, blessed, drift, r.Blessed())
		}
	}
	return got
}

// checkRefusalShown opens a refused instance: its timeline holds the
// desired spec going back to count 3, then the refusal with its reason.
func checkRefusalShown(t *testing.T, b *browser, id string) {
	t.Helper()
	b.goTo("#/resource/" + id)
	b.waitJS("the refusal in the timeline of "+id, `document.querySelector('#resource[data-id=`+jsString(id)+`]') && [...document.querySelectorAll('#timeline li.stage-refuse')].some(li => li.textContent.includes('Protected: tagged ovi:blessed'))`)
	order := mustJS[string](b, `[...document.querySelectorAll('#timeline li')].map(li =>
		li.classList.contains('spec-change') ? (li.textContent.includes('count 3,') ? 'spec3' : 'spec') : li.dataset.kind + (li.classList.contains('stage-refuse') ? '-refuse' : '')).join(' ')`)
	spec, refuse := strings.Index(order, "spec3"), strings.Index(order, "decided-refuse")
	if spec < 0 || refuse < spec || !strings.HasPrefix(order, "decided executing executed observed") {
		t.Fatalf("timeline of %s: %s; want its create, then the spec back to count 3, then the refusal", id, order)
	}
}

func shownIDs(b *browser, scope string) []string {
	got := mustJS[[]string](b, `[...document.querySelectorAll(`+jsString(scope+` tr[data-id]`)+`)].map(r => r.dataset.id)`)
	slices.Sort(got)
	return got
}

// checkSlider moves the slider with the keyboard to revision n and
// compares what the page shows with the state at n and the diff to now.
func checkSlider(t *testing.T, a *devAgent, b *browser, n uint64, now []string) {
	t.Helper()
	// The page follows new cycles (a stop is added each second here), so
	// press ArrowLeft until the slider is on n's stop.
	b.run("focus the slider", chromedp.Focus(chromedp.CSS("#rev-slider")))
	stop := strconv.FormatUint(n, 10)
	for presses := 0; ; presses++ {
		ticks := mustJS[[]string](b, `[...document.querySelectorAll('#cycle-strip .tick')].map(x => x.dataset.revision)`)
		i := slices.Index(ticks, stop)
		at := mustJS[string](b, `document.getElementById('rev-slider').value`)
		if i < 0 || presses > len(ticks)+10 {
			t.Fatalf("cannot reach revision %d with the slider (at %s after %d presses): stops %v", n, at, presses, ticks)
		}
		if at == strconv.Itoa(i) {
			break
		}
		b.run("press ArrowLeft", chromedp.KeyEvent(kb.ArrowLeft))
	}
	b.waitJS(fmt.Sprintf("the fleet at revision %d", n), fmt.Sprintf(`document.querySelector('#fleet[data-revision="%d"]')`, n))
	want, _ := a.resources(t, n)
	got := shownIDs(b, "#fleet")
	if !slices.Equal(got, ids(want)) || countInstances(got) != 5 {
		t.Fatalf("fleet at revision %d shows %v, the state has %v (want 3 managed + 2 unmanaged)", n, got, ids(want))
	}
	var appeared []string
	for _, id := range now {
		if !slices.Contains(got, id) {
			appeared = append(appeared, id)
		}
	}
	diff := mustJS[[]string](b, `[...document.querySelectorAll('#diff tr[data-change="appeared"]')].map(r => r.dataset.id).sort()`)
	if !slices.Equal(diff, appeared) || len(appeared) != 2 {
		t.Fatalf("diff to now lists %v as appeared, want %v (the 2 scaled up)", diff, appeared)
	}
}

// checkTimeline opens a managed instance's page and compares its timeline
// with the records the API has for it, in revision order.
func checkTimeline(t *testing.T, a *devAgent, b *browser, base, id string) {
	t.Helper()
	b.run("follow the resource's link", chromedp.Click(chromedp.CSS(`#fleet tr[data-id="`+id+`"] a`)))
	b.waitJS("the timeline", `document.querySelector('#resource[data-id=`+jsString(id)+`]') && document.querySelector('#timeline li[data-revision]')`)
	got := mustJS[[]string](b, `[...document.querySelectorAll('#timeline li[data-revision]')].map(li => li.dataset.revision + ' ' + li.dataset.kind)`)
	want := expectedTimeline(t, a, id)
	if !slices.Equal(got, want) {
		t.Fatalf("timeline of %s:\n got %v\nwant %v", id, got, want)
	}
	firsts := []string{}
	for _, k := range []string{"decided", "executing", "executed", "observed"} {
		firsts = append(firsts, strconv.Itoa(slices.IndexFunc(got, func(s string) bool { return strings.HasSuffix(s, " "+k) })))
	}
	if firsts[0] == "-1" || !slices.IsSortedFunc(firsts, func(x, y string) int { xi, _ := strconv.Atoi(x); yi, _ := strconv.Atoi(y); return xi - yi }) {
		t.Fatalf("timeline of %s is not decided → executing → executed → observed: first positions %v in %v", id, firsts, got)
	}
}

// expectedTimeline is the resource's records from the API: those indexed
// under it, and the decision and intent of the create that launched it.
func expectedTimeline(t *testing.T, a *devAgent, id string) []string {
	t.Helper()
	ctx := context.Background()
	resp, err := a.read.WAL(ctx, transport.WALQuery{ResourceID: id})
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		rev  transport.Revision
		kind wal.Kind
	}
	var es []entry
	decision := ""
	for _, e := range resp.Records {
		es = append(es, entry{e.Revision, e.Record.Kind})
		if e.Record.Kind == wal.KindExecuted && e.Record.Executed.Action == wal.ActionCreate {
			decision = e.Record.DecisionID
		}
	}
	if decision == "" {
		t.Fatalf("no executed create among the records of %s", id)
	}
	for _, key := range []string{"decisions/" + decision, "intents/" + decision} {
		h, err := a.read.History(ctx, transport.HistoryQuery{Key: key})
		if err != nil {
			t.Fatalf("history of %s: %v", key, err)
		}
		for _, v := range h.Versions {
			if !v.Deleted && v.Record != nil {
				es = append(es, entry{v.ModRevision, v.Record.Kind})
			}
		}
	}
	slices.SortFunc(es, func(x, y entry) int {
		if x.rev.Main != y.rev.Main {
			return int(x.rev.Main) - int(y.rev.Main)
		}
		return int(x.rev.Sub) - int(y.rev.Sub)
	})
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%d.%d %s", e.rev.Main, e.rev.Sub, e.kind)
	}
	return out
}

// checkHostileShownAsText finds the hostile tag as text on the fleet page.
func checkHostileShownAsText(t *testing.T, b *browser, id string) {
	t.Helper()
	text := mustJS[string](b, `document.querySelector('#fleet tr[data-id=`+jsString(id)+`]').textContent`)
	if !strings.Contains(text, "note="+hostileTag) {
		t.Fatalf("the row of %s does not show the tag as text: %q", id, text)
	}
	checkNoMarkup(t, b)
}

// checkNoMarkup: no hostile script ran and no hostile element exists.
func checkNoMarkup(t *testing.T, b *browser) {
	t.Helper()
	got := mustJS[string](b, `[typeof window.__oviPwned, document.scripts.length, document.images.length, document.getElementById('hostile-note') === null].join(' ')`)
	if got != "undefined 1 0 true" {
		t.Fatalf("hostile markup took effect: pwned, scripts, images, no hostile element = %q, want \"undefined 1 0 true\"", got)
	}
}

// checkWALFollows filters the WAL page to notes, following, and sees a
// note committed afterwards appear without a reload.
func checkWALFollows(t *testing.T, a *devAgent, b *browser, base string) {
	t.Helper()
	b.goTo("#/wal?kind=note&follow=1")
	b.waitJS("the notes, following", `document.querySelector('#wal tr[data-kind="note"]') && document.getElementById('wal-status').textContent.includes('following')`)
	kinds := mustJS[[]string](b, `[...new Set([...document.querySelectorAll('#wal tbody tr')].map(r => r.dataset.kind))]`)
	if !slices.Equal(kinds, []string{"note"}) {
		t.Fatalf("WAL filtered to notes shows kinds %v", kinds)
	}
	live := "live note " + strconv.FormatInt(int64(len(kinds))+int64(a.interval), 36)
	if _, err := a.write.Note(context.Background(), transport.NoteRequest{Text: live}); err != nil {
		t.Fatal(err)
	}
	b.waitJS("the live note to appear", `[...document.querySelectorAll('#wal tbody tr')].some(r => r.textContent.includes(`+jsString(live)+`))`)
}

// checkRequests: every request went to the agent, API calls carried the
// token in the Authorization header and no URL carried it; no script
// error happened.
func checkRequests(t *testing.T, b *browser, base string) {
	t.Helper()
	reqs, problems := b.seen()
	origin := strings.TrimSuffix(base, "/ui/") + "/"
	authorised := 0
	for _, r := range reqs {
		if !strings.HasPrefix(r.URL, origin) {
			t.Errorf("request outside the agent: %s", r.URL)
		}
		if strings.Contains(r.URL, readToken) {
			t.Errorf("token in a URL: %s", r.URL)
		}
		if strings.Contains(r.URL, "/v1/") && r.Headers["authorization"] == "Bearer "+readToken {
			authorised++
		}
	}
	if authorised == 0 {
		t.Errorf("no API request carried the read token in its Authorization header (%d requests)", len(reqs))
	}
	for _, p := range problems {
		t.Errorf("page problem: %s", p)
	}
}

// checkWALFilters filters the WAL page through its form (a resource and
// two kinds), then by a time range in the URL, and compares the rows with
// the API's replay under the same filters.
func checkWALFilters(t *testing.T, a *devAgent, b *browser, id string) {
	t.Helper()
	b.goTo("#/wal")
	b.waitJS("the WAL page", `document.querySelector('#wal-filter') && document.querySelector('#wal tbody tr')`)
	b.run("filter by resource and kinds through the form",
		chromedp.SendKeys(chromedp.CSS(`#wal-filter input[name="resource"]`), id),
		chromedp.Click(chromedp.CSS(`#wal-filter input[value="observed"]`)),
		chromedp.Click(chromedp.CSS(`#wal-filter input[value="decided"]`)),
		chromedp.Click(chromedp.CSS(`#wal-filter button[type="submit"]`)))
	q := transport.WALQuery{ResourceID: id, Kinds: []wal.Kind{wal.KindObserved, wal.KindDecided}, Limit: 500, Last: true}
	want := walRevisions(t, a, q)
	if len(want) < 2 {
		t.Fatalf("want at least 2 observations of %s, the API has %v", id, want)
	}
	waitWALRows(t, b, "the WAL rows of "+id+" (observed, decided) to be the API's", want)
	// Since the second of those records' time: the first one drops out.
	resp, _ := a.read.WAL(context.Background(), q)
	q.Since = resp.Records[1].Record.Time
	want = walRevisions(t, a, q)
	b.goTo("#/wal?kind=observed,decided&resource=" + id + "&since=" + q.Since.UTC().Format(time.RFC3339Nano))
	if len(want) >= len(resp.Records) {
		t.Fatalf("since %s the API still has all %d records", q.Since, len(want))
	}
	waitWALRows(t, b, "the WAL rows since "+q.Since.String()+" to be the API's", want)
}

func walRevisions(t *testing.T, a *devAgent, q transport.WALQuery) []string {
	t.Helper()
	resp, err := a.read.WAL(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(resp.Records))
	for _, e := range resp.Records {
		out = append(out, fmt.Sprintf("%d.%d %s", e.Revision.Main, e.Revision.Sub, e.Record.Kind))
	}
	return out
}

// waitWALRows waits until the WAL table's rows ("revision kind") are want.
func waitWALRows(t *testing.T, b *browser, what string, want []string) {
	t.Helper()
	clustertest.WaitForSeen(t, what, 30*time.Second, func() (bool, string) {
		got, err := evalJS[[]string](b, `[...document.querySelectorAll('#wal tbody tr')].map(r => r.dataset.revision + ' ' + r.dataset.kind)`)
		return err == nil && slices.Equal(got, want), fmt.Sprintf("%v (want %v) %v", got, want, err)
	})
}
