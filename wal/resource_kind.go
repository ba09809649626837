package wal

import (
	"errors"
	"fmt"
)

// ResourceKind identifies the kind of a cloud resource (an EC2 instance, a
// security group, an EBS volume, ...). Its numeric value is part of the
// on-disk format: never renumber, only append. Its name is the `type:` of
// infrastructure.yaml.
type ResourceKind uint8

// Resource kinds. The numbers of kinds still being added are reserved
// here so two changes never pick the same byte; a reserved kind is not
// Valid until its payload exists.
const (
	ResourceInstance      ResourceKind = 1 // "ec2": an EC2 instance
	ResourceSecurityGroup ResourceKind = 2 // "security_group": a VPC security group
	ResourceVolume        ResourceKind = 3 // "ebs_volume": an EBS volume
)

// ErrUnknownKind is returned (wrapped) for a record or resource kind this
// build does not know: data written by a newer release. It is never
// skipped silently (see docs/operations.md, "Upgrades").
var ErrUnknownKind = errors.New("wal: unknown kind (written by a newer release?)")

// ResourceKinds lists every kind this build knows, in byte order.
func ResourceKinds() []ResourceKind {
	return []ResourceKind{ResourceInstance, ResourceSecurityGroup, ResourceVolume}
}

// Valid reports whether k is a kind this build knows.
func (k ResourceKind) Valid() bool {
	switch k {
	case ResourceInstance, ResourceSecurityGroup, ResourceVolume:
		return true
	}
	return false
}

// String returns the kind's stable name, the `type:` of the file.
func (k ResourceKind) String() string {
	switch k {
	case ResourceInstance:
		return "ec2"
	case ResourceSecurityGroup:
		return "security_group"
	case ResourceVolume:
		return "ebs_volume"
	}
	return fmt.Sprintf("resource-kind(%d)", uint8(k))
}

// ParseResourceKind turns a name produced by String back into a kind.
func ParseResourceKind(s string) (ResourceKind, error) {
	for _, k := range ResourceKinds() {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("wal: unknown resource type %q", s)
}

// MarshalText implements encoding.TextMarshaler (JSON shows the name).
func (k ResourceKind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("%w: resource kind %d", ErrUnknownKind, uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *ResourceKind) UnmarshalText(b []byte) error {
	parsed, err := ParseResourceKind(string(b))
	if err != nil {
		return err
	}
	*k = parsed
	return nil
}
