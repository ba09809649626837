package wal

import "fmt"

// record reads the record body written by encoder.record. The kind and the
// payload enums are checked here, so a decoded record is always valid.
func (d *decoder) record() Record {
	var r Record
	r.Kind = Kind(d.u8("kind"))
	if d.err == nil && !r.Kind.Valid() {
		d.fail("kind", fmt.Sprintf("unknown record kind %d", uint8(r.Kind)))
	}
	if d.err == nil && d.version < minFormat(r.Kind) {
		d.fail("kind", fmt.Sprintf("record kind %s needs format %d", r.Kind, minFormat(r.Kind)))
	}
	r.ResourceID = d.str("resource_id")
	r.Time = d.time("time")
	r.Node = d.str("node")
	r.Term = d.uvarint("term")
	r.DecisionID = d.str("decision_id")
	r.CycleID = d.str("cycle_id")
	if d.err != nil {
		return Record{}
	}
	d.payload(&r)
	return r
}

// payload reads the payload matching r.Kind into r.
func (d *decoder) payload(r *Record) {
	switch r.Kind {
	case KindObserved:
		r.Observed = d.observed()
	case KindDecided:
		r.Decided = d.decided()
	case KindExecuting:
		r.Executing = d.executing()
	case KindExecuted:
		r.Executed = d.executed()
	case KindFailed:
		r.Failed = d.failed()
	case KindConfigApplied:
		r.Config = d.configApplied()
	case KindCycleSummary:
		r.Summary = d.summary()
	case KindCompaction:
		r.Compaction = d.compaction()
	case KindNote:
		r.Note = &Note{Text: d.str("note.text")}
	case KindRestore:
		r.Restore = d.restore()
	case KindLeadership:
		r.Leadership = &Leadership{Leader: d.str("leadership.leader"),
			Previous: d.str("leadership.previous"), Reason: d.str("leadership.reason")}
	case KindDelivery:
		r.Delivery = d.delivery()
	}
}

func (d *decoder) action(field string) Action {
	a := Action(d.u8(field))
	if d.err == nil && (!a.Valid() || (d.version >= FormatV2 && a > maxAction(d.version))) {
		d.fail(field, fmt.Sprintf("unknown action %d", uint8(a)))
	}
	return a
}

func (d *decoder) observed() *Observed {
	p := &Observed{Change: ObservedChange(d.u8("observed.change"))}
	if d.err == nil && !p.Change.Valid() {
		d.fail("observed.change", fmt.Sprintf("unknown observation change %d", uint8(p.Change)))
	}
	d.resource(&p.Resource)
	return p
}

func (d *decoder) decided() *Decided {
	p := &Decided{Action: d.action("decided.action"), Drift: Drift(d.u8("decided.drift"))}
	if d.err == nil && !p.Drift.Valid() {
		d.fail("decided.drift", fmt.Sprintf("unknown drift %d", uint8(p.Drift)))
	}
	p.ResourceKind = ResourceInstance // FormatV1 knew instances only
	if d.version >= FormatV2 {
		p.ResourceKind = d.resourceKind("decided.resource_kind")
	}
	p.Reason = d.str("decided.reason")
	p.DryRun = d.bool("decided.dry_run")
	p.Group = d.str("decided.group")
	p.Count = d.int("decided.count")
	p.Size = d.str("decided.size")
	p.ImageID = d.str("decided.image_id")
	p.SetTags = d.strMap("decided.set_tags")
	p.RemoveTags = d.strs("decided.remove_tags")
	if d.version >= FormatV3 {
		p.Rule = d.ruleChange()
	}
	if d.version >= FormatV5 {
		p.Adoptable = d.str("decided.adoptable")
	}
	if d.version >= FormatV6 {
		p.Volume = d.volumeTarget()
	}
	return p
}

func (d *decoder) executing() *Executing {
	return &Executing{
		Action:      d.action("executing.action"),
		Description: d.str("executing.description"),
		ClientToken: d.str("executing.client_token"),
		Attempt:     d.int("executing.attempt"),
	}
}

func (d *decoder) executed() *Executed {
	return &Executed{
		Action:      d.action("executed.action"),
		Message:     d.str("executed.message"),
		ResourceIDs: d.strs("executed.resource_ids"),
		Recovered:   d.bool("executed.recovered"),
	}
}

func (d *decoder) failed() *Failed {
	return &Failed{
		Action:    d.action("failed.action"),
		Code:      d.str("failed.code"),
		Message:   d.str("failed.message"),
		Retryable: d.bool("failed.retryable"),
	}
}

func (d *decoder) configApplied() *ConfigApplied {
	p := &ConfigApplied{Source: d.str("config.source"), Digest: d.str("config.digest")}
	c := &p.Config
	c.Version = d.str("config.version")
	c.Provider = d.str("config.provider")
	c.Region = d.str("config.region")
	c.Endpoint = d.str("config.endpoint")
	c.Policy.DeleteUnwanted = d.bool("config.policy.delete_unwanted")
	c.Policy.MaxDeletions = d.int("config.policy.max_deletions")
	c.Policy.AllowDisruptive = d.bool("config.policy.allow_disruptive")
	if n := d.count("config.groups", minGroupLen); n > 0 {
		c.Groups = make([]Group, n)
		for i := range c.Groups {
			d.group(&c.Groups[i])
		}
	}
	if d.version >= FormatV2 {
		if n := d.count("config.resources", minSpecLen); n > 0 {
			c.Resources = make([]Spec, n)
			for i := range c.Resources {
				d.spec(&c.Resources[i])
			}
		}
	}
	return p
}

func (d *decoder) group(g *Group) {
	g.Name = d.str("group.name")
	g.Type = d.str("group.type")
	g.Count = d.int("group.count")
	g.Size = d.str("group.size")
	g.Image = d.str("group.image")
	g.SubnetID = d.str("group.subnet_id")
	g.SecurityGroups = d.strs("group.security_groups")
	g.Tags = d.strMap("group.tags")
	if d.version >= FormatV2 {
		g.Unnamed = d.bool("group.unnamed")
	}
}

func (d *decoder) summary() *CycleSummary {
	s := &CycleSummary{
		DryRun:     d.bool("summary.dry_run"),
		Observed:   d.int("summary.observed"),
		InSync:     d.int("summary.in_sync"),
		Missing:    d.int("summary.missing"),
		Unwanted:   d.int("summary.unwanted"),
		Drifted:    d.int("summary.drifted"),
		Unmanaged:  d.int("summary.unmanaged"),
		Actions:    d.int("summary.actions"),
		Failures:   d.int("summary.failures"),
		DurationMS: d.varint("summary.duration_ms"),
	}
	if d.version >= FormatV3 {
		s.Inputs = d.decideInputs()
	}
	if d.version >= FormatV5 {
		s.Budget = d.budget()
	}
	return s
}

func (d *decoder) restore() *Restore {
	return &Restore{
		Snapshot:     d.str("restore.snapshot"),
		FromRevision: d.uvarint("restore.from_revision"),
		ToRevision:   d.uvarint("restore.to_revision"),
		Dropped:      d.uvarint("restore.dropped"),
		Scope:        d.str("restore.scope"),
		Via:          d.str("restore.via"),
	}
}

func (d *decoder) compaction() *Compaction {
	p := &Compaction{Revision: d.uvarint("compaction.revision")}
	if d.version >= FormatV5 {
		p.Audit = d.uvarint("compaction.audit")
		p.Policy = d.str("compaction.policy")
	}
	return p
}
