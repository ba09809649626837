package ec2sim

import "time"

// InstanceState is an EC2 instance state name.
type InstanceState string

// The EC2 instance states.
const (
	StatePending      InstanceState = "pending"
	StateRunning      InstanceState = "running"
	StateShuttingDown InstanceState = "shutting-down"
	StateTerminated   InstanceState = "terminated"
	StateStopping     InstanceState = "stopping"
	StateStopped      InstanceState = "stopped"
)

// Code returns EC2's numeric state code.
func (s InstanceState) Code() int {
	switch s {
	case StatePending:
		return 0
	case StateRunning:
		return 16
	case StateShuttingDown:
		return 32
	case StateTerminated:
		return 48
	case StateStopping:
		return 64
	case StateStopped:
		return 80
	default:
		return -1
	}
}

// Tag is one key/value tag.
type Tag struct {
	Key   string
	Value string
}

// Instance is a copy of one simulated instance, for assertions.
type Instance struct {
	ID               string
	ImageID          string
	InstanceType     string
	State            InstanceState
	StateChangedAt   time.Time
	LaunchTime       time.Time
	VisibleAt        time.Time
	ReservationID    string
	ClientToken      string
	LaunchIndex      int
	AvailabilityZone string
	PrivateIPAddress string
	Tags             []Tag // sorted by key
	SecurityGroupIDs []string
	// DisableAPITermination is the instance's termination protection.
	DisableAPITermination bool
}

// instance is the stored form (also its JSON form in the state file).
type instance struct {
	Seq              uint64            `json:"seq"`
	ID               string            `json:"id"`
	ImageID          string            `json:"image_id"`
	Architecture     string            `json:"architecture"`
	InstanceType     string            `json:"instance_type"`
	State            InstanceState     `json:"state"`
	StateSince       time.Time         `json:"state_since"`
	LaunchTime       time.Time         `json:"launch_time"`
	VisibleAt        time.Time         `json:"visible_at"`
	ReservationID    string            `json:"reservation_id"`
	ClientToken      string            `json:"client_token,omitempty"`
	LaunchIndex      int               `json:"launch_index"`
	AvailabilityZone string            `json:"availability_zone"`
	PrivateIPAddress string            `json:"private_ip_address"`
	Tags             map[string]string `json:"tags,omitempty"`
	VpcID            string            `json:"vpc_id,omitempty"`
	SecurityGroups   []groupRef        `json:"security_groups,omitempty"`
	// DisableAPITermination is termination protection: TerminateInstances
	// refuses the instance with OperationNotPermitted.
	DisableAPITermination bool `json:"disable_api_termination,omitempty"`
}

// sortedTags returns the tags ordered by key.
func (in *instance) sortedTags() []Tag {
	return sortTags(in.Tags)
}

// public returns the exported copy.
func (in *instance) public() Instance {
	return Instance{
		ID: in.ID, ImageID: in.ImageID, InstanceType: in.InstanceType,
		State: in.State, StateChangedAt: in.StateSince, LaunchTime: in.LaunchTime,
		VisibleAt: in.VisibleAt, ReservationID: in.ReservationID, ClientToken: in.ClientToken,
		LaunchIndex: in.LaunchIndex, AvailabilityZone: in.AvailabilityZone,
		PrivateIPAddress: in.PrivateIPAddress, Tags: in.sortedTags(),
		SecurityGroupIDs: in.groupIDs(), DisableAPITermination: in.DisableAPITermination,
	}
}

// clone returns a deep copy.
func (in *instance) clone() *instance {
	c := *in
	c.Tags = make(map[string]string, len(in.Tags))
	for k, v := range in.Tags {
		c.Tags[k] = v
	}
	return &c
}
