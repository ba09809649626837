package reconcile

import (
	"regexp"
	"slices"

	"github.com/goccy/go-yaml/ast"

	"github.com/yairfalse/ovi/wal"
)

// Keys of an ebs_volume entry.
const (
	keyAZ         = "availability_zone"
	keySizeGiB    = "size_gib"
	keyVolumeType = "volume_type"
	keyIops       = "iops"
	keyThroughput = "throughput"
	keyEncrypted  = "encrypted"
	keyAttachTo   = "attach_to"
	keyDevice     = "device"
)

func volumeKeys() []string {
	return []string{keyType, keyName, keyAZ, keySizeGiB, keyVolumeType, keyIops, keyThroughput, keyEncrypted,
		keyAttachTo, keyDevice, keyTags}
}

// Shapes of an ebs_volume entry's fields. The cloud checks the rest (the
// IOPS-to-size ratio of each type, …) and its refusal is recorded.
const (
	azPattern     = `^[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]$`
	devicePattern = `^/dev/(sd[b-z][1-9]?|xvd[b-z][a-z]?)$`
	maxVolumeGiB  = 65536
	maxVolumeIops = 256000
	maxThroughput = 4000
)

// volumeTypes are the types the kind accepts, and which take iops and
// throughput.
func volumeTypes() map[string]struct{ iops, throughput bool } {
	return map[string]struct{ iops, throughput bool }{
		"gp2": {}, "gp3": {iops: true, throughput: true}, "io1": {iops: true}, "io2": {iops: true}, "st1": {}, "sc1": {},
	}
}

// parseEntry implements entrySchema: one named volume.
func (VolumeKind) parseEntry(p *configParser, m *ast.MappingNode, _ int) (configEntry, bool) {
	f := p.fields(m, "ebs_volume", volumeKeys())
	errsBefore := len(p.errs)
	name := p.pattern(f, m, keyName, true, p.re.name,
		"invalid name %q (use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit)")
	at := posOf(m)
	if kv, ok := f[keyName]; ok {
		at = valuePos(kv)
	}
	s := &wal.VolumeSpec{
		AvailabilityZone: p.pattern(f, m, keyAZ, true, regexp.MustCompile(azPattern),
			"invalid availability_zone %q (expected a zone like us-east-1a)"),
		VolumeType: p.volumeType(f),
		SizeGiB:    p.bounded(f, m, keySizeGiB, true, maxVolumeGiB),
		Iops:       p.bounded(f, m, keyIops, false, maxVolumeIops),
		Throughput: p.bounded(f, m, keyThroughput, false, maxThroughput),
		AttachTo: p.pattern(f, m, keyAttachTo, false, p.re.name,
			"invalid attach_to %q (the name of an instance group of this file)"),
		Device: p.pattern(f, m, keyDevice, false, regexp.MustCompile(devicePattern),
			"invalid device %q (expected /dev/sdf … /dev/sdp or /dev/xvdb … /dev/xvdz)"),
	}
	if kv, ok := f[keyEncrypted]; ok {
		s.Encrypted, _ = p.boolean(kv, keyEncrypted)
	}
	p.volumeCombination(f, s)
	spec := wal.Spec{Kind: wal.ResourceVolume, Name: name, Tags: p.tags(f), Volume: s}
	return configEntry{name: name, at: at, add: func(cfg *wal.Config) { cfg.Resources = append(cfg.Resources, spec) }},
		len(p.errs) == errsBefore
}

// volumeType reads volume_type (default gp3).
func (p *configParser) volumeType(f map[string]*ast.MappingValueNode) string {
	kv, ok := f[keyVolumeType]
	if !ok {
		return "gp3"
	}
	s, ok := p.str(kv.Value, valuePos(kv), keyVolumeType)
	if _, known := volumeTypes()[s]; ok && !known {
		p.errorf(valuePos(kv), "unknown volume_type %q (supported: gp2, gp3, io1, io2, st1, sc1)", s)
	}
	return s
}

// bounded reads a positive integer up to limit.
func (p *configParser) bounded(f map[string]*ast.MappingValueNode, m *ast.MappingNode, key string, req bool, limit int) int64 {
	kv, ok := f[key]
	if !ok {
		if req {
			p.required(f, m, key, "ebs_volume")
		}
		return 0
	}
	n, ok := p.integer(kv, key)
	if ok && (n < 1 || n > limit) {
		p.errorf(valuePos(kv), "%s must be between 1 and %d (got %d)", key, limit, n)
	}
	return int64(n)
}

// volumeCombination checks what depends on the type: iops only for gp3,
// io1 and io2 (and required for io1, io2), throughput only for gp3, a
// device only with attach_to.
func (p *configParser) volumeCombination(f map[string]*ast.MappingValueNode, s *wal.VolumeSpec) {
	rule, known := volumeTypes()[s.VolumeType]
	if !known {
		return
	}
	if kv, ok := f[keyIops]; ok && !rule.iops {
		p.errorf(valuePos(kv), "iops is not supported for %s volumes (only gp3, io1, io2)", s.VolumeType)
	}
	if _, ok := f[keyIops]; !ok && slices.Contains([]string{"io1", "io2"}, s.VolumeType) {
		p.errorf(valuePos(f[keyVolumeType]), "%s volumes need iops", s.VolumeType)
	}
	if kv, ok := f[keyThroughput]; ok && !rule.throughput {
		p.errorf(valuePos(kv), "throughput is only supported for gp3 volumes (not %s)", s.VolumeType)
	}
	if kv, ok := f[keyDevice]; ok && s.AttachTo == "" {
		p.errorf(valuePos(kv), "device needs attach_to (the instance group the volume is attached to)")
	}
}
