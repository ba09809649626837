package ec2sim

import "time"

// VolumeState is an EBS volume state name.
type VolumeState string

// The EBS volume states the simulator models. A deleted volume is forgotten
// once its deleting time has passed (its ClientToken still replays, as
// "deleted").
const (
	VolumeCreating  VolumeState = "creating"
	VolumeAvailable VolumeState = "available"
	VolumeInUse     VolumeState = "in-use"
	VolumeDeleting  VolumeState = "deleting"
	VolumeDeleted   VolumeState = "deleted"
)

// AttachmentState is an EBS attachment state name.
type AttachmentState string

// The attachment states: attaching → attached → detaching → (gone).
const (
	AttachmentAttaching AttachmentState = "attaching"
	AttachmentAttached  AttachmentState = "attached"
	AttachmentDetaching AttachmentState = "detaching"
)

// modifyCooldown is how long a volume must wait between two modifications.
const modifyCooldown = 6 * time.Hour

// Volume is a copy of one simulated EBS volume, for assertions.
type Volume struct {
	ID               string
	AvailabilityZone string
	SizeGiB          int
	VolumeType       string
	Iops             int // 0 where the type has none (st1, sc1, standard)
	Throughput       int // MiB/s; 0 except for gp3
	Encrypted        bool
	State            VolumeState
	CreateTime       time.Time
	ClientToken      string
	Attachment       *VolumeAttachment // nil when detached
	LastModified     time.Time         // zero if never modified
	Tags             []Tag             // sorted by key
}

// VolumeAttachment is where a volume is attached.
type VolumeAttachment struct {
	InstanceID string
	Device     string
	State      AttachmentState
	AttachTime time.Time
}

// volume is the stored form (also its JSON form in the state file).
type volume struct {
	Seq              uint64            `json:"seq"`
	ID               string            `json:"id"`
	AvailabilityZone string            `json:"availability_zone"`
	SizeGiB          int               `json:"size_gib"`
	VolumeType       string            `json:"volume_type"`
	Iops             int               `json:"iops,omitempty"`
	Throughput       int               `json:"throughput,omitempty"`
	Encrypted        bool              `json:"encrypted,omitempty"`
	State            VolumeState       `json:"state"`
	StateSince       time.Time         `json:"state_since"`
	CreateTime       time.Time         `json:"create_time"`
	ClientToken      string            `json:"client_token,omitempty"`
	Attachment       *attachment       `json:"attachment,omitempty"`
	LastModified     time.Time         `json:"last_modified,omitzero"`
	Tags             map[string]string `json:"tags,omitempty"`
}

// attachment is the stored form of a volume's attachment.
type attachment struct {
	InstanceID string          `json:"instance_id"`
	Device     string          `json:"device"`
	State      AttachmentState `json:"state"`
	Since      time.Time       `json:"since"`
	AttachTime time.Time       `json:"attach_time"`
}

// public returns the exported copy.
func (v *volume) public() Volume {
	p := Volume{
		ID: v.ID, AvailabilityZone: v.AvailabilityZone, SizeGiB: v.SizeGiB,
		VolumeType: v.VolumeType, Iops: v.Iops, Throughput: v.Throughput,
		Encrypted: v.Encrypted, State: v.State, CreateTime: v.CreateTime,
		ClientToken: v.ClientToken, LastModified: v.LastModified, Tags: sortTags(v.Tags),
	}
	if a := v.Attachment; a != nil {
		p.Attachment = &VolumeAttachment{InstanceID: a.InstanceID, Device: a.Device, State: a.State, AttachTime: a.AttachTime}
	}
	return p
}

// clone returns a deep copy.
func (v *volume) clone() *volume {
	c := *v
	if v.Attachment != nil {
		a := *v.Attachment
		c.Attachment = &a
	}
	c.Tags = make(map[string]string, len(v.Tags))
	for k, val := range v.Tags {
		c.Tags[k] = val
	}
	return &c
}

// setState moves v to state at now (no-op if it is already there).
func (v *volume) setState(state VolumeState, now time.Time) {
	if v.State != state {
		v.State, v.StateSince = state, now
	}
}

// Volumes returns a copy of every volume the region holds, in creation
// order, after applying lifecycle transitions due now.
func (s *Server) Volumes() []Volume {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.advance(s.opts.Clock.Now(), *s.opts.Lifecycle)
	out := make([]Volume, 0, len(s.st.vols.order))
	for _, v := range s.st.vols.order {
		out = append(out, v.public())
	}
	return out
}
