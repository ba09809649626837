package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/yairfalse/ovi/wal"
)

// writeConfigTables prints what a configuration declares: its count groups
// of instances and, when it has any, its named resources of the other
// kinds (security groups, volumes).
func writeConfigTables(w io.Writer, c wal.Config) error {
	if err := writeGroupTable(w, c.Groups); err != nil {
		return err
	}
	if len(c.Resources) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	t := newTable(w)
	t.row("RESOURCE", "TYPE", "SPEC", "TAGS")
	for _, s := range c.Resources {
		t.row(s.Name, s.Kind.String(), specSummary(s), formatTags(s.Tags))
	}
	return t.flush()
}

// specSummary is a named resource's desired attributes in one line:
// "default VPC · rules: 1 ingress, 1 egress" for a security group,
// "gp3 100GiB us-east-1a · encrypted · attached to db at /dev/sdf" for a
// volume.
func specSummary(s wal.Spec) string {
	switch {
	case s.SecurityGroup != nil:
		g := s.SecurityGroup
		vpc := "default VPC"
		if g.VpcID != "" {
			vpc = g.VpcID
		}
		return fmt.Sprintf("%s · rules: %d ingress, %d egress", vpc, len(g.Ingress), len(g.Egress))
	case s.Volume != nil:
		return volumeSpecSummary(s.Volume)
	}
	return "-"
}

// volumeSpecSummary is a volume spec in one line.
func volumeSpecSummary(v *wal.VolumeSpec) string {
	parts := []string{fmt.Sprintf("%s %dGiB %s", orDash(v.VolumeType), v.SizeGiB, orDash(v.AvailabilityZone))}
	if v.Iops > 0 {
		parts = append(parts, fmt.Sprintf("%d IOPS", v.Iops))
	}
	if v.Throughput > 0 {
		parts = append(parts, fmt.Sprintf("%d MiB/s", v.Throughput))
	}
	if v.Encrypted {
		parts = append(parts, "encrypted")
	}
	if v.AttachTo != "" {
		parts = append(parts, "attached to "+v.AttachTo+" at "+orDash(v.Device))
	}
	return strings.Join(parts, " · ")
}
