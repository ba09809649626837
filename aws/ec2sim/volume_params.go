package ec2sim

import (
	"net/url"
	"strings"
)

// volumeTypeRule is what EBS accepts for one volume type.
type volumeTypeRule struct {
	minSize, maxSize int
	iops             iopsRule
	minIops, maxIops int
	iopsPerGiB       int  // highest provisioned IOPS per GiB (0: no ratio)
	defaultIops      int  // gp3's baseline when Iops is omitted
	throughput       bool // only gp3 takes Throughput
}

// iopsRule says whether a type takes Iops.
type iopsRule int

const (
	iopsNone iopsRule = iota
	iopsOptional
	iopsRequired
)

// gp3's throughput range and its ratio to IOPS (MiB/s per IOPS = 1/4).
const (
	minThroughput     = 125
	maxThroughput     = 1000
	throughputPerIops = 4 // IOPS needed per MiB/s
)

// volumeTypeRules returns EBS's documented limits per volume type.
func volumeTypeRules() map[string]volumeTypeRule {
	return map[string]volumeTypeRule{
		"gp2":      {minSize: 1, maxSize: 16384},
		"gp3":      {minSize: 1, maxSize: 16384, iops: iopsOptional, minIops: 3000, maxIops: 16000, iopsPerGiB: 500, defaultIops: 3000, throughput: true},
		"io1":      {minSize: 4, maxSize: 16384, iops: iopsRequired, minIops: 100, maxIops: 64000, iopsPerGiB: 50},
		"io2":      {minSize: 4, maxSize: 16384, iops: iopsRequired, minIops: 100, maxIops: 256000, iopsPerGiB: 1000},
		"st1":      {minSize: 125, maxSize: 16384},
		"sc1":      {minSize: 125, maxSize: 16384},
		"standard": {minSize: 1, maxSize: 1024},
	}
}

// volumeSpec is a volume's configurable shape: what CreateVolume sets and
// ModifyVolume changes. Iops and Throughput are 0 where the type has none.
type volumeSpec struct {
	volumeType string
	size       int
	iops       int
	throughput int
}

// specRequest is a requested spec before defaults: hasIops / hasThroughput
// tell an omitted value from a given one.
type specRequest struct {
	volumeSpec
	hasIops, hasThroughput bool
}

// readSpec reads VolumeType, Size, Iops and Throughput; the type defaults to
// defType and the size to defSize when omitted.
func readSpec(form url.Values, defType string, defSize int) (specRequest, *apiError) {
	r := specRequest{volumeSpec: volumeSpec{volumeType: defType, size: defSize}}
	if t := form.Get("VolumeType"); t != "" {
		r.volumeType = t
	}
	size, hasSize, aerr := optInt(form, "Size")
	if aerr != nil {
		return r, aerr
	}
	if hasSize {
		r.size = size
	}
	if r.iops, r.hasIops, aerr = optInt(form, "Iops"); aerr != nil {
		return r, aerr
	}
	if r.throughput, r.hasThroughput, aerr = optInt(form, "Throughput"); aerr != nil {
		return r, aerr
	}
	return r, nil
}

// resolve checks a requested spec against the type's rules and fills the
// defaults EBS applies (gp2's burst baseline, gp3's 3000 IOPS / 125 MiB/s).
func (r specRequest) resolve() (volumeSpec, *apiError) {
	rule, ok := volumeTypeRules()[r.volumeType]
	if !ok {
		return volumeSpec{}, newAPIError(CodeInvalidParameterValue,
			"Value (%s) for parameter volumeType is invalid. Valid values: gp2, gp3, io1, io2, st1, sc1, standard.", r.volumeType)
	}
	spec := r.volumeSpec
	if spec.size < rule.minSize || spec.size > rule.maxSize {
		return volumeSpec{}, newAPIError(CodeInvalidParameterValue,
			"Volume of %dGiB is out of range for volume type %s: expecting %d to %d GiB.", spec.size, spec.volumeType, rule.minSize, rule.maxSize)
	}
	iops, aerr := resolveIops(r, rule)
	if aerr != nil {
		return volumeSpec{}, aerr
	}
	spec.iops = iops
	if spec.throughput, aerr = resolveThroughput(r, rule, iops); aerr != nil {
		return volumeSpec{}, aerr
	}
	return spec, nil
}

// resolveIops applies the type's IOPS rule.
func resolveIops(r specRequest, rule volumeTypeRule) (int, *apiError) {
	switch {
	case rule.iops == iopsNone && r.hasIops:
		return 0, newAPIError(CodeInvalidParameterCombination, "The parameter iops is not supported for %s volumes.", r.volumeType)
	case rule.iops == iopsNone && r.volumeType == "gp2":
		return min(max(3*r.size, 100), 16000), nil // gp2's baseline: 3 IOPS per GiB
	case rule.iops == iopsNone:
		return 0, nil
	case rule.iops == iopsRequired && !r.hasIops:
		return 0, newAPIError(CodeInvalidParameterCombination, "The parameter iops must be specified for %s volumes.", r.volumeType)
	case !r.hasIops:
		return rule.defaultIops, nil
	}
	if r.iops < rule.minIops || r.iops > rule.maxIops {
		return 0, newAPIError(CodeInvalidParameterValue,
			"Volume iops of %d is out of range for volume type %s: expecting %d to %d.", r.iops, r.volumeType, rule.minIops, rule.maxIops)
	}
	if r.iops > rule.iopsPerGiB*r.size {
		return 0, newAPIError(CodeInvalidParameterValue,
			"Iops to volume size ratio of %d is too high; maximum is %d.", r.iops/r.size, rule.iopsPerGiB)
	}
	return r.iops, nil
}

// resolveThroughput applies gp3's throughput rule (no other type takes one).
func resolveThroughput(r specRequest, rule volumeTypeRule, iops int) (int, *apiError) {
	switch {
	case !rule.throughput && r.hasThroughput:
		return 0, newAPIError(CodeInvalidParameterCombination, "The parameter throughput is not supported for %s volumes.", r.volumeType)
	case !rule.throughput:
		return 0, nil
	case !r.hasThroughput:
		return minThroughput, nil
	}
	if r.throughput < minThroughput || r.throughput > maxThroughput {
		return 0, newAPIError(CodeInvalidParameterValue,
			"Throughput of %d MiB/s is out of range for volume type gp3: expecting %d to %d.", r.throughput, minThroughput, maxThroughput)
	}
	if r.throughput*throughputPerIops > iops {
		return 0, newAPIError(CodeInvalidParameterValue,
			"Throughput (MiBps) to iops ratio of %d:%d is too high; maximum is 0.25 MiBps per iops.", r.throughput, iops)
	}
	return r.throughput, nil
}

// validAZ reports whether az is one of the region's zones (region + a–f).
func validAZ(region, az string) bool {
	letter, ok := strings.CutPrefix(az, region)
	return ok && len(letter) == 1 && letter[0] >= 'a' && letter[0] <= 'f'
}

// validDevice reports whether name is an EBS device name EC2 accepts for a
// data volume: /dev/sd[b-z] (optionally with a partition digit) or
// /dev/xvd[b-z] with an optional second letter.
func validDevice(name string) bool {
	if rest, ok := strings.CutPrefix(name, "/dev/sd"); ok {
		return len(rest) >= 1 && len(rest) <= 2 && rest[0] >= 'b' && rest[0] <= 'z' &&
			(len(rest) == 1 || (rest[1] >= '1' && rest[1] <= '9'))
	}
	if rest, ok := strings.CutPrefix(name, "/dev/xvd"); ok {
		return len(rest) >= 1 && len(rest) <= 2 && rest[0] >= 'b' && rest[0] <= 'z' &&
			(len(rest) == 1 || (rest[1] >= 'a' && rest[1] <= 'z'))
	}
	return false
}
