package reconcile

import (
	"context"
	"reflect"
	"testing"

	"github.com/yairfalse/ovi/wal"
)

// failpointTrace records every failpoint hit with the kinds committed so far.
type failpointTrace struct {
	log  *fakeLog
	hits []string
}

func (f *failpointTrace) hit(name string) {
	recs := f.log.all()
	f.hits = append(f.hits, name+" after "+kinds(recs[len(recs)-1:])[0])
}

func TestFailpointsFireAroundEveryProviderCall(t *testing.T) {
	r := newRig(t, webYAML)
	trace := &failpointTrace{log: r.log}
	e := r.engine(func(o *Options) { o.Failpoint = trace.hit })
	r.run(e, Request{})
	want := []string{
		FailpointBeforeIntent + " after decided:create",
		FailpointAfterIntent + " after executing:create",
		FailpointAfterCall + " after executing:create",
		FailpointAfterOutcome + " after executed:create",
	}
	if !reflect.DeepEqual(trace.hits, want) {
		t.Fatalf("hits:\n  %v\nwant:\n  %v", trace.hits, want)
	}
	if r.cloud.count("create") != 1 {
		t.Fatalf("creates = %d", r.cloud.count("create"))
	}
}

func TestFailpointsFireInRecoveredLaunch(t *testing.T) {
	r := newRig(t, webYAML)
	crashRun(t, r, crashAfterIntent)
	e := r.restart()
	trace := &failpointTrace{log: r.log}
	e.opts.Failpoint = trace.hit
	if _, err := e.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		FailpointBeforeIntent + " after executing:create",
		FailpointAfterIntent + " after executing:create",
		FailpointAfterCall + " after executing:create",
		FailpointAfterOutcome + " after executed:create",
	}
	if !reflect.DeepEqual(trace.hits, want) {
		t.Fatalf("hits:\n  %v\nwant:\n  %v", trace.hits, want)
	}
	if last := r.log.all()[r.log.len()-1]; last.Kind != wal.KindExecuted || !last.Executed.Recovered {
		t.Fatalf("last record = %+v", last)
	}
}
