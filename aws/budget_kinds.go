package aws

import (
	"time"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// ObserveCalls implements reconcile.Budgeter: ceil(n/1000)
// DescribeSecurityGroups (Observe).
func (k securityGroupKind) ObserveCalls(observed []wal.Resource) []reconcile.OperationCalls {
	return []reconcile.OperationCalls{calls("DescribeSecurityGroups", describePages(len(observed), pageSize))}
}

// ResolveCalls implements reconcile.Budgeter: security groups resolve
// nothing.
func (k securityGroupKind) ResolveCalls(reconcile.PlannedAction) []reconcile.OperationCalls {
	return nil
}

// BudgetTime implements reconcile.Budgeter.
func (k securityGroupKind) BudgetTime(ocs []reconcile.OperationCalls) (time.Duration, time.Duration) {
	return k.p.BudgetTime(ocs)
}

// ExecuteCalls implements reconcile.Budgeter for Execute: a create looks
// for the decision's group, creates it and sets its rules (ruleChanges,
// with the new group's id standing in); a delete checks, then deletes;
// tags are one CreateTags/DeleteTags for the batch; a rule is one
// Authorize/Revoke call (after a DescribeSecurityGroups when its peer is a
// group name).
func (k securityGroupKind) ExecuteCalls(call reconcile.Call) []reconcile.OperationCalls {
	var out []reconcile.OperationCalls
	switch call.Action {
	case wal.ActionCreate:
		out = append(out, calls("DescribeSecurityGroups", 1), calls("CreateSecurityGroup", 1))
		for _, a := range ruleChanges("sg-new", spec(call, call.Decisions[0].Action)) {
			out = append(out, ruleCalls(a)...)
		}
	case wal.ActionDelete:
		for range call.Decisions {
			out = append(out, calls("DescribeSecurityGroups", 1), calls("DeleteSecurityGroup", 1))
		}
	case wal.ActionUpdateTags:
		d := call.Decisions[0].Action
		out = tagCalls(TagRequest{IDs: call.IDs(), Set: d.SetTags, Remove: d.RemoveTags}, 0)
	case wal.ActionAuthorize, wal.ActionRevoke:
		for _, d := range call.Decisions {
			out = append(out, ruleCalls(d.Action)...)
		}
	case wal.ActionAdopt:
		out = adoptCalls(call)
	}
	return out
}

// ruleCalls are the calls of one rule change (changeRule).
func ruleCalls(a reconcile.PlannedAction) []reconcile.OperationCalls {
	if a.Rule == nil {
		return nil
	}
	lookup := min(namedGroups(nonEmpty(a.Rule.Rule.Group)), 1)
	return nonZero(calls("DescribeSecurityGroups", lookup), calls(ruleOperation(a.Action, a.Rule.Egress), 1))
}

// nonEmpty is s as a list, empty when s is.
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// ObserveCalls implements reconcile.Budgeter: ceil(n/500) DescribeVolumes
// (Observe).
func (k volumeKind) ObserveCalls(observed []wal.Resource) []reconcile.OperationCalls {
	return []reconcile.OperationCalls{calls("DescribeVolumes", describePages(len(observed), volumePageSize))}
}

// ResolveCalls implements reconcile.Budgeter: volumes resolve nothing.
func (k volumeKind) ResolveCalls(reconcile.PlannedAction) []reconcile.OperationCalls { return nil }

// BudgetTime implements reconcile.Budgeter.
func (k volumeKind) BudgetTime(ocs []reconcile.OperationCalls) (time.Duration, time.Duration) {
	return k.p.BudgetTime(ocs)
}

// ExecuteCalls implements reconcile.Budgeter for Execute: one call per
// volume (EBS takes one volume per call), a describe first where the
// volume is re-checked (detach, delete), tags batched.
func (k volumeKind) ExecuteCalls(call reconcile.Call) []reconcile.OperationCalls {
	if call.Action == wal.ActionAdopt {
		return adoptCalls(call)
	}
	if call.Action == wal.ActionUpdateTags {
		d := call.Decisions[0].Action
		return tagCalls(TagRequest{IDs: call.IDs(), Set: d.SetTags, Remove: d.RemoveTags}, 0)
	}
	one := map[wal.Action][]reconcile.OperationCalls{
		wal.ActionCreate: {calls("CreateVolume", 1)},
		wal.ActionModify: {calls("ModifyVolume", 1)},
		wal.ActionAttach: {calls("AttachVolume", 1)},
		wal.ActionDetach: {calls("DescribeVolumes", 1), calls("DetachVolume", 1)},
		wal.ActionDelete: {calls("DescribeVolumes", 1), calls("DeleteVolume", 1)},
	}[call.Action]
	n := len(call.Decisions)
	if call.Action == wal.ActionCreate {
		n = 1
	}
	var out []reconcile.OperationCalls
	for range n {
		out = append(out, one...)
	}
	return out
}
