package aws

import (
	"context"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/wal"
)

// Termination protection (EC2's DisableApiTermination) is the native guard
// Ovi keeps on blessed instances beside the ovi:blessed tag.
//
// Cost: DescribeInstances does not return the attribute and cannot filter
// on it, and DescribeInstanceAttribute answers one attribute of one
// instance, so reading it costs one call per instance. Observe reads it for
// the managed blessed instances only (the only ones Ovi guards): a cycle
// costs ceil(N/1000) DescribeInstances plus B DescribeInstanceAttribute
// calls for B managed blessed instances (Describe bucket: 100 burst, 20/s).
// Unblessed instances show the attribute off without a call. A blessed
// group's launches set it in RunInstances itself (no extra call).

// fillProtection reads the termination protection of the managed blessed
// instances in res, one DescribeInstanceAttribute each. An instance that
// went away between the two calls keeps the attribute off; any other
// error fails the observation.
func (p *Provider) fillProtection(ctx context.Context, res []wal.Resource) error {
	for i := range res {
		r := &res[i]
		if !readsProtection(r) {
			continue
		}
		out, err := p.api.DescribeInstanceAttribute(ctx, &ec2.DescribeInstanceAttributeInput{
			InstanceId: awssdk.String(r.ID), Attribute: types.InstanceAttributeNameDisableApiTermination})
		if errorCode(providerError(err)) == CodeNotFound {
			continue
		}
		if err != nil {
			return wrap("describe termination protection of "+r.ID, err)
		}
		if out.DisableApiTermination != nil {
			r.Instance.TerminationProtection = awssdk.ToBool(out.DisableApiTermination.Value)
		}
	}
	return nil
}

// Protect sets termination protection on one instance
// (ModifyInstanceAttribute takes one instance a call). Setting it again is
// harmless, so a repeated call after a failover is idempotent.
func (p *Provider) Protect(ctx context.Context, id string) error {
	if !instanceIDPattern.MatchString(id) {
		return wrap("protect", invalid("malformed instance id %q (want i-<hex>)", id))
	}
	_, err := p.api.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{
		InstanceId: awssdk.String(id), DisableApiTermination: &types.AttributeBooleanValue{Value: awssdk.Bool(true)}})
	return wrap("protect "+id, err)
}

// readsProtection reports whether Observe reads r's termination protection:
// a managed blessed instance.
func readsProtection(r *wal.Resource) bool {
	return r.Managed && r.Blessed() && r.Instance != nil
}

// guardedCount is the number of resources in rs whose protection Observe
// reads (one DescribeInstanceAttribute each).
func guardedCount(rs []wal.Resource) int {
	n := 0
	for i := range rs {
		if readsProtection(&rs[i]) {
			n++
		}
	}
	return n
}
