package ec2sim

import (
	"cmp"
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Page sizes DescribeInstances and DescribeImages accept.
const (
	minPage     = 5
	maxPage     = 1000
	defaultPage = 1000
)

// tokenPrefix marks the simulator's pagination tokens.
const tokenPrefix = "ec2sim-page:"

// describeInstances answers DescribeInstances: by InstanceId.N (every id must
// exist and be visible), or a page of every visible instance in launch order,
// each narrowed by the filters.
func (s *Server) describeInstances(rq *request) (response, *apiError) {
	filters, aerr := parseFilters(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	keep, aerr := instanceFilter(filters)
	if aerr != nil {
		return nil, aerr
	}
	size, hasSize, aerr := pageSize(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	resp := &describeInstancesResponse{}
	if ids := listValues(rq.form, "InstanceId"); len(ids) > 0 {
		if hasSize {
			return nil, newAPIError(CodeInvalidParameterCombination,
				"The parameter instancesSet cannot be used with the parameter maxResults")
		}
		found, aerr := s.resolve(rq, ids)
		if aerr != nil {
			return nil, aerr
		}
		slices.SortFunc(found, func(a, b *instance) int { return cmp.Compare(a.Seq, b.Seq) })
		resp.Reservations = s.reservationsXML(filterInstances(found, keep))
		return resp, nil
	}
	after, aerr := decodeToken(rq.form.Get("NextToken"))
	if aerr != nil {
		return nil, aerr
	}
	items, last := s.st.page(after, size, rq.now, keep)
	resp.Reservations = s.reservationsXML(items)
	if last != 0 {
		resp.NextToken = encodeToken(last)
	}
	return resp, nil
}

// pageSize reads MaxResults (5–1000, default 1000).
func pageSize(form url.Values) (int, bool, *apiError) {
	n, ok, aerr := optInt(form, "MaxResults")
	if aerr != nil {
		return 0, false, aerr
	}
	if !ok {
		return defaultPage, false, nil
	}
	if n < minPage || n > maxPage {
		return 0, false, newAPIError(CodeInvalidParameterValue,
			"Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and %d.", n, minPage, maxPage)
	}
	return n, true, nil
}

// page returns up to size visible instances launched after the one with
// sequence number after, and the sequence number to continue from (0 when
// nothing matching is left).
func (st *store) page(after uint64, size int, now time.Time, keep func(*instance) bool) ([]*instance, uint64) {
	var items []*instance
	for _, in := range st.order[st.after(after):] {
		if !visible(in, now) || !keep(in) {
			continue
		}
		if len(items) == size {
			return items, items[len(items)-1].Seq
		}
		items = append(items, in)
	}
	return items, 0
}

func filterInstances(in []*instance, keep func(*instance) bool) []*instance {
	var out []*instance
	for _, i := range in {
		if keep(i) {
			out = append(out, i)
		}
	}
	return out
}

// reservationsXML groups consecutive instances of one reservation.
func (s *Server) reservationsXML(items []*instance) []xmlReservation {
	var out []xmlReservation
	for _, in := range items {
		if n := len(out); n == 0 || out[n-1].ReservationID != in.ReservationID {
			out = append(out, xmlReservation{ReservationID: in.ReservationID, OwnerID: s.opts.AccountID})
		}
		last := &out[len(out)-1]
		last.Instances = append(last.Instances, instanceXML(in))
	}
	return out
}

func encodeToken(seq uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.FormatUint(seq, 10)))
}

// decodeToken returns the sequence number a NextToken continues after.
func decodeToken(token string) (uint64, *apiError) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err == nil {
		if num, ok := strings.CutPrefix(string(raw), tokenPrefix); ok {
			if seq, err := strconv.ParseUint(num, 10, 64); err == nil {
				return seq, nil
			}
		}
	}
	return 0, newAPIError(CodeInvalidPaginationToken, "The pagination token '%s' is not valid.", token)
}

// resolve looks up ids for a call (NotFound for unknown or not yet visible
// ids) and applies any failure injected for one of them.
func (s *Server) resolve(rq *request, ids []string) ([]*instance, *apiError) {
	found, aerr := s.st.lookup(ids, rq.now)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.faults.takeInstance(rq.action, ids); aerr != nil {
		return nil, aerr
	}
	return found, nil
}
