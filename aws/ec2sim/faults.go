package ec2sim

import "fmt"

// Fault is an injected failure: the call answers with Code (and Message, or a
// generic one) and the HTTP status EC2 uses for that code.
type Fault struct {
	// Code is the EC2 error code, e.g. "InternalError" or "UnauthorizedOperation".
	Code string
	// Message is the error message; empty means a generic one.
	Message string
	// Times is how many calls fail; 0 means every call until ClearFaults.
	Times int
}

// pendingFault is a Fault with its remaining count (-1 = until cleared).
type pendingFault struct {
	fault     Fault
	remaining int
}

type instanceFaultKey struct {
	action     string
	instanceID string
}

// faults holds injected failures. Callers hold Server.mu.
type faults struct {
	actions   map[string]*pendingFault
	instances map[instanceFaultKey]*pendingFault
}

func newFaults() faults {
	return faults{
		actions:   make(map[string]*pendingFault),
		instances: make(map[instanceFaultKey]*pendingFault),
	}
}

func newPending(f Fault) *pendingFault {
	remaining := f.Times
	if remaining <= 0 {
		remaining = -1
	}
	return &pendingFault{fault: f, remaining: remaining}
}

// take consumes one use of p, reporting whether it is used up.
func (p *pendingFault) take() (aerr *apiError, spent bool) {
	msg := p.fault.Message
	if msg == "" {
		msg = "Injected failure (" + p.fault.Code + ")."
	}
	aerr = &apiError{Code: p.fault.Code, Message: msg, Status: statusFor(p.fault.Code)}
	if p.remaining > 0 {
		p.remaining--
	}
	return aerr, p.remaining == 0
}

// takeAction returns the injected failure of the next call of action, if any.
func (f *faults) takeAction(action string) *apiError {
	p, ok := f.actions[action]
	if !ok {
		return nil
	}
	aerr, spent := p.take()
	if spent {
		delete(f.actions, action)
	}
	return aerr
}

// takeInstance returns the injected failure of a call of action naming one
// of ids, if any. Like EC2, the failure fails the whole call.
func (f *faults) takeInstance(action string, ids []string) *apiError {
	for _, id := range ids {
		key := instanceFaultKey{action: action, instanceID: id}
		p, ok := f.instances[key]
		if !ok {
			continue
		}
		aerr, spent := p.take()
		if p.fault.Message == "" {
			aerr.Message = fmt.Sprintf("The instance '%s' cannot be used for %s: injected %s.", id, action, p.fault.Code)
		}
		if spent {
			delete(f.instances, key)
		}
		return aerr
	}
	return nil
}
