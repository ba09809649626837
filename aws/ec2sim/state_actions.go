package ec2sim

import "time"

// transition tells where a state-changing call takes an instance from its
// current state; ok=false means the call is not allowed in that state.
type transition func(from InstanceState) (to InstanceState, ok bool)

// terminateInstances answers TerminateInstances (1–1000 ids): every instance
// not already on its way out starts shutting down.
func (s *Server) terminateInstances(rq *request) (response, *apiError) {
	return s.changeStates(rq, "terminated", func(from InstanceState) (InstanceState, bool) {
		if from == StateShuttingDown || from == StateTerminated {
			return from, true
		}
		return StateShuttingDown, true
	})
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
	})
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
	})
}

// changeStates resolves InstanceId.N, refuses the whole call if any instance
// is in a state the transition does not allow, then applies it and reports
// each instance's previous and current state.
func (s *Server) changeStates(rq *request, verb string, next transition) (response, *apiError) {
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

// modifyInstanceAttribute answers ModifyInstanceAttribute for the one
// attribute the simulator models, the instance type, which EC2 lets change
// only while the instance is stopped.
func (s *Server) modifyInstanceAttribute(rq *request) (response, *apiError) {
	id := rq.form.Get("InstanceId")
	if id == "" {
		return nil, errMissing("InstanceId")
	}
	newType, aerr := requestedType(rq)
	if aerr != nil {
		return nil, aerr
	}
	found, aerr := s.resolve(rq, []string{id})
	if aerr != nil {
		return nil, aerr
	}
	in := found[0]
	if in.State != StateStopped {
		return nil, newAPIError(CodeIncorrectInstanceState, "The instance '%s' is not in the 'stopped' state.", id)
	}
	in.InstanceType = newType
	return &returnResponse{XMLName: rootName(rq.action), Return: true}, nil
}

// requestedType reads the new instance type from InstanceType.Value or from
// Attribute=instanceType&Value=...; any other attribute is unsupported.
func requestedType(rq *request) (string, *apiError) {
	for key := range rq.form {
		switch key {
		case "Action", "Version", "DryRun", "InstanceId", "InstanceType.Value", "Attribute", "Value":
		default:
			return "", newAPIError(CodeUnsupportedOperation, "ec2sim models only the instanceType attribute, not %s.", key)
		}
	}
	typ := rq.form.Get("InstanceType.Value")
	if attr := rq.form.Get("Attribute"); attr != "" {
		if attr != "instanceType" {
			return "", newAPIError(CodeUnsupportedOperation, "ec2sim models only the instanceType attribute, not %s.", attr)
		}
		typ = rq.form.Get("Value")
	}
	if typ == "" {
		return "", errMissing("InstanceType")
	}
	if _, aerr := parseInstanceType(typ); aerr != nil {
		return "", aerr
	}
	return typ, nil
}
