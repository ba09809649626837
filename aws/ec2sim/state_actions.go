package ec2sim

import "time"

// transition tells where a state-changing call takes an instance from its
// current state; ok=false means the call is not allowed in that state.
type transition func(from InstanceState) (to InstanceState, ok bool)

// terminateInstances answers TerminateInstances (1–1000 ids): every instance
// not already on its way out starts shutting down.
// An instance with termination protection (DisableApiTermination) fails
// the whole call with OperationNotPermitted, naming the instance.
func (s *Server) terminateInstances(rq *request) (response, *apiError) {
	return s.changeStates(rq, "terminated", func(from InstanceState) (InstanceState, bool) {
		if from == StateShuttingDown || from == StateTerminated {
			return from, true
		}
		return StateShuttingDown, true
	}, terminationProtected)
}

// stopInstances answers StopInstances: running instances start stopping;
// pending, shutting-down and terminated ones are IncorrectInstanceState.
func (s *Server) stopInstances(rq *request) (response, *apiError) {
	return s.changeStates(rq, "stopped", func(from InstanceState) (InstanceState, bool) {
		switch from {
		case StateRunning:
			return StateStopping, true
		case StateStopping, StateStopped:
			return from, true
		default:
			return from, false
		}
	}, nil)
}

// startInstances answers StartInstances: stopped instances go pending;
// stopping, shutting-down and terminated ones are IncorrectInstanceState.
func (s *Server) startInstances(rq *request) (response, *apiError) {
	return s.changeStates(rq, "started", func(from InstanceState) (InstanceState, bool) {
		switch from {
		case StateStopped:
			return StatePending, true
		case StatePending, StateRunning:
			return from, true
		default:
			return from, false
		}
	}, nil)
}

// changeStates resolves InstanceId.N, refuses the whole call if any instance
// is in a state the transition does not allow or that refuse (may be nil)
// refuses, then applies it and reports each instance's previous and
// current state.
func (s *Server) changeStates(rq *request, verb string, next transition, refuse func(*instance) *apiError) (response, *apiError) {
	ids, aerr := instanceIDs(rq)
	if aerr != nil {
		return nil, aerr
	}
	targets, aerr := s.resolve(rq, ids)
	if aerr != nil {
		return nil, aerr
	}
	for _, in := range targets {
		if _, ok := next(in.State); !ok {
			return nil, newAPIError(CodeIncorrectInstanceState,
				"The instance '%s' is not in a state from which it can be %s.", in.ID, verb)
		}
		if refuse != nil {
			if aerr := refuse(in); aerr != nil {
				return nil, aerr
			}
		}
	}
	resp := &stateChangeResponse{XMLName: rootName(rq.action)}
	for _, in := range targets {
		prev := in.State
		to, _ := next(prev)
		setState(in, to, rq.now)
		resp.Changes = append(resp.Changes, xmlStateChange{
			InstanceID: in.ID, PreviousState: stateXML(prev), CurrentState: stateXML(to),
		})
	}
	return resp, nil
}

func setState(in *instance, to InstanceState, now time.Time) {
	if in.State != to {
		in.State, in.StateSince = to, now
	}
}

// instanceIDs reads InstanceId.N: at least one, at most 1000.
func instanceIDs(rq *request) ([]string, *apiError) {
	ids := listValues(rq.form, "InstanceId")
	if len(ids) == 0 {
		return nil, errMissing("InstanceId")
	}
	if len(ids) > maxBatch {
		return nil, errTooMany("InstanceId", len(ids))
	}
	return ids, nil
}
