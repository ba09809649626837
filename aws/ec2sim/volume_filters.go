package ec2sim

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// volumeFilter compiles DescribeVolumes filters into one predicate: filters
// are ANDed, the values of one filter ORed, values may use * and ?.
func volumeFilter(filters []filter) (func(*volume) bool, *apiError) {
	preds := make([]func(*volume) bool, 0, len(filters))
	for _, f := range filters {
		p, aerr := volumePredicate(f)
		if aerr != nil {
			return nil, aerr
		}
		preds = append(preds, p)
	}
	return func(v *volume) bool {
		for _, p := range preds {
			if !p(v) {
				return false
			}
		}
		return true
	}, nil
}

// volumePredicate compiles one filter.
func volumePredicate(f filter) (func(*volume) bool, *apiError) {
	vs := f.Values
	if key, ok := strings.CutPrefix(f.Name, "tag:"); ok {
		return func(v *volume) bool {
			val, has := v.Tags[key]
			return has && globAny(vs, val)
		}, nil
	}
	if field := volumeField(f.Name); field != nil {
		return func(v *volume) bool { return globAny(vs, field(v)) }, nil
	}
	if field := attachmentField(f.Name); field != nil {
		return func(v *volume) bool { return v.Attachment != nil && globAny(vs, field(v.Attachment)) }, nil
	}
	switch f.Name {
	case "tag-key":
		return func(v *volume) bool { return anyTag(v.Tags, func(k, _ string) bool { return globAny(vs, k) }) }, nil
	case "tag-value":
		return func(v *volume) bool { return anyTag(v.Tags, func(_, val string) bool { return globAny(vs, val) }) }, nil
	}
	return nil, newAPIError(CodeInvalidParameterValue, "The filter '%s' is invalid", f.Name)
}

// volumeField returns the accessor for a single-valued volume filter name.
func volumeField(name string) func(*volume) string {
	switch name {
	case "volume-id":
		return func(v *volume) string { return v.ID }
	case "status":
		return func(v *volume) string { return string(v.State) }
	case "availability-zone":
		return func(v *volume) string { return v.AvailabilityZone }
	case "volume-type":
		return func(v *volume) string { return v.VolumeType }
	case "size":
		return func(v *volume) string { return strconv.Itoa(v.SizeGiB) }
	case "encrypted":
		return func(v *volume) string { return strconv.FormatBool(v.Encrypted) }
	default:
		return nil
	}
}

// attachmentField returns the accessor for an attachment.* filter name; a
// detached volume matches none of them.
func attachmentField(name string) func(*attachment) string {
	switch name {
	case "attachment.instance-id":
		return func(a *attachment) string { return a.InstanceID }
	case "attachment.device":
		return func(a *attachment) string { return a.Device }
	case "attachment.status":
		return func(a *attachment) string { return string(a.State) }
	case "attachment.delete-on-termination":
		return func(*attachment) string { return "false" }
	default:
		return nil
	}
}

// sortedVolumes orders volumes by creation.
func sortedVolumes(vs []*volume) []*volume {
	slices.SortFunc(vs, func(a, b *volume) int { return cmp.Compare(a.Seq, b.Seq) })
	return vs
}

// volumesXML renders the volumes keep accepts (nil: all).
func volumesXML(vs []*volume, keep func(*volume) bool) []xmlVolumeFields {
	var out []xmlVolumeFields
	for _, v := range vs {
		if keep == nil || keep(v) {
			out = append(out, volumeXML(v))
		}
	}
	return out
}
