//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yairfalse/ovi/transport/webui"
)

// recordsCase is one call of a records.js function and what it must give
// (compared as JSON).
type recordsCase struct {
	name string
	expr string // evaluated with the module as R
	want string
}

// TestRecordsModule runs the pages' record model (js/records.js) in the
// browser on shapes the resource kinds produce: a resource whose
// attributes sit in a per-kind payload, a named resource of another kind,
// and the drift marker rules.
func TestRecordsModule(t *testing.T) {
	srv := httptest.NewServer(webui.Handler())
	t.Cleanup(srv.Close)
	b := newBrowser(t)
	b.run("open a page of the UI's origin", chromedp.Navigate(srv.URL+webui.Path+"favicon.svg"))
	const inst = `{id:'i-1', type:'ec2', group:'web', state:'running', managed:true, tags:{'ovi:blessed':'true'},
		instance:{size:'t3.micro', image_id:'ami-1', launch_time:1765000000000000000, security_groups:['sg-1','sg-2']}}`
	const sg = `{id:'sg-1', type:'security-group', name:'web-sg', state:'available', managed:true, security_group:{rules:[{port:443}]}}`
	const decided = `(id, did, action, drift, dry) => ({kind:'decided', resource_id:id, decision_id:did, decided:{action, drift, reason:'because', dry_run:!!dry}})`
	const outcome = `(kind, did) => ({kind, decision_id:did, [kind]:{action:'delete'}})`
	const at = `(main, record) => ({revision:{main, sub:0}, record})`
	cases := []recordsCase{
		{"kind and group of an instance", `[R.resourceKind(` + inst + `), R.resourceGroup(` + inst + `), R.isBlessed(` + inst + `)]`, `["ec2","web",true]`},
		{"kind and name of a named resource", `[R.resourceKind(` + sg + `), R.resourceGroup(` + sg + `), R.isBlessed(` + sg + `)]`, `["security-group","web-sg",false]`},
		{"attributes of a kind's payload", `R.attributes(` + inst + `)`,
			`[["instance.image_id","ami-1"],["instance.launch_time","2025-12-06T05:46:40.000Z"],["instance.security_groups","sg-1, sg-2"],["instance.size","t3.micro"]]`},
		{"attributes of another kind", `R.attributes(` + sg + `)`, `[["security_group.rules[0].port","443"]]`},
		{"unmanaged", `R.driftOf({id:'x', managed:false}, R.decisionIndex([], 9)).drift`, `"unmanaged"`},
		{"no decision", `R.driftOf({id:'x', managed:true}, R.decisionIndex([], 9)).drift`, `"in-sync"`},
		{"executed decision clears drift", `(() => { const d=` + decided + `, o=` + outcome + `, a=` + at + `;
			return R.driftOf({id:'x', managed:true}, R.decisionIndex([a(1, d('x','d1','delete','unwanted')), a(2, o('executed','d1'))], 9)).drift })()`, `"in-sync"`},
		{"failed decision keeps drift", `(() => { const d=` + decided + `, o=` + outcome + `, a=` + at + `;
			const r = R.driftOf({id:'x', managed:true}, R.decisionIndex([a(1, d('x','d1','resize','drifted')), a(2, o('failed','d1'))], 9)); return [r.drift, r.failed] })()`, `["drifted",true]`},
		{"an outcome after the revision does not count", `(() => { const d=` + decided + `, o=` + outcome + `, a=` + at + `;
			return R.driftOf({id:'x', managed:true}, R.decisionIndex([a(1, d('x','d1','delete','unwanted')), a(5, o('executed','d1'))], 4)).drift })()`, `"unwanted"`},
		{"refusal", `(() => { const d=` + decided + `, a=` + at + `;
			const r = R.driftOf({id:'x', managed:true}, R.decisionIndex([a(1, d('x','d1','refuse','unwanted'))], 9)); return [r.drift, r.action] })()`, `["unwanted","refuse"]`},
		{"dry runs are not decisions", `(() => { const d=` + decided + `, a=` + at + `;
			return R.driftOf({id:'x', managed:true}, R.decisionIndex([a(1, d('x','d1','delete','unwanted', true))], 9)).drift })()`, `"in-sync"`},
		{"desired group and named resource", `[R.groupSpec({groups:[{name:'web', count:3}], resources:[{name:'web-sg', type:'security-group'}]}, 'web').count,
			R.groupSpec({groups:[], resources:[{name:'web-sg', type:'security-group'}]}, 'web-sg').type, R.groupSpec(null, 'x')]`, `[3,"security-group",null]`},
		{"one-line descriptions", `[R.describe({kind:'executing', executing:{action:'create'}}), R.describe({kind:'failed', failed:{action:'delete', code:'E', message:'m', retryable:true}}),
			R.describe({kind:'observed', resource_id:'i-1', observed:{change:'gone', resource:{}}}), R.describe({kind:'future-kind'})]`,
			`["Starting create","delete failed: E: m (retryable)","Resource i-1 no longer in cloud","future-kind record"]`},
	}
	for _, c := range cases {
		got := evalModule(t, b, c.expr)
		if got != c.want {
			t.Errorf("%s: %s\n got %s\nwant %s", c.name, c.expr, got, c.want)
		}
	}
}

// evalModule evaluates expr with js/records.js imported as R and returns
// the result as JSON.
func evalModule(t *testing.T, b *browser, expr string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	js := `import('` + webui.Path + `js/records.js').then((R) => JSON.stringify(` + expr + `))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	var v json.RawMessage
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s: not JSON: %s", expr, out)
	}
	return out
}
