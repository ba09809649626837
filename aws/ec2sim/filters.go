package ec2sim

import (
	"strconv"
	"strings"
)

// instanceFilter compiles DescribeInstances filters into one predicate:
// filters are ANDed, the values of one filter ORed, values may use * and ?.
func instanceFilter(filters []filter) (func(*instance) bool, *apiError) {
	preds := make([]func(*instance) bool, 0, len(filters))
	for _, f := range filters {
		p, aerr := instancePredicate(f)
		if aerr != nil {
			return nil, aerr
		}
		preds = append(preds, p)
	}
	return func(in *instance) bool {
		for _, p := range preds {
			if !p(in) {
				return false
			}
		}
		return true
	}, nil
}

// instancePredicate compiles one filter.
func instancePredicate(f filter) (func(*instance) bool, *apiError) {
	vs := f.Values
	if key, ok := strings.CutPrefix(f.Name, "tag:"); ok {
		return func(in *instance) bool {
			v, has := in.Tags[key]
			return has && globAny(vs, v)
		}, nil
	}
	field := instanceField(f.Name)
	if field != nil {
		return func(in *instance) bool { return globAny(vs, field(in)) }, nil
	}
	switch f.Name {
	case "tag-key":
		return func(in *instance) bool { return anyTag(in.Tags, func(k, _ string) bool { return globAny(vs, k) }) }, nil
	case "tag-value":
		return func(in *instance) bool { return anyTag(in.Tags, func(_, v string) bool { return globAny(vs, v) }) }, nil
	}
	return nil, newAPIError(CodeInvalidParameterValue, "The filter '%s' is invalid", f.Name)
}

// instanceField returns the accessor for a single-valued filter name.
func instanceField(name string) func(*instance) string {
	switch name {
	case "instance-id":
		return func(in *instance) string { return in.ID }
	case "instance-state-name":
		return func(in *instance) string { return string(in.State) }
	case "instance-state-code":
		return func(in *instance) string { return strconv.Itoa(in.State.Code()) }
	case "instance-type":
		return func(in *instance) string { return in.InstanceType }
	case "image-id":
		return func(in *instance) string { return in.ImageID }
	case "reservation-id":
		return func(in *instance) string { return in.ReservationID }
	case "client-token":
		return func(in *instance) string { return in.ClientToken }
	case "availability-zone":
		return func(in *instance) string { return in.AvailabilityZone }
	default:
		return nil
	}
}

func anyTag(tags map[string]string, match func(k, v string) bool) bool {
	for k, v := range tags {
		if match(k, v) {
			return true
		}
	}
	return false
}
