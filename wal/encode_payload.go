package wal

// record writes the record body: the common header, then the payload of
// its kind. Field order is the format; see docs/architecture/wal-system.md.
func (e *encoder) record(r *Record) {
	e.needs(e.version >= minFormat(r.Kind), "record", "kind ", r.Kind.String())
	e.u8(uint8(r.Kind))
	e.str("resource_id", r.ResourceID)
	e.time("time", r.Time)
	e.str("node", r.Node)
	e.uvarint(r.Term)
	e.str("decision_id", r.DecisionID)
	e.str("cycle_id", r.CycleID)
	switch r.Kind {
	case KindObserved:
		e.observed(r.Observed)
	case KindDecided:
		e.decided(r.Decided)
	case KindExecuting:
		e.executing(r.Executing)
	case KindExecuted:
		e.executed(r.Executed)
	case KindFailed:
		e.failed(r.Failed)
	case KindConfigApplied:
		e.configApplied(r.Config)
	case KindCycleSummary:
		e.summary(r.Summary)
	case KindCompaction:
		e.compaction(r.Compaction)
	case KindNote:
		e.str("note.text", r.Note.Text)
	case KindRestore:
		e.restore(r.Restore)
	case KindLeadership:
		e.str("leadership.leader", r.Leadership.Leader)
		e.str("leadership.previous", r.Leadership.Previous)
		e.str("leadership.reason", r.Leadership.Reason)
	case KindDelivery:
		e.delivery(r.Delivery)
	}
}

func (e *encoder) observed(p *Observed) {
	e.u8(uint8(p.Change))
	e.resource(&p.Resource)
}

func (e *encoder) decided(p *Decided) {
	if e.version >= FormatV2 {
		e.action(p.Action)
	} else {
		e.u8(uint8(p.Action))
	}
	e.u8(uint8(p.Drift))
	if e.version >= FormatV2 {
		e.u8(uint8(p.ResourceKind))
	} else {
		e.needs(p.ResourceKind == ResourceInstance && p.Action <= ActionReport, "decision", p.ResourceKind.String(), " ", p.Action.String())
	}
	e.str("decided.reason", p.Reason)
	e.bool(p.DryRun)
	e.str("decided.group", p.Group)
	e.int(p.Count)
	e.decidedSize(p)
	e.str("decided.image_id", p.ImageID)
	e.strMap("decided.set_tags", p.SetTags)
	e.strs("decided.remove_tags", p.RemoveTags)
	if e.version >= FormatV3 {
		e.ruleChange(p.Rule)
	} else {
		e.needs(p.Rule == nil, "decision", "a security group rule")
	}
	if e.version >= FormatV5 {
		e.str("decided.adoptable", p.Adoptable)
	} // older formats leave the adoption hint out: it is not part of what the decision does
	if e.version >= FormatV6 {
		e.volumeTarget(p.Volume)
	} // older formats wrote the target's text in Size (decidedSize)
}

// action writes an action; the first release knew up to Report, formats
// 2 to 4 up to Detach (adopt needs format 5).
func (e *encoder) action(a Action) {
	e.needs(a <= maxAction(e.version), "record", "action ", a.String())
	e.u8(uint8(a))
}

// maxAction is the last action a format can say.
func maxAction(version byte) Action {
	switch {
	case version < FormatV2:
		return ActionReport
	case version < FormatV5:
		return ActionDetach
	}
	return lastAction
}

func (e *encoder) executing(p *Executing) {
	e.action(p.Action)
	e.str("executing.description", p.Description)
	e.str("executing.client_token", p.ClientToken)
	e.int(p.Attempt)
}

func (e *encoder) executed(p *Executed) {
	e.action(p.Action)
	e.str("executed.message", p.Message)
	e.strs("executed.resource_ids", p.ResourceIDs)
	e.bool(p.Recovered)
}

func (e *encoder) failed(p *Failed) {
	e.action(p.Action)
	e.str("failed.code", p.Code)
	e.str("failed.message", p.Message)
	e.bool(p.Retryable)
}

func (e *encoder) configApplied(p *ConfigApplied) {
	e.str("config.source", p.Source)
	e.str("config.digest", p.Digest)
	c := &p.Config
	e.str("config.version", c.Version)
	e.str("config.provider", c.Provider)
	e.str("config.region", c.Region)
	e.str("config.endpoint", c.Endpoint)
	e.bool(c.Policy.DeleteUnwanted)
	e.int(c.Policy.MaxDeletions)
	e.bool(c.Policy.AllowDisruptive)
	e.uvarint(uint64(len(c.Groups)))
	for i := range c.Groups {
		e.group(&c.Groups[i])
	}
	if e.version < FormatV2 {
		e.needs(len(c.Resources) == 0, "configuration", "named resources")
		return
	}
	e.uvarint(uint64(len(c.Resources)))
	for i := range c.Resources {
		e.spec(&c.Resources[i])
	}
}

func (e *encoder) group(g *Group) {
	e.str("group.name", g.Name)
	e.str("group.type", g.Type)
	e.int(g.Count)
	e.str("group.size", g.Size)
	e.str("group.image", g.Image)
	e.str("group.subnet_id", g.SubnetID)
	e.strs("group.security_groups", g.SecurityGroups)
	e.strMap("group.tags", g.Tags)
	if e.version >= FormatV2 {
		e.bool(g.Unnamed)
	}
}

func (e *encoder) summary(p *CycleSummary) {
	e.bool(p.DryRun)
	e.int(p.Observed)
	e.int(p.InSync)
	e.int(p.Missing)
	e.int(p.Unwanted)
	e.int(p.Drifted)
	e.int(p.Unmanaged)
	e.int(p.Actions)
	e.int(p.Failures)
	e.varint(p.DurationMS)
	if e.version >= FormatV3 { // older formats carry no Decide inputs: that cycle cannot be replayed
		e.decideInputs(p.Inputs)
	}
	if e.version >= FormatV5 { // older formats carry no budget: that cycle shows none
		e.budget(p.Budget)
	}
}

func (e *encoder) restore(p *Restore) {
	e.str("restore.snapshot", p.Snapshot)
	e.uvarint(p.FromRevision)
	e.uvarint(p.ToRevision)
	e.uvarint(p.Dropped)
	e.str("restore.scope", p.Scope)
	e.str("restore.via", p.Via)
}

// compaction writes the compaction payload; format 5 adds the audit-log
// retention point and the policy that chose the revisions.
func (e *encoder) compaction(p *Compaction) {
	e.uvarint(p.Revision)
	if e.version >= FormatV5 {
		e.uvarint(p.Audit)
		e.str("compaction.policy", p.Policy)
	} else {
		e.needs(p.Audit == 0 && p.Policy == "", "compaction", "audit-log retention or a policy")
	}
}
