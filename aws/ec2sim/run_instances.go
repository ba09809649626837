package ec2sim

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// defaultInstanceType is what EC2 launches when InstanceType is omitted.
const defaultInstanceType = "m1.small"

// maxClientToken is EC2's ClientToken length limit.
const maxClientToken = 64

// runParams is a validated RunInstances request.
type runParams struct {
	image        Image
	instanceType string
	minCount     int
	maxCount     int
	tags         map[string]string
	fingerprint  string
	vpc          string     // the VPC of the groups (sg_instances.go)
	groups       []groupRef // security groups of every instance
	protected    bool       // DisableApiTermination=true: launched with termination protection
}

// runInstances answers RunInstances: MaxCount instances (fewer if the launch
// capacity is lower, never fewer than MinCount), pending, tagged from the
// "instance" TagSpecification. A ClientToken seen before returns the original
// reservation when the parameters match, IdempotentParameterMismatch when not.
func (s *Server) runInstances(rq *request) (response, *apiError) {
	p, aerr := parseRun(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	if p.vpc, p.groups, aerr = s.launchGroups(rq.form); aerr != nil {
		return nil, aerr
	}
	token := rq.form.Get("ClientToken")
	if aerr := checkClientToken(token); aerr != nil {
		return nil, aerr
	}
	if s.knobs.ignoreToken {
		token = ""
	}
	if r, ok := s.st.reservations[token]; ok && token != "" {
		if r.Fingerprint != p.fingerprint {
			return nil, errIdempotentMismatch()
		}
		return s.replay(r), nil
	}
	count := p.maxCount
	if c := s.knobs.capacity; c > 0 && c < count {
		count = c
	}
	if count < p.minCount {
		return nil, newAPIError(CodeInsufficientInstanceCapacity,
			"We currently do not have sufficient %s capacity in the Availability Zone you requested (%sa). "+
				"Our system will be working on provisioning additional capacity.", p.instanceType, s.opts.Region)
	}
	return s.launch(p, count, token, rq), nil
}

// launch creates count instances in one reservation.
func (s *Server) launch(p runParams, count int, token string, rq *request) *runInstancesResponse {
	resID, _ := s.st.newID("r", domainReservation)
	resp := &runInstancesResponse{ReservationID: resID, OwnerID: s.opts.AccountID}
	r := &reservation{ID: resID, ClientToken: token, Fingerprint: p.fingerprint}
	for i := range count {
		id, seq := s.st.newID("i", domainInstance)
		in := &instance{
			Seq: seq, ID: id, ImageID: p.image.ID, Architecture: p.image.Architecture,
			InstanceType: p.instanceType, State: StatePending, StateSince: rq.now,
			LaunchTime: rq.now, VisibleAt: rq.now.Add(s.knobs.consistency),
			ReservationID: resID, ClientToken: token, LaunchIndex: i,
			AvailabilityZone: s.opts.Region + "a", PrivateIPAddress: privateIP(seq),
			Tags: make(map[string]string, len(p.tags)), VpcID: p.vpc, SecurityGroups: p.groups,
			DisableAPITermination: p.protected,
		}
		for k, v := range p.tags {
			in.Tags[k] = v
		}
		s.st.add(in)
		r.Instances = append(r.Instances, in.clone())
		resp.Instances = append(resp.Instances, instanceXML(in))
	}
	if token != "" {
		s.st.reservations[token] = r
	}
	return resp
}

// replay answers a repeated ClientToken: the original reservation, each
// instance as it is now (or terminated, once it has been forgotten).
func (s *Server) replay(r *reservation) *runInstancesResponse {
	resp := &runInstancesResponse{ReservationID: r.ID, OwnerID: s.opts.AccountID}
	for _, snap := range r.Instances {
		in, live := s.st.instances[snap.ID]
		if !live {
			in = snap.clone()
			in.State = StateTerminated
		}
		resp.Instances = append(resp.Instances, instanceXML(in))
	}
	return resp
}

// parseRun validates a RunInstances request the way EC2 does.
func parseRun(form url.Values) (runParams, *apiError) {
	var p runParams
	img, aerr := parseImageID(form.Get("ImageId"))
	if aerr != nil {
		return p, aerr
	}
	p.image = img
	if p.instanceType, aerr = parseInstanceType(form.Get("InstanceType")); aerr != nil {
		return p, aerr
	}
	if p.minCount, p.maxCount, aerr = parseCounts(form); aerr != nil {
		return p, aerr
	}
	if p.tags, aerr = parseTagSpecs(form); aerr != nil {
		return p, aerr
	}
	if v := form.Get("DisableApiTermination"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return p, newAPIError(CodeInvalidParameterValue, "Value (%s) for parameter disableApiTermination is invalid. Expected a boolean.", v)
		}
		p.protected = b
	}
	p.fingerprint = fingerprint(form)
	return p, nil
}

func parseImageID(id string) (Image, *apiError) {
	if id == "" {
		return Image{}, errMissing("ImageId")
	}
	if !wellFormedID(id, "ami") {
		return Image{}, newAPIError(CodeInvalidAMIIDMalformed, "Invalid id: %q (expecting \"ami-...\")", id)
	}
	img, ok := findImage(id)
	if !ok {
		return Image{}, newAPIError(CodeInvalidAMIIDNotFound, "The image id '[%s]' does not exist", id)
	}
	return img, nil
}

// parseInstanceType accepts "family.size" names (e.g. "t3.micro").
func parseInstanceType(t string) (string, *apiError) {
	if t == "" {
		return defaultInstanceType, nil
	}
	family, size, ok := strings.Cut(t, ".")
	if !ok || !isTypeWord(family) || !isTypeWord(size) {
		return "", newAPIError(CodeInvalidParameterValue, "Invalid value '%s' for InstanceType.", t)
	}
	return t, nil
}

func isTypeWord(w string) bool {
	if w == "" {
		return false
	}
	for _, c := range w {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

func parseCounts(form url.Values) (int, int, *apiError) {
	minCount, aerr := reqInt(form, "MinCount")
	if aerr != nil {
		return 0, 0, aerr
	}
	maxCount, aerr := reqInt(form, "MaxCount")
	if aerr != nil {
		return 0, 0, aerr
	}
	if minCount < 1 {
		return 0, 0, newAPIError(CodeInvalidParameterValue,
			"Value (%d) for parameter minCount is invalid. Expected a positive integer.", minCount)
	}
	if maxCount < minCount {
		return 0, 0, newAPIError(CodeInvalidParameterValue,
			"Value (%d) for parameter maxCount is invalid. Expected a value no less than minCount (%d).", maxCount, minCount)
	}
	return minCount, maxCount, nil
}

// fingerprint canonicalises the parameters that make two RunInstances calls
// "the same" for ClientToken purposes: everything but the token itself.
func fingerprint(form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		switch k {
		case "Action", "Version", "ClientToken":
		default:
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q\n", k, form[k])
	}
	return b.String()
}

// checkClientToken applies EC2's ClientToken limits: at most 64 ASCII
// characters.
func checkClientToken(token string) *apiError {
	if len(token) > maxClientToken || !isASCII(token) {
		return newAPIError(CodeInvalidParameterValue,
			"Value (%s) for parameter clientToken is invalid. Expecting at most 64 ASCII characters.", token)
	}
	return nil
}

func errIdempotentMismatch() *apiError {
	return newAPIError(CodeIdempotentParameterMismatch,
		"Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// privateIP derives a stable 10.x.y.z address from a sequence number.
func privateIP(seq uint64) string {
	return fmt.Sprintf("10.%d.%d.%d", (seq>>16)&0xff, (seq>>8)&0xff, seq&0xff)
}
