package aws

import (
	"context"
	"errors"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// ErrStopTimeout is returned when an instance does not leave pending, or
// does not reach stopped, within Options.StopWait.
var ErrStopTimeout = errors.New("aws: instance did not reach the expected state in time")

// Resize changes an instance's type: StopInstances, wait until stopped,
// ModifyInstanceAttribute(InstanceType), StartInstances. EC2 only changes
// the type of a stopped instance; the restart replaces its public IPv4.
// A blessed instance is never stopped (CodeBlessed). An instance that was
// stopped (or stopping) already is resized and left stopped; one still
// pending is waited for first, since EC2 cannot stop it yet. If the change is refused,
// the instance is started again before the error is returned.
func (p *Provider) Resize(ctx context.Context, id, size string) error {
	if _, err := cleanIDs([]string{id}); err != nil {
		return fmt.Errorf("aws: resize: %w", err)
	}
	if size == "" {
		return fmt.Errorf("aws: resize %s: %w", id, invalid("empty instance size"))
	}
	seen, errs := p.recheck(ctx, []string{id})
	if errs[id] != nil {
		return errs[id]
	}
	inst := seen[id]
	switch {
	case inst.Tags[wal.TagBlessed] == "true":
		return blessedError("resize", id)
	case inst.Instance != nil && inst.Instance.Size == size:
		return nil
	case inst.State == string(types.InstanceStateNamePending):
		// EC2 cannot stop an instance that is still launching.
		if err := p.waitState(ctx, id, func(s types.InstanceStateName) bool { return s != types.InstanceStateNamePending }); err != nil {
			return err
		}
	}
	halted := inst.State == string(types.InstanceStateNameStopped) || inst.State == string(types.InstanceStateNameStopping)
	return p.swapType(ctx, id, size, halted)
}

// swapType is stop → wait until stopped → modify → start. A stopped
// instance is left stopped; a refused modification restarts the instance.
func (p *Provider) swapType(ctx context.Context, id, size string, wasStopped bool) error {
	if err := p.stop(ctx, id); err != nil {
		return err
	}
	if err := p.modifyType(ctx, id, size); err != nil {
		if !wasStopped {
			if serr := p.start(ctx, id); serr != nil {
				p.log.ErrorContext(ctx, "restarting after a refused resize failed", "id", id, "err", serr)
			}
		}
		return err
	}
	if wasStopped {
		return nil
	}
	return p.start(ctx, id)
}

// one runs a single-instance call, retrying InvalidInstanceID.NotFound
// within the consistency window.
func (p *Provider) one(ctx context.Context, op, id string, call batchCall) error {
	return p.perID(ctx, op, []string{id}, call)[id]
}

func (p *Provider) stop(ctx context.Context, id string) error {
	err := p.one(ctx, "stop", id, func(ctx context.Context, ids []string) error {
		_, err := p.api.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids})
		return err
	})
	if err != nil {
		return err
	}
	return p.waitStopped(ctx, id)
}

func (p *Provider) modifyType(ctx context.Context, id, size string) error {
	return p.one(ctx, "modify instance type", id, func(ctx context.Context, ids []string) error {
		_, err := p.api.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{
			InstanceId:   awssdk.String(ids[0]),
			InstanceType: &types.AttributeValue{Value: awssdk.String(size)},
		})
		return err
	})
}

func (p *Provider) start(ctx context.Context, id string) error {
	return p.one(ctx, "start", id, func(ctx context.Context, ids []string) error {
		_, err := p.api.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: ids})
		return err
	})
}

// waitStopped polls DescribeInstances until the instance is stopped.
func (p *Provider) waitStopped(ctx context.Context, id string) error {
	return p.waitState(ctx, id, func(s types.InstanceStateName) bool { return s == types.InstanceStateNameStopped })
}

// waitState polls DescribeInstances until done(state), with waits from
// Options.StopWait, giving up after StopWait.Total (ErrStopTimeout).
func (p *Provider) waitState(ctx context.Context, id string, done func(types.InstanceStateName) bool) error {
	start := p.clock.Now()
	var wait time.Duration
	for {
		state, err := p.state(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case done(state):
			return nil
		case state == types.InstanceStateNameTerminated || state == types.InstanceStateNameShuttingDown:
			return fmt.Errorf("aws: resize %s: %w", id, &reconcile.ProviderError{
				Code: "IncorrectInstanceState", Message: "instance is " + string(state), Terminal: true})
		}
		wait = p.poll.next(wait)
		if p.clock.Now().Add(wait).Sub(start) > p.poll.Total {
			return fmt.Errorf("%w: %s still %s after %s", ErrStopTimeout, id, state, p.poll.Total)
		}
		if err := p.sleep(ctx, wait); err != nil {
			return fmt.Errorf("aws: waiting for %s (%s): %w", id, state, err)
		}
	}
}

// state returns an instance's current state.
func (p *Provider) state(ctx context.Context, id string) (types.InstanceStateName, error) {
	var state types.InstanceStateName
	err := p.one(ctx, "describe", id, func(ctx context.Context, ids []string) error {
		found, err := p.describeIDs(ctx, ids)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return &reconcile.ProviderError{Code: CodeNotFound, Message: "instance not returned by DescribeInstances"}
		}
		state = stateName(found[0])
		return nil
	})
	return state, err
}
