package ec2sim

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// maxBody bounds a request body (a 1000-id call is ~40 KB).
const maxBody = 16 << 20

// Server is the simulated EC2 endpoint. Safe for concurrent use; requests are
// applied one at a time, in arrival order.
type Server struct {
	opts     Options // immutable after New
	actions  map[string]action
	throttle *throttler
	counts   *counter

	mu       sync.Mutex
	st       *store
	knobs    knobs
	faults   faults
	requests uint64
	loadErr  error
}

// knobs are the settings tests may change while the server runs.
type knobs struct {
	latency     time.Duration
	consistency time.Duration
	ignoreToken bool
	capacity    int
}

// action is one entry of the dispatch table.
type action struct {
	class    ActionClass
	mutating bool
	handle   func(s *Server, rq *request) (response, *apiError)
}

// request is one decoded call, handled under Server.mu.
type request struct {
	action string
	form   url.Values
	now    time.Time
}

// New returns a Server. With Options.StateFile set, the file is loaded first;
// a file that exists but cannot be loaded leaves the server answering every
// call with InternalError (see Err) rather than overwriting it. Use Open to
// get that error directly.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:     opts,
		actions:  actionTable(),
		throttle: newThrottler(opts.Throttle),
		counts:   newCounter(),
		st:       newStore(opts.Seed),
		knobs: knobs{
			latency: opts.Latency, consistency: opts.ConsistencyWindow,
			ignoreToken: opts.IgnoreClientToken, capacity: opts.LaunchCapacity,
		},
		faults: newFaults(),
	}
	if opts.StateFile != "" {
		if err := s.load(); err != nil {
			s.loadErr = err
			opts.Logger.Error("ec2sim: state file not loaded", "file", opts.StateFile, "err", err)
		}
	}
	return s
}

// Open is New that reports a state file that cannot be loaded.
func Open(opts Options) (*Server, error) {
	s := New(opts)
	if err := s.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// Err returns the state-file load error, if any.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadErr
}

// actionTable is the dispatch table: action name → handler and its
// throttling class.
func actionTable() map[string]action {
	return map[string]action{
		"DescribeInstances":         {ClassDescribe, false, (*Server).describeInstances},
		"DescribeImages":            {ClassDescribe, false, (*Server).describeImages},
		"RunInstances":              {ClassRunInstances, true, (*Server).runInstances},
		"TerminateInstances":        {ClassMutating, true, (*Server).terminateInstances},
		"StopInstances":             {ClassMutating, true, (*Server).stopInstances},
		"StartInstances":            {ClassMutating, true, (*Server).startInstances},
		"ModifyInstanceAttribute":   {ClassMutating, true, (*Server).modifyInstanceAttribute},
		"DescribeInstanceAttribute": {ClassDescribe, false, (*Server).describeInstanceAttribute},
		"CreateTags":                {ClassTags, true, (*Server).createTags},
		"DeleteTags":                {ClassTags, true, (*Server).deleteTags},

		"DescribeSecurityGroups":        {ClassDescribe, false, (*Server).describeSecurityGroups},
		"CreateSecurityGroup":           {ClassMutating, true, (*Server).createSecurityGroup},
		"DeleteSecurityGroup":           {ClassMutating, true, (*Server).deleteSecurityGroup},
		"AuthorizeSecurityGroupIngress": {ClassMutating, true, (*Server).authorizeIngress},
		"AuthorizeSecurityGroupEgress":  {ClassMutating, true, (*Server).authorizeEgress},
		"RevokeSecurityGroupIngress":    {ClassMutating, true, (*Server).revokeIngress},
		"RevokeSecurityGroupEgress":     {ClassMutating, true, (*Server).revokeEgress},
		"DescribeVolumes":               {ClassDescribe, false, (*Server).describeVolumes},
		"CreateVolume":                  {ClassMutating, true, (*Server).createVolume},
		"DeleteVolume":                  {ClassMutating, true, (*Server).deleteVolume},
		"ModifyVolume":                  {ClassMutating, true, (*Server).modifyVolume},
		"AttachVolume":                  {ClassMutating, true, (*Server).attachVolume},
		"DetachVolume":                  {ClassMutating, true, (*Server).detachVolume},
	}
}

// ServeHTTP answers one EC2 Query request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.mu.Lock()
		s.requests++
		id := requestID(s.opts.Seed, s.requests)
		s.mu.Unlock()
		writeError(w, newAPIError(CodeInvalidParameterValue, "Malformed request: %v", err), id)
		return
	}
	name := r.Form.Get("Action")
	s.counts.inc(name)
	if err := s.delay(r); err != nil {
		return // the client went away
	}
	resp, id, aerr := s.handle(name, r.Form)
	if aerr != nil {
		s.opts.Logger.Debug("ec2sim: request failed", "action", name, "request_id", id, "code", aerr.Code, "message", aerr.Message)
		writeError(w, aerr, id)
		return
	}
	s.opts.Logger.Debug("ec2sim: request", "action", name, "request_id", id)
	writeXML(w, resp)
}

// delay waits the configured latency, or until the client goes away.
func (s *Server) delay(r *http.Request) error {
	s.mu.Lock()
	d := s.knobs.latency
	s.mu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-r.Context().Done():
		return r.Context().Err()
	}
}

// handle runs one action under the lock: dispatch, throttling, injected
// faults, lifecycle, the handler, and the state save of a mutating call.
func (s *Server) handle(name string, form url.Values) (response, string, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	id := requestID(s.opts.Seed, s.requests)
	if s.loadErr != nil {
		return nil, id, newAPIError(CodeInternalError, "state file not loaded: %v", s.loadErr)
	}
	act, ok := s.actions[name]
	if !ok {
		return nil, id, newAPIError(CodeInvalidAction, "The action %s is not valid for this web service.", name)
	}
	now := s.opts.Clock.Now()
	if !s.throttle.allow(act.class, now) {
		return nil, id, newAPIError(CodeRequestLimitExceeded, "Request limit exceeded.")
	}
	if aerr := s.faults.takeAction(name); aerr != nil {
		return nil, id, aerr
	}
	s.st.advance(now, *s.opts.Lifecycle)
	if aerr := checkDryRun(form); aerr != nil {
		return nil, id, aerr
	}
	resp, aerr := act.handle(s, &request{action: name, form: form, now: now})
	if aerr != nil {
		return nil, id, aerr
	}
	if act.mutating {
		s.save()
	}
	resp.setRequestID(id)
	return resp, id, nil
}

// checkDryRun answers DryRun=true the way EC2 does for a permitted call.
func checkDryRun(form url.Values) *apiError {
	dry, aerr := optBool(form, "DryRun")
	if aerr != nil {
		return aerr
	}
	if dry {
		return newAPIError(CodeDryRunOperation, "Request would have succeeded, but DryRun flag is set.")
	}
	return nil
}

// writeXML encodes a typed response body.
func writeXML(w http.ResponseWriter, resp response) {
	body, err := xml.Marshal(resp)
	if err != nil {
		writeError(w, newAPIError(CodeInternalError, "encoding response: %v", err), "")
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}

// writeError encodes EC2's error envelope with the error's HTTP status.
func writeError(w http.ResponseWriter, aerr *apiError, requestID string) {
	body, err := xml.Marshal(errorResponse{
		Errors:    []xmlError{{Code: aerr.Code, Message: aerr.Message}},
		RequestID: requestID,
	})
	if err != nil {
		http.Error(w, "ec2sim: encoding error response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(aerr.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
