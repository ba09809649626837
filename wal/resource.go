package wal

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Resource is a cloud resource as Ovi observed it: a common envelope
// (id, kind, group, state, tags, managed) and exactly one attribute
// payload, the one of its Kind, the way a Record holds the payload of its
// record kind. Tags are compared and encoded in sorted key order.
//
// Blessed is not a field: it is read from the ovi:blessed tag on the cloud
// resource, which is the one place it lives (see Blessed).
type Resource struct {
	ID   string       `json:"id"`
	Kind ResourceKind `json:"type"` // "ec2", ...
	// Group is the unit of the desired configuration the resource belongs
	// to: the name of its count group, or of the named resource it is
	// (the ovi:group tag).
	Group   string            `json:"group,omitempty"`
	State   string            `json:"state"` // as the cloud reports it: pending, running, stopped, ...
	Tags    map[string]string `json:"tags,omitempty"`
	Managed bool              `json:"managed"` // carries Ovi's management tag

	Instance      *Instance      `json:"instance,omitempty"`       // ResourceInstance
	SecurityGroup *SecurityGroup `json:"security_group,omitempty"` // ResourceSecurityGroup
	Volume        *Volume        `json:"volume,omitempty"`         // ResourceVolume
}

// Instance is the attribute payload of an EC2 instance (ResourceInstance).
// The run state is the envelope's State.
type Instance struct {
	Size           string   `json:"size"` // instance type, e.g. t3.micro
	ImageID        string   `json:"image_id,omitempty"`
	SubnetID       string   `json:"subnet_id,omitempty"`
	SecurityGroups []string `json:"security_groups,omitempty"` // sorted group ids
	LaunchTime     int64    `json:"launch_time,omitempty"`     // Unix nanoseconds
	// TerminationProtection is EC2's DisableApiTermination attribute, the
	// native guard Ovi keeps on blessed instances.
	TerminationProtection bool `json:"termination_protection,omitempty"`
	// AvailabilityZone is where the instance runs (format 6): a volume
	// attaches only within its own zone.
	AvailabilityZone string `json:"availability_zone,omitempty"`
}

// Attribute is one attribute of a payload in words, for renderers.
type Attribute struct {
	Name  string
	Value string
}

// Attributes lists the payload's attributes in a fixed order, for
// renderers that show or compare resources of any kind.
func (r Resource) Attributes() []Attribute {
	switch {
	case r.Instance != nil:
		p := r.Instance
		protected := ""
		if p.TerminationProtection {
			protected = "on"
		}
		return []Attribute{{"size", p.Size}, {"image", p.ImageID}, {"subnet", p.SubnetID},
			{"security_groups", strings.Join(p.SecurityGroups, ",")}, {"termination_protection", protected}}
	case r.SecurityGroup != nil:
		return r.SecurityGroup.attributes()
	case r.Volume != nil:
		return r.Volume.attributes()
	}
	return nil
}

// Summary is the resource's main attribute in a word, for one-line
// descriptions: an instance's size.
func (r Resource) Summary() string {
	switch {
	case r.Instance != nil:
		return r.Instance.Size
	case r.SecurityGroup != nil:
		return r.SecurityGroup.Name
	case r.Volume != nil:
		return r.Volume.summary()
	}
	return r.Kind.String()
}

// Equal reports whether a and b record the same observation: every
// envelope field and the attribute payload. A nil and an empty map or
// slice are the same (the codec does not keep them apart).
func (r *Resource) Equal(b *Resource) bool {
	return r.ID == b.ID && r.Kind == b.Kind && r.Group == b.Group && r.State == b.State &&
		r.Managed == b.Managed && maps.Equal(r.Tags, b.Tags) && r.Instance.equal(b.Instance) &&
		r.SecurityGroup.equal(b.SecurityGroup) &&
		r.Volume.equal(b.Volume)
}

func (p *Instance) equal(q *Instance) bool {
	if p == nil || q == nil {
		return p == q
	}
	return p.Size == q.Size && p.ImageID == q.ImageID && p.SubnetID == q.SubnetID &&
		slices.Equal(p.SecurityGroups, q.SecurityGroups) && p.LaunchTime == q.LaunchTime &&
		p.TerminationProtection == q.TerminationProtection && sameZone(p.AvailabilityZone, q.AvailabilityZone)
}

// sameZone compares zones, a zone not recorded (a record written before
// format 6) being no change: a leader writing format 5 for older nodes
// would otherwise record every instance again on every cycle.
func sameZone(a, b string) bool { return a == "" || b == "" || a == b }

// Blessed reports whether the resource carries ovi:blessed=true.
func (r Resource) Blessed() bool { return r.Tags[TagBlessed] == "true" }

// Spec is one named resource of the desired configuration: a common
// envelope (kind, name, tags) and exactly one desired-attribute payload,
// the one of its Kind. Instances are declared as Groups, not Specs.
type Spec struct {
	Kind ResourceKind      `json:"type"`
	Name string            `json:"name"`
	Tags map[string]string `json:"tags,omitempty"`

	SecurityGroup *SecurityGroup `json:"security_group,omitempty"` // ResourceSecurityGroup
	Volume        *VolumeSpec    `json:"volume,omitempty"`         // ResourceVolume
}

// payloadKinds returns how many attribute payloads r carries and the kind
// of the last one; Validate requires exactly one, of r.Kind.
func (r *Resource) payloadKinds() (n int, last ResourceKind) {
	if r.Instance != nil {
		n, last = n+1, ResourceInstance
	}
	if r.SecurityGroup != nil {
		n, last = n+1, ResourceSecurityGroup
	}
	if r.Volume != nil {
		n, last = n+1, ResourceVolume
	}
	return n, last
}

// validate checks the kind and that exactly its payload is present.
func (r *Resource) validate() error {
	if !r.Kind.Valid() {
		return fmt.Errorf("%w: resource %s has %s", ErrUnknownKind, r.ID, r.Kind)
	}
	if n, got := r.payloadKinds(); n != 1 || got != r.Kind {
		return fmt.Errorf("%w: resource %s of kind %s needs exactly its own attribute payload (has %d)",
			ErrInvalidRecord, r.ID, r.Kind, n)
	}
	return nil
}

// validate checks the spec's kind and that exactly its payload is present
// (instances are groups, not specs).
func (s *Spec) validate() error {
	if !s.Kind.Valid() {
		return fmt.Errorf("%w: desired resource %s has %s", ErrUnknownKind, s.Name, s.Kind)
	}
	if (s.Kind == ResourceSecurityGroup && s.SecurityGroup != nil) || (s.Kind == ResourceVolume && s.Volume != nil) {
		return nil
	}
	return fmt.Errorf("%w: desired resource %s of kind %s needs its own spec payload (instances are groups)",
		ErrInvalidRecord, s.Name, s.Kind)
}
