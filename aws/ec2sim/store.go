package ec2sim

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// reservation remembers a RunInstances call made with a ClientToken, so a
// retry with the same token returns it instead of launching again.
type reservation struct {
	ID          string      `json:"id"`
	ClientToken string      `json:"client_token"`
	Fingerprint string      `json:"fingerprint"`
	Instances   []*instance `json:"instances"` // as launched
}

// store holds the simulated region. Callers hold Server.mu.
type store struct {
	seed         uint64
	nextID       uint64
	instances    map[string]*instance
	order        []*instance // launch order (ascending Seq)
	reservations map[string]*reservation
	groups       *groups // security groups (sg_store.go)
	vols         *volumeStore
}

func newStore(seed uint64) *store {
	return &store{
		seed:         seed,
		instances:    make(map[string]*instance),
		reservations: make(map[string]*reservation),
		groups:       newGroups(seed),
		vols:         newVolumeStore(),
	}
}

// newID hands out the next id of a domain; instance ids never repeat.
func (st *store) newID(prefix string, domain uint64) (string, uint64) {
	for {
		st.nextID++
		id := resourceID(prefix, st.seed, domain, st.nextID)
		if _, taken := st.instances[id]; !taken {
			return id, st.nextID
		}
	}
}

// add stores a freshly launched instance.
func (st *store) add(in *instance) {
	st.instances[in.ID] = in
	st.order = append(st.order, in)
}

// advance applies every lifecycle transition due at now and forgets
// terminated instances whose retention has passed.
func (st *store) advance(now time.Time, lc Lifecycle) {
	purged := false
	for _, in := range st.order {
		for step(in, now, lc) {
		}
		if in.State == StateTerminated && !now.Before(in.StateSince.Add(lc.TerminatedRetention)) {
			delete(st.instances, in.ID)
			purged = true
		}
	}
	if purged {
		st.order = slices.DeleteFunc(st.order, func(in *instance) bool {
			_, ok := st.instances[in.ID]
			return !ok
		})
	}
	st.vols.advance(now, lc.Volume, st.alive)
}

// step moves in one transition forward if it is due, reporting whether it did.
func step(in *instance, now time.Time, lc Lifecycle) bool {
	var next InstanceState
	var d time.Duration
	switch in.State {
	case StatePending:
		next, d = StateRunning, lc.Pending
	case StateStopping:
		next, d = StateStopped, lc.Stopping
	case StateShuttingDown:
		next, d = StateTerminated, lc.ShuttingDown
	default:
		return false
	}
	at := in.StateSince.Add(d)
	if now.Before(at) {
		return false
	}
	in.State, in.StateSince = next, at
	return true
}

// visible reports whether in has left its eventual-consistency window.
func visible(in *instance, now time.Time) bool {
	return !now.Before(in.VisibleAt)
}

// lookup resolves instance ids the way EC2 does for a call naming them:
// malformed ids first, then every unknown (or not yet visible) id in one
// InvalidInstanceID.NotFound. Duplicates are dropped; order is kept.
func (st *store) lookup(ids []string, now time.Time) ([]*instance, *apiError) {
	get := func(id string) (*instance, bool) {
		in, ok := st.instances[id]
		return in, ok && visible(in, now)
	}
	malformed := func(id string) *apiError {
		return newAPIError(CodeInvalidInstanceIDMalformed, "Invalid id: %q", id)
	}
	return lookupIDs(ids, "i", get, malformed, errNotFound)
}

func errNotFound(ids []string) *apiError {
	if len(ids) == 1 {
		return newAPIError(CodeInvalidInstanceIDNotFound, "The instance ID '%s' does not exist", ids[0])
	}
	return newAPIError(CodeInvalidInstanceIDNotFound, "The instance IDs '%s' do not exist", strings.Join(ids, ", "))
}

// after returns the index in order of the first instance with Seq > seq.
func (st *store) after(seq uint64) int {
	i, _ := slices.BinarySearchFunc(st.order, seq+1, func(in *instance, target uint64) int {
		return cmp.Compare(in.Seq, target)
	})
	return i
}
