package reconcile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/yairfalse/ovi/wal"
)

var errCrashed = errors.New("fake: process crashed")

// crashSwitch is shared by the fake log and provider: once thrown, the
// "process" is dead, nothing more reaches the log or the cloud.
type crashSwitch struct{ down atomic.Bool }

func (c *crashSwitch) crashed() bool { return c != nil && c.down.Load() }

// Crash points of the fake provider.
type crashPoint uint8

const (
	crashNone        crashPoint = iota
	crashAfterIntent            // intent committed, provider never called
	crashAfterCall              // provider call done, outcome never recorded
)

// fakeProvider is an in-memory EC2: it counts calls, honours ClientToken
// idempotency, can fail chosen operations and can crash at a point.
type fakeProvider struct {
	mu        sync.Mutex
	instances map[string]wal.Resource
	tokens    map[string][]string // ClientToken → ids it launched
	// tokenCount is the Count first sent with a token.
	tokenCount map[string]int
	// launchCap, if > 0, launches at most that many per call (capacity).
	launchCap int
	next      int
	calls     map[string]int
	creates   []CreateRequest
	// failures: "create:<group>", "delete:<id>", "tags:<id>", "resize:<id>",
	// or "observe" → the error to return.
	failures map[string]error
	// crashAt crashes on the first mutating call (crashOn: "create",
	// "delete", ...; empty = any).
	crashAt crashPoint
	crashOn string
	crash   *crashSwitch
	// callsAfterCrash counts calls that arrived after the crash (must stay 0).
	callsAfterCrash int
	// findMisses makes FindByDecision find nothing (tag search lagging).
	findMisses bool
	// hideNew hides instances from Observe for this many Observe calls
	// after their launch (eventual consistency).
	hideNew int
	hidden  map[string]int
}

func newFakeProvider(sw *crashSwitch) *fakeProvider {
	return &fakeProvider{instances: map[string]wal.Resource{}, tokens: map[string][]string{}, tokenCount: map[string]int{},
		calls:    map[string]int{},
		failures: map[string]error{}, crash: sw, hidden: map[string]int{}}
}

// add puts a resource into the fake cloud.
func (p *fakeProvider) add(rs ...wal.Resource) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rs {
		p.instances[r.ID] = r
	}
}

func (p *fakeProvider) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

// enter counts a call; it fails if the process crashed already.
func (p *fakeProvider) enter(op string) error {
	if p.crash.crashed() {
		p.callsAfterCrash++
		return errCrashed
	}
	p.calls[op]++
	return nil
}

// enterMutating is enter for calls that change the cloud: at the
// crashAfterIntent point the process dies before the call leaves it, so
// the call is not counted and nothing happens.
func (p *fakeProvider) enterMutating(op string) error {
	if p.crash.crashed() {
		p.callsAfterCrash++
		return errCrashed
	}
	if p.crashes(op, crashAfterIntent) {
		return errCrashed
	}
	p.calls[op]++
	return nil
}

// crashes reports whether this mutating call hits the crash point.
func (p *fakeProvider) crashes(op string, at crashPoint) bool {
	if p.crashAt != at || (p.crashOn != "" && p.crashOn != op) {
		return false
	}
	p.crash.down.Store(true)
	return true
}

func (p *fakeProvider) Observe(ctx context.Context) ([]wal.Resource, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.enter("observe"); err != nil {
		return nil, err
	}
	if err := p.failures["observe"]; err != nil {
		return nil, err
	}
	out := make([]wal.Resource, 0, len(p.instances))
	for _, r := range p.instances {
		if p.hidden[r.ID] > 0 {
			p.hidden[r.ID]--
			continue
		}
		out = append(out, cloneResource(r))
	}
	slices.SortFunc(out, func(a, b wal.Resource) int { return strings.Compare(b.ID, a.ID) }) // any order will do
	return out, ctx.Err()
}

func (p *fakeProvider) FindByDecision(_ context.Context, decisionID string) ([]wal.Resource, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.enter("find"); err != nil {
		return nil, err
	}
	var out []wal.Resource
	for _, r := range p.instances {
		if !p.findMisses && r.Tags[wal.TagDecision] == decisionID {
			out = append(out, cloneResource(r))
		}
	}
	return out, nil
}

func (p *fakeProvider) Create(_ context.Context, req CreateRequest) (CreateResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.enterMutating("create"); err != nil {
		return CreateResult{}, err
	}
	p.creates = append(p.creates, req)
	if err := p.failures["create:"+req.Group]; err != nil {
		return CreateResult{}, err
	}
	ids, seen := p.tokens[req.ClientToken]
	if seen && p.tokenCount[req.ClientToken] != req.Count {
		return CreateResult{}, &ProviderError{Code: "IdempotentParameterMismatch", Message: "token reused", Terminal: true}
	}
	if !seen {
		p.tokenCount[req.ClientToken] = req.Count
		n := req.Count
		if p.launchCap > 0 {
			n = min(n, p.launchCap)
		}
		for range n {
			p.next++
			id := fmt.Sprintf("i-%04d", p.next)
			ids = append(ids, id)
			p.instances[id] = wal.Resource{ID: id, Kind: wal.ResourceInstance, State: "pending",
				Tags: maps.Clone(req.Tags), Managed: true, Group: req.Group,
				Instance: &wal.Instance{Size: req.Size, ImageID: req.ImageID, LaunchTime: int64(1000 + p.next), SubnetID: req.SubnetID}}
			p.hidden[id] = p.hideNew
		}
		p.tokens[req.ClientToken] = ids
	}
	if p.crashes("create", crashAfterCall) {
		return CreateResult{}, errCrashed
	}
	return CreateResult{IDs: slices.Clone(ids)}, nil
}

func (p *fakeProvider) Delete(_ context.Context, ids []string) ([]Outcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.perID("delete", ids, func(id string) error {
		if p.instances[id].Blessed() {
			return &ProviderError{Code: "OperationNotPermitted", Message: "blessed", Terminal: true}
		}
		delete(p.instances, id)
		return nil
	})
}

func (p *fakeProvider) UpdateTags(_ context.Context, req TagRequest) ([]Outcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.perID("tags", req.IDs, func(id string) error {
		r := p.instances[id]
		r.Tags = maps.Clone(r.Tags)
		maps.Copy(r.Tags, req.Set)
		for _, k := range req.Remove {
			if k != wal.TagBlessed {
				delete(r.Tags, k)
			}
		}
		p.instances[id] = r
		return nil
	})
}

func (p *fakeProvider) Resize(_ context.Context, id, size string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	outs, err := p.perID("resize", []string{id}, func(id string) error {
		r := cloneResource(p.instances[id])
		r.Instance.Size = size
		p.instances[id] = r
		return nil
	})
	if err != nil {
		return err
	}
	return outs[0].Err
}

// perID runs a batched mutating call: crash points, injected failures and
// not-found per id.
func (p *fakeProvider) perID(op string, ids []string, do func(id string) error) ([]Outcome, error) {
	if err := p.enterMutating(op); err != nil {
		return nil, err
	}
	if err := p.failures[op]; err != nil {
		return nil, err
	}
	outs := make([]Outcome, len(ids))
	for i, id := range ids {
		outs[i].ID = id
		if _, ok := p.instances[id]; !ok {
			outs[i].Err = &ProviderError{Code: "InvalidInstanceID.NotFound", Message: id, Terminal: true}
			continue
		}
		if err := p.failures[op+":"+id]; err != nil {
			outs[i].Err = err
			continue
		}
		outs[i].Err = do(id)
	}
	if p.crashes(op, crashAfterCall) {
		return nil, errCrashed
	}
	return outs, nil
}

func (p *fakeProvider) DefaultImage(context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.enter("image"); err != nil {
		return "", err
	}
	return "ami-00000000000000001", nil
}

// byGroup counts live instances per group.
func (p *fakeProvider) byGroup() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for _, r := range p.instances {
		out[r.Group]++
	}
	return out
}

func cloneResource(r wal.Resource) wal.Resource {
	r.Tags = maps.Clone(r.Tags)
	if r.Instance != nil {
		inst := *r.Instance
		r.Instance = &inst
	}
	return r
}
