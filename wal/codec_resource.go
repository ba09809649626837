package wal

import (
	"fmt"
	"strings"
)

// minSpecLen is the smallest encoded Spec: a kind byte, a name, no tags.
const minSpecLen = 3

// resource writes the FormatV2 resource: the envelope, then the attribute
// payload of its kind. Field order is the format.
func (e *encoder) resource(r *Resource) {
	if e.version < FormatV2 {
		e.resourceV1(r)
		return
	}
	e.str("resource.id", r.ID)
	e.u8(uint8(r.Kind))
	e.str("resource.group", r.Group)
	e.str("resource.state", r.State)
	e.strMap("resource.tags", r.Tags)
	e.bool(r.Managed)
	switch r.Kind {
	case ResourceInstance:
		e.instance(r.Instance)
	case ResourceSecurityGroup:
		e.securityGroup(r.SecurityGroup)
	case ResourceVolume:
		e.volume(r.Volume)
	}
}

func (e *encoder) instance(p *Instance) {
	e.str("instance.size", p.Size)
	e.str("instance.image_id", p.ImageID)
	e.str("instance.subnet_id", p.SubnetID)
	e.strs("instance.security_groups", p.SecurityGroups)
	e.varint(p.LaunchTime)
	e.bool(p.TerminationProtection)
	if e.version >= FormatV6 {
		e.str("instance.availability_zone", p.AvailabilityZone)
	} // older formats leave the zone out, the same way on every node
}

// resourceV1 writes an instance in the first release's layout; the
// attributes it did not record (security groups, termination protection)
// are left out, the same way on every node.
func (e *encoder) resourceV1(r *Resource) {
	e.needs(r.Kind == ResourceInstance, "resource", r.Kind.String())
	p := r.Instance
	if p == nil {
		p = &Instance{}
	}
	e.str("resource.id", r.ID)
	e.str("resource.type", ResourceInstance.String())
	e.str("resource.size", p.Size)
	e.str("resource.image_id", p.ImageID)
	e.str("resource.state", r.State)
	e.strMap("resource.tags", r.Tags)
	e.varint(p.LaunchTime)
	e.str("resource.subnet_id", p.SubnetID)
	e.bool(r.Managed)
	e.str("resource.group", r.Group)
}

// needs fails the encoding when the format being written cannot express
// what the record holds (ErrNeedsFormat).
func (e *encoder) needs(ok bool, what string, detail ...string) {
	if !ok && e.err == nil {
		e.err = fmt.Errorf("%w: a %s with %s needs format %d, the cluster reads format %d", ErrNeedsFormat, what, strings.Join(detail, ""), FormatCurrent, e.version)
	}
}

// spec writes a named resource of the configuration: the envelope, then
// the desired-attribute payload of its kind.
func (e *encoder) spec(s *Spec) {
	e.u8(uint8(s.Kind))
	e.str("spec.name", s.Name)
	e.strMap("spec.tags", s.Tags)
	switch s.Kind {
	case ResourceSecurityGroup:
		e.securityGroup(s.SecurityGroup)
	case ResourceVolume:
		e.volumeSpec(s.Volume)
	}
}

// resourceKind reads a kind byte; a kind this build does not know is
// ErrUnknownKind (data from a newer release), never skipped.
func (d *decoder) resourceKind(field string) ResourceKind {
	k := ResourceKind(d.u8(field))
	if d.err == nil && !k.Valid() {
		d.err = fmt.Errorf("%w: %s at offset %d: %s (this build knows %v)", ErrUnknownKind, field, d.base+d.off-1, k, ResourceKinds())
	}
	return k
}

// resource reads a resource in the record's format.
func (d *decoder) resource(r *Resource) {
	if d.version == FormatV1 {
		d.resourceV1(r)
		return
	}
	r.ID = d.str("resource.id")
	r.Kind = d.resourceKind("resource.kind")
	r.Group = d.str("resource.group")
	r.State = d.str("resource.state")
	r.Tags = d.strMap("resource.tags")
	r.Managed = d.bool("resource.managed")
	if d.err != nil {
		return
	}
	switch r.Kind {
	case ResourceInstance:
		r.Instance = d.instance()
	case ResourceSecurityGroup:
		r.SecurityGroup = d.securityGroup()
	case ResourceVolume:
		r.Volume = d.volume()
	}
}

func (d *decoder) instance() *Instance {
	p := &Instance{
		Size:                  d.str("instance.size"),
		ImageID:               d.str("instance.image_id"),
		SubnetID:              d.str("instance.subnet_id"),
		SecurityGroups:        d.strs("instance.security_groups"),
		LaunchTime:            d.varint("instance.launch_time"),
		TerminationProtection: d.bool("instance.termination_protection"),
	}
	if d.version >= FormatV6 {
		p.AvailabilityZone = d.str("instance.availability_zone")
	}
	return p
}

// resourceV1 reads the first release's instance-shaped resource: id,
// type, size, image, state, tags, launch time, subnet, managed, group.
func (d *decoder) resourceV1(r *Resource) {
	p := &Instance{}
	r.ID = d.str("resource.id")
	typ := d.str("resource.type")
	p.Size = d.str("resource.size")
	p.ImageID = d.str("resource.image_id")
	r.State = d.str("resource.state")
	r.Tags = d.strMap("resource.tags")
	p.LaunchTime = d.varint("resource.launch_time")
	p.SubnetID = d.str("resource.subnet_id")
	r.Managed = d.bool("resource.managed")
	r.Group = d.str("resource.group")
	if d.err == nil && typ != "" && typ != ResourceInstance.String() {
		d.fail("resource.type", fmt.Sprintf("unknown resource type %q in a format 1 record", typ))
	}
	r.Kind, r.Instance = ResourceInstance, p
}

// spec reads a named resource of the configuration.
func (d *decoder) spec(s *Spec) {
	s.Kind = d.resourceKind("spec.kind")
	s.Name = d.str("spec.name")
	s.Tags = d.strMap("spec.tags")
	if d.err != nil {
		return
	}
	switch s.Kind {
	case ResourceSecurityGroup:
		s.SecurityGroup = d.securityGroup()
	case ResourceVolume:
		s.Volume = d.volumeSpec()
	default:
		d.fail("spec.kind", fmt.Sprintf("kind %s has no named-resource spec", s.Kind))
	}
}
