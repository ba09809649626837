package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/wal"
)

// maxClientToken is the longest ClientToken EC2 accepts.
const maxClientToken = 64

// ClientToken derives the RunInstances idempotency token of a decision:
// "ovi-" and the first 32 hex digits of SHA-256(decisionID), 36 ASCII
// characters. attempt is deliberately not part of the token: a retry —
// after a timeout, or by a new leader after a failover — must present the
// same token so EC2 returns the instances the first attempt launched
// instead of launching more. A changed request under the same decision
// gets IdempotentParameterMismatch, which is terminal: it needs a new
// decision, hence a new token.
func ClientToken(decisionID string, attempt int) string {
	_ = attempt
	sum := sha256.Sum256([]byte(decisionID))
	return "ovi-" + hex.EncodeToString(sum[:16])
}

// Create launches req.Count identical instances with a single RunInstances
// call and returns the ids EC2 launched, which may be fewer than asked.
//
// MinCount is 1 and MaxCount is req.Count, not MinCount = MaxCount =
// Count: with MinCount = Count a capacity shortfall
// (InsufficientInstanceCapacity) launches nothing at all, while MinCount = 1
// launches what capacity allows and the next cycle sees the remainder as
// missing and decides again (under a new decision id, so a new token).
// Idempotency is unaffected: the same token and the same parameters
// return the instances of the first call.
//
// The instances carry req.Tags plus ovi:managed=true, ovi:group and
// ovi:decision from the launch on (TagSpecifications), so FindByDecision
// can recover them even where the endpoint ignores ClientToken.
func (p *Provider) Create(ctx context.Context, req CreateRequest) (CreateResult, error) {
	in, err := runInput(req)
	if err != nil {
		return CreateResult{}, fmt.Errorf("aws: create %s: %w", req.Group, err)
	}
	out, err := p.api.RunInstances(ctx, in)
	if err != nil {
		return CreateResult{}, wrap("create "+req.Group, err)
	}
	ids := make([]string, 0, len(out.Instances))
	for _, inst := range out.Instances {
		ids = append(ids, awssdk.ToString(inst.InstanceId))
	}
	if len(ids) < req.Count {
		p.log.WarnContext(ctx, "fewer instances launched than requested",
			"group", req.Group, "decision", req.DecisionID, "requested", req.Count, "launched", len(ids))
	}
	return CreateResult{IDs: ids}, nil
}

// runInput validates a create request and builds its RunInstances input.
func runInput(req CreateRequest) (*ec2.RunInstancesInput, error) {
	if err := validateCreate(req); err != nil {
		return nil, err
	}
	tags := launchTags(req)
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	in := &ec2.RunInstancesInput{
		MinCount:     awssdk.Int32(1),
		MaxCount:     awssdk.Int32(int32(req.Count)),
		ImageId:      awssdk.String(req.ImageID),
		InstanceType: types.InstanceType(req.Size),
		ClientToken:  awssdk.String(req.ClientToken),
		TagSpecifications: []types.TagSpecification{{
			ResourceType: types.ResourceTypeInstance,
			Tags:         sdkTags(tags),
		}},
	}
	if tags[wal.TagBlessed] == "true" {
		in.DisableApiTermination = awssdk.Bool(true) // the native guard from the start (protection.go)
	}
	if req.SubnetID != "" {
		in.SubnetId = awssdk.String(req.SubnetID)
	}
	if len(req.SecurityGroups) > 0 {
		in.SecurityGroupIds = req.SecurityGroups
	}
	return in, nil
}

// maxRunCount bounds Count so it fits RunInstances' int32 MaxCount.
const maxRunCount = 1 << 20

func validateCreate(req CreateRequest) error {
	switch {
	case req.Count < 1 || req.Count > maxRunCount:
		return invalid("count %d out of range 1..%d", req.Count, maxRunCount)
	case req.Size == "":
		return invalid("empty instance size")
	case req.ImageID == "":
		return invalid("empty image id (resolve DefaultImage and record it in the decision first)")
	case req.DecisionID == "":
		return invalid("empty decision id")
	case req.Group == "":
		return invalid("empty group")
	}
	return validateToken(req.ClientToken)
}

// validateToken checks EC2's ClientToken rule: 1–64 printable ASCII
// characters.
func validateToken(tok string) error {
	if tok == "" || len(tok) > maxClientToken {
		return invalid("client token must be 1..%d ASCII characters, got %d", maxClientToken, len(tok))
	}
	for i := range len(tok) {
		if tok[i] < 0x21 || tok[i] > 0x7e {
			return invalid("client token %q has a non-printable or non-ASCII byte at %d", tok, i)
		}
	}
	return nil
}

// launchTags are the desired tags plus Ovi's management tags, which win
// over same-named desired tags.
func launchTags(req CreateRequest) map[string]string {
	tags := make(map[string]string, len(req.Tags)+3)
	maps.Copy(tags, req.Tags)
	tags[wal.TagManaged] = "true"
	tags[wal.TagGroup] = req.Group
	tags[wal.TagDecision] = req.DecisionID
	return tags
}
