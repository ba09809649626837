package aws

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/yairfalse/ovi/reconcile"
)

// maxBatch is the most instance ids TerminateInstances, CreateTags and
// DeleteTags take in one call.
const maxBatch = 1000

// batchCall is one EC2 call on a set of instance ids; it fails as a whole.
type batchCall func(ctx context.Context, ids []string) error

// chunks splits ids into slices of at most n.
func chunks(ids []string, n int) [][]string {
	var out [][]string
	for len(ids) > n {
		out = append(out, ids[:n:n])
		ids = ids[n:]
	}
	if len(ids) > 0 {
		out = append(out, ids)
	}
	return out
}

// cleanIDs validates and de-duplicates instance ids, keeping their order.
func cleanIDs(ids []string) ([]string, error) {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !instanceIDPattern.MatchString(id) {
			return nil, invalid("malformed instance id %q (want i-<hex>)", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// instanceIDPattern matches EC2 instance ids (i- and 8 or 17 hex digits;
// shorter and longer forms are accepted for EC2-compatible endpoints).
var instanceIDPattern = regexp.MustCompile(`^i-[0-9a-zA-Z]{1,64}$`)

// instanceScoped reports whether an error code blames particular instances
// of a batch, so splitting the batch isolates them. Other errors
// (throttling, permissions, network) fail the whole batch alike.
func instanceScoped(code string) bool {
	switch code {
	case CodeNotFound, "InvalidInstanceID.Malformed", "IncorrectInstanceState", "OperationNotPermitted":
		return true
	}
	return false
}

// quotedIDs finds instance ids named in an error message, e.g. "The
// instance IDs 'i-1, i-2' do not exist".
var quotedIDs = regexp.MustCompile(`i-[0-9a-zA-Z]+`)

// perID runs call over ids in batches of at most 1000 and returns one
// error (nil on success) per id. A batch rejected for some of its
// instances is split until they are isolated; ids not found are retried
// within the consistency window, since EC2 may not show an instance yet
// right after RunInstances.
func (p *Provider) perID(ctx context.Context, op string, ids []string, call batchCall) map[string]error {
	res := make(map[string]error, len(ids))
	for _, batch := range chunks(ids, maxBatch) {
		p.isolate(ctx, op, batch, call, res)
	}
	start := p.clock.Now()
	var wait time.Duration
	for {
		missing := notFound(ids, res)
		if len(missing) == 0 {
			return res
		}
		wait = p.consistency.next(wait)
		if p.clock.Now().Add(wait).Sub(start) > p.consistency.Total {
			return res
		}
		p.log.DebugContext(ctx, "instances not visible yet; retrying", "op", op, "count", len(missing), "wait", wait)
		if err := p.sleep(ctx, wait); err != nil {
			return res
		}
		for _, batch := range chunks(missing, maxBatch) {
			p.isolate(ctx, op, batch, call, res)
		}
	}
}

// notFound lists the ids whose result is InvalidInstanceID.NotFound.
func notFound(ids []string, res map[string]error) []string {
	var out []string
	for _, id := range ids {
		if errorCode(res[id]) == CodeNotFound {
			out = append(out, id)
		}
	}
	return out
}

// isolate calls call on ids and records each id's result in res. When the
// batch fails for some of its instances, the ids the message names are
// recorded as failed and the rest retried; failing that, the batch is
// halved (k bad ids among n cost about k·log2(n) extra calls).
func (p *Provider) isolate(ctx context.Context, op string, ids []string, call batchCall, res map[string]error) {
	err := call(ctx, ids)
	if err == nil || len(ids) == 1 || !instanceScoped(errorCode(err)) {
		for _, id := range ids {
			res[id] = wrap(op+" "+id, err)
		}
		return
	}
	if named := namedIDs(err, ids); len(named) > 0 {
		rest := make([]string, 0, len(ids)-len(named))
		for _, id := range ids {
			if slices.Contains(named, id) {
				res[id] = wrap(op+" "+id, idError(err, id))
			} else {
				rest = append(rest, id)
			}
		}
		if len(rest) > 0 {
			p.isolate(ctx, op, rest, call, res)
		}
		return
	}
	mid := len(ids) / 2
	p.isolate(ctx, op, ids[:mid], call, res)
	p.isolate(ctx, op, ids[mid:], call, res)
}

// namedIDs returns the ids of the batch that an error message names.
func namedIDs(err error, ids []string) []string {
	var out []string
	for _, m := range quotedIDs.FindAllString(err.Error(), -1) {
		if slices.Contains(ids, m) && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// idError is a batch error narrowed to one of the ids it names.
func idError(err error, id string) error {
	var pe *reconcile.ProviderError
	if !errors.As(providerError(err), &pe) {
		return err
	}
	return &reconcile.ProviderError{
		Code:     pe.Code,
		Message:  fmt.Sprintf("%s (instance %s)", pe.Message, id),
		Terminal: pe.Terminal,
	}
}

// outcomes orders per-id results as ids.
func outcomes(ids []string, res map[string]error) []reconcile.Outcome {
	out := make([]reconcile.Outcome, len(ids))
	for i, id := range ids {
		out[i] = reconcile.Outcome{ID: id, Err: res[id]}
	}
	return out
}
