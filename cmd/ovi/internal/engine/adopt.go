package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/transport"
	"github.com/yairfalse/ovi/wal"
)

// adopt serves a POST /v1/reconcile that carries an adoption: one
// reconcile.Engine.Adopt against the configuration in force (or the
// request's, put in force first unless it is a dry run), every record
// streamed through emit. A mistake in the request (an unknown unit or
// resource, a filter that does not parse) is a bad request, in one line.
func (e *Engine) adopt(ctx context.Context, req transport.ReconcileRequest, emit func(wal.Record)) error {
	sel, err := AdoptSelection(req.Adopt)
	if err != nil {
		return badAdoption(err)
	}
	var cfg *wal.ConfigApplied
	if req.Config != nil {
		cfg = &wal.ConfigApplied{Source: req.Source, Digest: req.Digest, Config: *req.Config}
	}
	_, err = e.eng.Adopt(withDesired(ctx, cfg), reconcile.AdoptRequest{Selection: sel, Config: cfg, DryRun: req.DryRun, Progress: emit})
	switch {
	case errors.Is(err, reconcile.ErrAdoptInput):
		return badAdoption(err)
	case errors.Is(err, reconcile.ErrNoConfig):
		return transport.Errorf(transport.CodeBadRequest, "adopt: no configuration in force yet; apply one with ovi reconcile first")
	}
	return err
}

// AdoptSelection reads the wire form of an adoption's selection.
func AdoptSelection(in *transport.AdoptRequest) (reconcile.AdoptSelection, error) {
	sel := reconcile.AdoptSelection{Into: in.Into, IDs: in.IDs, Matching: in.Matching, Approved: in.Approved}
	if in.Kind != "" {
		k, err := wal.ParseResourceKind(in.Kind)
		if err != nil {
			return sel, fmt.Errorf("%w: --kind %q: want ec2, security_group or ebs_volume", reconcile.ErrAdoptInput, in.Kind)
		}
		sel.Kind = k
	}
	for _, f := range in.Filters {
		tf, err := reconcile.ParseTagFilter(f)
		if err != nil {
			return sel, err
		}
		sel.Filters = append(sel.Filters, tf)
	}
	return sel, nil
}

// badAdoption is the API error for a mistake in an adoption request: its
// message without the "adopt: " the CLI already says.
func badAdoption(err error) error {
	return transport.Errorf(transport.CodeBadRequest, "%s", strings.TrimPrefix(err.Error(), reconcile.ErrAdoptInput.Error()+": "))
}
