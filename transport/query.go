package transport

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// Query parameter names of the read endpoints.
const (
	qRevision    = "revision"
	qPrefix      = "prefix"
	qConsistency = "consistency"
	qKey         = "key"
	qFrom        = "from"
	qTo          = "to"
	qResourceID  = "resource_id"
	qKind        = "kind"
	qSince       = "since"
	qUntil       = "until"
	qAfter       = "after"
	qLimit       = "limit"
	qLast        = "last"
)

// WAL query limits: a query asks for at most MaxWALLimit records; one
// without a limit gets at most DefaultWALLimit per answer (with More set
// when it was cut short). Client.WAL pages through such answers itself.
const (
	MaxWALLimit     = 100000
	DefaultWALLimit = 10000
)

// Values encodes q as query parameters.
func (q StateQuery) Values() url.Values {
	v := url.Values{}
	setUint(v, qRevision, q.Revision)
	setStr(v, qPrefix, q.Prefix)
	setStr(v, qConsistency, string(q.Consistency))
	return v
}

// ParseStateQuery decodes GET /v1/state parameters.
func ParseStateQuery(v url.Values) (StateQuery, error) {
	var q StateQuery
	var err error
	if q.Revision, err = parseUint(v, qRevision); err != nil {
		return q, err
	}
	q.Prefix = v.Get(qPrefix)
	q.Consistency, err = ParseConsistency(v.Get(qConsistency))
	return q, err
}

// Values encodes q as query parameters.
func (q HistoryQuery) Values() url.Values {
	v := url.Values{}
	setStr(v, qKey, q.Key)
	setStr(v, qConsistency, string(q.Consistency))
	return v
}

// ParseHistoryQuery decodes GET /v1/state/history parameters.
func ParseHistoryQuery(v url.Values) (HistoryQuery, error) {
	q := HistoryQuery{Key: v.Get(qKey)}
	if q.Key == "" {
		return q, fmt.Errorf("transport: parameter %q is required", qKey)
	}
	var err error
	q.Consistency, err = ParseConsistency(v.Get(qConsistency))
	return q, err
}

// Values encodes q as query parameters.
func (q DiffQuery) Values() url.Values {
	v := url.Values{}
	v.Set(qFrom, strconv.FormatUint(q.From, 10))
	v.Set(qTo, strconv.FormatUint(q.To, 10))
	setStr(v, qConsistency, string(q.Consistency))
	return v
}

// ParseDiffQuery decodes GET /v1/state/diff parameters.
func ParseDiffQuery(v url.Values) (DiffQuery, error) {
	var q DiffQuery
	var err error
	if q.From, err = parseUint(v, qFrom); err != nil {
		return q, err
	}
	if q.To, err = parseUint(v, qTo); err != nil {
		return q, err
	}
	q.Consistency, err = ParseConsistency(v.Get(qConsistency))
	return q, err
}

// Values encodes q as query parameters. Kinds are comma-separated names,
// times RFC 3339 with nanoseconds, After as "main" or "main.sub".
func (q WALQuery) Values() url.Values {
	v := url.Values{}
	setStr(v, qResourceID, q.ResourceID)
	if len(q.Kinds) > 0 {
		names := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			names[i] = k.String()
		}
		v.Set(qKind, strings.Join(names, ","))
	}
	setTime(v, qSince, q.Since)
	setTime(v, qUntil, q.Until)
	if q.After != (Revision{}) {
		v.Set(qAfter, fmt.Sprintf("%d.%d", q.After.Main, q.After.Sub))
	}
	if q.Limit > 0 {
		v.Set(qLimit, strconv.Itoa(q.Limit))
	}
	if q.Last {
		v.Set(qLast, "true")
	}
	setStr(v, qConsistency, string(q.Consistency))
	return v
}

// ParseWALQuery decodes GET /v1/wal and /v1/wal/follow parameters.
func ParseWALQuery(v url.Values) (WALQuery, error) {
	q := WALQuery{ResourceID: v.Get(qResourceID)}
	var err error
	if q.Kinds, err = parseKinds(v[qKind]); err != nil {
		return q, err
	}
	if q.Since, err = parseTime(v, qSince); err != nil {
		return q, err
	}
	if q.Until, err = parseTime(v, qUntil); err != nil {
		return q, err
	}
	if q.After, err = ParseRevision(v.Get(qAfter)); err != nil {
		return q, err
	}
	if q.Limit, err = parseLimit(v.Get(qLimit)); err != nil {
		return q, err
	}
	if q.Last, err = parseLast(v.Get(qLast), q.Limit); err != nil {
		return q, err
	}
	q.Consistency, err = ParseConsistency(v.Get(qConsistency))
	return q, err
}

// parseLast reads the "last" parameter: "true" asks for the last limit
// records, which needs a limit.
func parseLast(s string, limit int) (bool, error) {
	switch {
	case s == "" || s == "false":
		return false, nil
	case s != "true":
		return false, fmt.Errorf("transport: parameter %q must be true or false, got %q", qLast, s)
	case limit == 0:
		return false, fmt.Errorf("transport: parameter %q needs %q", qLast, qLimit)
	}
	return true, nil
}

// ParseRevision parses "main" or "main.sub" ("" = zero).
func ParseRevision(s string) (Revision, error) {
	if s == "" {
		return Revision{}, nil
	}
	mainPart, subPart, hasSub := strings.Cut(s, ".")
	m, err := strconv.ParseUint(mainPart, 10, 64)
	if err != nil {
		return Revision{}, fmt.Errorf("transport: bad revision %q (want N or N.SUB)", s)
	}
	var sub uint64
	if hasSub {
		if sub, err = strconv.ParseUint(subPart, 10, 32); err != nil {
			return Revision{}, fmt.Errorf("transport: bad revision %q (want N or N.SUB)", s)
		}
	}
	return Revision{Main: m, Sub: uint32(sub)}, nil
}

func parseKinds(raw []string) ([]wal.Kind, error) {
	var kinds []wal.Kind
	for _, item := range raw {
		for name := range strings.SplitSeq(item, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			k, err := wal.ParseKind(name)
			if err != nil {
				return nil, fmt.Errorf("transport: parameter %q: %w", qKind, err)
			}
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

func parseLimit(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxWALLimit {
		return 0, fmt.Errorf("transport: parameter %q must be between 0 and %d, got %q", qLimit, MaxWALLimit, s)
	}
	return n, nil
}

func parseUint(v url.Values, name string) (uint64, error) {
	s := v.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("transport: parameter %q must be a non-negative integer, got %q", name, s)
	}
	return n, nil
}

func parseTime(v url.Values, name string) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("transport: parameter %q must be an RFC 3339 time, got %q", name, s)
	}
	return t, nil
}

func setStr(v url.Values, name, s string) {
	if s != "" {
		v.Set(name, s)
	}
}

func setUint(v url.Values, name string, n uint64) {
	if n != 0 {
		v.Set(name, strconv.FormatUint(n, 10))
	}
}

func setTime(v url.Values, name string, t time.Time) {
	if !t.IsZero() {
		v.Set(name, t.UTC().Format(time.RFC3339Nano))
	}
}
