package ec2sim

import "time"

// VolumeLifecycle holds the duration of each transitional EBS state. A zero
// duration means the transition has happened by the next request.
type VolumeLifecycle struct {
	// Creating is how long creating lasts before available.
	Creating time.Duration
	// Attaching is how long an attachment is attaching before attached.
	Attaching time.Duration
	// Detaching is how long an attachment is detaching before the volume is
	// available again.
	Detaching time.Duration
	// Deleting is how long a deleted volume stays listed as deleting.
	Deleting time.Duration
}

// DefaultVolumeLifecycle returns durations in the range EBS shows for small
// empty volumes.
func DefaultVolumeLifecycle() VolumeLifecycle {
	return VolumeLifecycle{
		Creating:  2 * time.Second,
		Attaching: time.Second,
		Detaching: time.Second,
		Deleting:  2 * time.Second,
	}
}

// alive reports whether id is an instance that has not terminated: the only
// instances a volume can stay attached to.
func (st *store) alive(id string) bool {
	in, ok := st.instances[id]
	return ok && in.State != StateTerminated
}
