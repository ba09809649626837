package ec2sim

import "time"

// SetLatency adds d (wall time) to every subsequent request.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.knobs.latency = d
}

// SetThrottle replaces the throttling configuration; every bucket starts full.
func (s *Server) SetThrottle(t Throttle) {
	s.throttle.configure(t)
}

// SetConsistencyWindow hides instances launched from now on from
// DescribeInstances and from every call naming them, for d.
func (s *Server) SetConsistencyWindow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.knobs.consistency = d
}

// SetIgnoreClientToken makes RunInstances and CreateVolume ignore ClientToken (true) or
// honour it (false).
func (s *Server) SetIgnoreClientToken(ignore bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.knobs.ignoreToken = ignore
}

// SetLaunchCapacity caps how many instances one RunInstances call launches
// (0 = unlimited).
func (s *Server) SetLaunchCapacity(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.knobs.capacity = n
}

// FailAction makes the next f.Times calls of action (every call if 0) fail
// with f.Code. It replaces an earlier fault for the same action.
func (s *Server) FailAction(action string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.actions[action] = newPending(f)
}

// FailInstance makes calls of action that name instanceID fail with f.Code
// (the whole call fails, as in EC2), f.Times times or until cleared if 0.
func (s *Server) FailInstance(action, instanceID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.instances[instanceFaultKey{action: action, instanceID: instanceID}] = newPending(f)
}

// ClearFaults removes every injected failure.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = newFaults()
}

// Counts returns how many requests each action received (including those
// that failed, were throttled or named an unknown action).
func (s *Server) Counts() map[string]int {
	return s.counts.snapshot()
}

// ResetCounts sets every request counter back to zero.
func (s *Server) ResetCounts() {
	s.counts.reset()
}

// Instances returns a copy of every instance the region holds, in launch
// order, after applying lifecycle transitions due now. Instances still inside
// their eventual-consistency window are included (see Instance.VisibleAt).
func (s *Server) Instances() []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.advance(s.opts.Clock.Now(), *s.opts.Lifecycle)
	out := make([]Instance, 0, len(s.st.order))
	for _, in := range s.st.order {
		out = append(out, in.public())
	}
	return out
}
