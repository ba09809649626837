package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// EC2 tag limits.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// UpdateTags sets req.Set and removes req.Remove on every id: one
// CreateTags and one DeleteTags per 1000 ids, not one per instance. It
// never removes ovi:blessed (the key is dropped from Remove) and refuses
// to set it to anything but "true". One outcome per id, in order.
func (p *Provider) UpdateTags(ctx context.Context, req TagRequest) ([]reconcile.Outcome, error) {
	ids, err := cleanIDs(req.IDs)
	if err != nil {
		return nil, fmt.Errorf("aws: update tags: %w", err)
	}
	set, remove, err := tagChange(req)
	if err != nil {
		return nil, fmt.Errorf("aws: update tags: %w", err)
	}
	res := make(map[string]error, len(ids))
	todo := ids
	if len(set) > 0 {
		todo = p.applyTags(ctx, "create tags", ids, res, func(ctx context.Context, batch []string) error {
			_, err := p.api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: batch, Tags: set})
			return err
		})
	}
	if len(remove) > 0 {
		p.applyTags(ctx, "delete tags", todo, res, func(ctx context.Context, batch []string) error {
			_, err := p.api.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: batch, Tags: remove})
			return err
		})
	}
	return outcomes(ids, res), ctx.Err()
}

// applyTags runs one tag call over ids (batched), records each result in
// res and returns the ids it succeeded on.
func (p *Provider) applyTags(ctx context.Context, op string, ids []string, res map[string]error, call batchCall) []string {
	if len(ids) == 0 {
		return nil
	}
	results := p.perID(ctx, op, ids, call)
	var ok []string
	for _, id := range ids {
		res[id] = results[id]
		if results[id] == nil {
			ok = append(ok, id)
		}
	}
	return ok
}

// tagChange validates a tag request and returns the tags to set and the
// keys to delete (without values, so any value is deleted), sorted.
func tagChange(req TagRequest) ([]types.Tag, []types.Tag, error) {
	if err := validateTags(req.Set); err != nil {
		return nil, nil, err
	}
	var remove []types.Tag
	for _, k := range sortedUnique(req.Remove) {
		if k == wal.TagBlessed {
			continue // Ovi never removes the blessing
		}
		if _, ok := req.Set[k]; ok {
			return nil, nil, invalid("tag %q is both set and removed", k)
		}
		if err := validateKey(k); err != nil {
			return nil, nil, err
		}
		remove = append(remove, types.Tag{Key: awssdk.String(k)})
	}
	return sdkTags(req.Set), remove, nil
}

// validateTags checks EC2's limits: at most 50 tags, keys of 1–128
// characters outside the reserved aws: prefix, values up to 256; and
// Ovi's own rule that ovi:blessed is only ever "true".
func validateTags(tags map[string]string) error {
	if v, ok := tags[wal.TagBlessed]; ok && v != "true" {
		return invalid("%s may only be set to \"true\", not %q", wal.TagBlessed, v)
	}
	if len(tags) > maxTags {
		return invalid("%d tags; EC2 allows at most %d per resource", len(tags), maxTags)
	}
	for k, v := range tags {
		if err := validateKey(k); err != nil {
			return err
		}
		if utf8.RuneCountInString(v) > maxTagValueLen {
			return invalid("value of tag %q is longer than %d characters", k, maxTagValueLen)
		}
	}
	return nil
}

func validateKey(k string) error {
	switch {
	case k == "":
		return invalid("empty tag key")
	case utf8.RuneCountInString(k) > maxTagKeyLen:
		return invalid("tag key %.20q... is longer than %d characters", k, maxTagKeyLen)
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return invalid("tag key %q uses the reserved aws: prefix", k)
	}
	return nil
}

// sdkTags converts a tag map to EC2 tags in sorted key order.
func sdkTags(m map[string]string) []types.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]types.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Tag{Key: awssdk.String(k), Value: awssdk.String(m[k])})
	}
	return out
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
