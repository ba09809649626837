package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// isAdoptionTag reports the only tags an adoption may write: Ovi's
// management tags. Adoption never removes a tag and never touches a user's
// tag, nor ovi:blessed (a blessed resource is adopted and stays blessed).
func isAdoptionTag(k string) bool {
	return k == wal.TagManaged || k == wal.TagGroup || k == wal.TagDecision
}

// adopt writes the management tags of each adopt decision of call on its
// resource: one CreateTags per decision (each carries its own
// ovi:decision), of any kind (CreateTags takes instances, security groups
// and volumes alike). Writing the same tags again is a no-op, so a new
// leader retrying an interrupted adoption is safe. One error per decision.
func (p *Provider) adopt(ctx context.Context, call reconcile.Call) []error {
	errs := make([]error, len(call.Decisions))
	for i, d := range call.Decisions {
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		errs[i] = p.adoptOne(ctx, d.Action)
	}
	return errs
}

func (p *Provider) adoptOne(ctx context.Context, a reconcile.PlannedAction) error {
	if err := checkAdoption(a); err != nil {
		return err
	}
	_, err := p.api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{a.ResourceID}, Tags: sdkTags(a.SetTags)})
	return wrap("adopt "+a.ResourceID, err)
}

// checkAdoption refuses an adopt decision that would write anything but
// ovi:managed=true, the unit's ovi:group and an ovi:decision.
func checkAdoption(a reconcile.PlannedAction) error {
	if len(a.RemoveTags) > 0 {
		return invalid("adopt %s: adoption never removes tags (asked to remove %v)", a.ResourceID, a.RemoveTags)
	}
	for k, v := range a.SetTags {
		if !isAdoptionTag(k) {
			return invalid("adopt %s: adoption writes only Ovi's management tags, not %q", a.ResourceID, k)
		}
		if (k == wal.TagManaged && v != "true") || v == "" {
			return invalid("adopt %s: tag %s=%q", a.ResourceID, k, v)
		}
	}
	if a.SetTags[wal.TagGroup] == "" || a.SetTags[wal.TagManaged] == "" {
		return invalid("adopt %s: needs %s and %s", a.ResourceID, wal.TagManaged, wal.TagGroup)
	}
	return validateTags(a.SetTags)
}
