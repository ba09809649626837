package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// EC2 codes a repeated rule call answers when the rule is already as wanted.
const (
	codePermissionDuplicate = "InvalidPermission.Duplicate"
	codePermissionNotFound  = "InvalidPermission.NotFound"
)

// Execute implements reconcile.Executor for security groups: one decision
// per call, but tag changes batched (one CreateTags/DeleteTags for every
// group of the batch).
func (k securityGroupKind) Execute(ctx context.Context, call reconcile.Call) reconcile.CallResult {
	if call.Action == wal.ActionUpdateTags {
		d := call.Decisions[0].Action
		outs, err := k.p.tagAll(ctx, "security group", TagRequest{IDs: call.IDs(), Set: d.SetTags, Remove: d.RemoveTags})
		return reconcile.CallResult{Errs: reconcile.SpreadOutcomes(call, outs, err)}
	}
	errs := make([]error, len(call.Decisions))
	for i, d := range call.Decisions {
		switch call.Action {
		case wal.ActionCreate:
			id, err := k.create(ctx, call, d)
			if err != nil {
				errs[i] = err
				continue
			}
			return reconcile.CallResult{Errs: errs, Created: []string{id}}
		case wal.ActionDelete:
			errs[i] = k.delete(ctx, d.Action.ResourceID)
		case wal.ActionAuthorize, wal.ActionRevoke:
			errs[i] = k.changeRule(ctx, d.Action)
		case wal.ActionAdopt:
			errs[i] = k.p.adoptOne(ctx, d.Action)
		default:
			errs[i] = invalid("security groups have no %s action", call.Action)
		}
	}
	return reconcile.CallResult{Errs: errs}
}

// spec is the desired group of a create (its unit's spec; the group name
// alone if the unit has left the file since the decision).
func spec(call reconcile.Call, a reconcile.PlannedAction) wal.SecurityGroup {
	if call.Unit != nil && call.Unit.Spec != nil && call.Unit.Spec.SecurityGroup != nil {
		return *call.Unit.Spec.SecurityGroup
	}
	return wal.SecurityGroup{Name: a.Group, Description: reconcile.DefaultSecurityGroupDescription}
}

// create makes the group, idempotently: a group already tagged with this
// decision (an earlier attempt whose outcome was lost) is the result.
// Then it sets the desired rules; a rule that fails is left to the next
// cycle's drift repair, the group exists either way.
func (k securityGroupKind) create(ctx context.Context, call reconcile.Call, d reconcile.CallDecision) (string, error) {
	want := spec(call, d.Action)
	found, err := k.describeRaw(ctx, types.Filter{Name: awssdk.String("tag:" + wal.TagDecision), Values: []string{d.DecisionID}})
	if err != nil {
		return "", wrap("find security group of decision "+d.DecisionID, err)
	}
	if len(found) > 0 {
		return awssdk.ToString(found[0].GroupId), nil
	}
	tags := make(map[string]string, len(d.Action.SetTags)+1)
	for key, v := range d.Action.SetTags {
		tags[key] = v
	}
	tags[wal.TagDecision] = d.DecisionID
	in := &ec2.CreateSecurityGroupInput{GroupName: awssdk.String(want.Name), Description: awssdk.String(want.Description),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: sdkTags(tags)}}}
	if want.VpcID != "" {
		in.VpcId = awssdk.String(want.VpcID)
	}
	out, err := k.p.api.CreateSecurityGroup(ctx, in)
	if err != nil {
		return "", wrap("create security group "+want.Name, err)
	}
	id := awssdk.ToString(out.GroupId)
	k.setRules(ctx, id, want)
	return id, nil
}

// setRules brings a new group (no ingress, all traffic out) to want.
func (k securityGroupKind) setRules(ctx context.Context, id string, want wal.SecurityGroup) {
	for _, a := range ruleChanges(id, want) {
		if err := k.changeRule(ctx, a); err != nil {
			k.p.log.Warn("aws: rule of a new security group not set; the next cycle repairs it",
				"group", id, "rule", a.Rule.String(), "err", err)
		}
	}
}

// ruleChanges are the rule calls that take a new group (no ingress, all
// traffic out) to want.
func ruleChanges(id string, want wal.SecurityGroup) []reconcile.PlannedAction {
	allOut := wal.Rule{Protocol: wal.ProtocolAll, FromPort: -1, ToPort: -1, CIDR: "0.0.0.0/0"}
	var changes []reconcile.PlannedAction
	for _, r := range want.Ingress {
		changes = append(changes, ruleAction(wal.ActionAuthorize, id, false, r))
	}
	for _, r := range want.Egress {
		if r != allOut {
			changes = append(changes, ruleAction(wal.ActionAuthorize, id, true, r))
		}
	}
	if !slices.Contains(want.Egress, allOut) {
		changes = append(changes, ruleAction(wal.ActionRevoke, id, true, allOut))
	}
	return changes
}

func ruleAction(action wal.Action, id string, egress bool, r wal.Rule) reconcile.PlannedAction {
	return reconcile.PlannedAction{Action: action, ResourceID: id, Rule: &wal.RuleChange{Egress: egress, Rule: r}}
}

// changeRule authorizes or revokes one rule. A rule already present (or
// already gone) is success: a repeated call after a failover changes
// nothing.
func (k securityGroupKind) changeRule(ctx context.Context, a reconcile.PlannedAction) error {
	if a.Rule == nil {
		return invalid("%s without a rule", a.Action)
	}
	peer, err := k.peerID(ctx, a.Rule.Rule.Group)
	if err != nil {
		return err
	}
	perms := []types.IpPermission{permission(a.Rule.Rule, peer)}
	id := awssdk.String(a.ResourceID)
	switch ruleOperation(a.Action, a.Rule.Egress) {
	case opAuthorizeEgress:
		_, err = k.p.api.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: id, IpPermissions: perms})
	case opAuthorizeIngress:
		_, err = k.p.api.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: id, IpPermissions: perms})
	case opRevokeEgress:
		_, err = k.p.api.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: id, IpPermissions: perms})
	default:
		_, err = k.p.api.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: id, IpPermissions: perms})
	}
	switch code := errorCode(providerError(err)); {
	case err == nil, a.Action == wal.ActionAuthorize && code == codePermissionDuplicate,
		a.Action == wal.ActionRevoke && code == codePermissionNotFound:
		return nil
	}
	return wrap(a.Action.String()+" "+a.Rule.String()+" on "+a.ResourceID, err)
}

// The EC2 operations of rule changes.
const (
	opAuthorizeIngress = "AuthorizeSecurityGroupIngress"
	opAuthorizeEgress  = "AuthorizeSecurityGroupEgress"
	opRevokeIngress    = "RevokeSecurityGroupIngress"
	opRevokeEgress     = "RevokeSecurityGroupEgress"
)

// ruleOperation is the EC2 operation that authorizes or revokes a rule.
func ruleOperation(action wal.Action, egress bool) string {
	switch {
	case action == wal.ActionAuthorize && egress:
		return opAuthorizeEgress
	case action == wal.ActionAuthorize:
		return opAuthorizeIngress
	case egress:
		return opRevokeEgress
	}
	return opRevokeIngress
}

// peerID resolves a rule's group peer: an id stays, a name is the
// Ovi-managed group of that name.
func (k securityGroupKind) peerID(ctx context.Context, group string) (string, error) {
	if group == "" || strings.HasPrefix(group, "sg-") {
		return group, nil
	}
	ids, err := k.ResolveNames(ctx, []string{group})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// ResolveNames turns names of Ovi-managed security groups into their ids
// (ids are kept), in one DescribeSecurityGroups; an unknown name is a
// terminal InvalidGroup.NotFound.
func (k securityGroupKind) ResolveNames(ctx context.Context, refs []string) ([]string, error) {
	var names []string
	for _, r := range refs {
		if !strings.HasPrefix(r, "sg-") {
			names = append(names, r)
		}
	}
	if len(names) == 0 {
		return refs, nil
	}
	found, err := k.describeRaw(ctx, types.Filter{Name: awssdk.String("tag:" + wal.TagGroup), Values: names},
		types.Filter{Name: awssdk.String("tag:" + wal.TagManaged), Values: []string{"true"}})
	if err != nil {
		return nil, wrap("resolve security group names", err)
	}
	byName := make(map[string]string, len(found))
	for name, id := range invert(managedNames(found)) {
		byName[name] = id
	}
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r
		if !strings.HasPrefix(r, "sg-") {
			if out[i] = byName[r]; out[i] == "" {
				return nil, &reconcile.ProviderError{Code: "InvalidGroup.NotFound", Terminal: true,
					Message: fmt.Sprintf("no Ovi-managed security group named %q", r)}
			}
		}
	}
	return out, nil
}

// invert maps names to ids; of several groups with one name, the
// smallest id wins (deterministic).
func invert(ids map[string]string) map[string]string {
	out := make(map[string]string, len(ids))
	for id, name := range ids {
		if cur, ok := out[name]; !ok || id < cur {
			out[name] = id
		}
	}
	return out
}

// delete removes a group, re-checking first that it is not blessed.
func (k securityGroupKind) delete(ctx context.Context, id string) error {
	found, err := k.describeRaw(ctx, types.Filter{Name: awssdk.String("group-id"), Values: []string{id}})
	if err != nil {
		return wrap("check security group "+id, err)
	}
	if len(found) == 0 {
		return nil // already gone
	}
	if tagMap(found[0].Tags)[wal.TagBlessed] == "true" {
		return &reconcile.ProviderError{Code: reconcile.CodeProtected, Message: "Protected: tagged ovi:blessed", Terminal: true}
	}
	_, err = k.p.api.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: awssdk.String(id)})
	return wrap("delete security group "+id, err)
}
