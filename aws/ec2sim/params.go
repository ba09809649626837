package ec2sim

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The EC2 Query protocol flattens every list: element n of list L is the key
// "L.n" (scalars) or the keys "L.n.Field" (structures), numbered from 1. An
// empty list arrives as the bare key "L=".

// listIndexes returns, ascending, every n for which a key "prefix.n" or
// "prefix.n.<anything>" is present.
func listIndexes(form url.Values, prefix string) []int {
	var idx []int
	seen := make(map[int]bool)
	for key := range form {
		rest, ok := strings.CutPrefix(key, prefix+".")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || seen[n] {
			continue
		}
		seen[n] = true
		idx = append(idx, n)
	}
	slices.Sort(idx)
	return idx
}

// listValues returns the scalar list "prefix.1", "prefix.2", ... in order.
func listValues(form url.Values, prefix string) []string {
	var out []string
	for _, n := range listIndexes(form, prefix) {
		key := prefix + "." + strconv.Itoa(n)
		if vs, ok := form[key]; ok && len(vs) > 0 {
			out = append(out, vs[0])
		}
	}
	return out
}

// optInt reads an optional integer parameter.
func optInt(form url.Values, name string) (int, bool, *apiError) {
	raw, ok := form[name]
	if !ok || len(raw) == 0 || raw[0] == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(raw[0])
	if err != nil {
		return 0, false, errInvalidValue(name, raw[0])
	}
	return n, true, nil
}

// reqInt reads a required integer parameter.
func reqInt(form url.Values, name string) (int, *apiError) {
	n, ok, aerr := optInt(form, name)
	if aerr != nil {
		return 0, aerr
	}
	if !ok {
		return 0, errMissing(name)
	}
	return n, nil
}

// optBool reads an optional boolean parameter ("true"/"false").
func optBool(form url.Values, name string) (bool, *apiError) {
	raw := form.Get(name)
	if raw == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, errInvalidValue(name, raw)
	}
	return b, nil
}

// tagParam is one "Tag.n.Key" / "Tag.n.Value" pair; HasValue tells an absent
// Value from an empty one (DeleteTags treats them differently).
type tagParam struct {
	Key      string
	Value    string
	HasValue bool
}

// parseTags reads the tag list under prefix (e.g. "Tag" or
// "TagSpecification.1.Tag").
func parseTags(form url.Values, prefix string) ([]tagParam, *apiError) {
	var tags []tagParam
	for _, n := range listIndexes(form, prefix) {
		base := prefix + "." + strconv.Itoa(n)
		key, ok := form[base+".Key"]
		if !ok {
			return nil, errMissing(base + ".Key")
		}
		t := tagParam{Key: key[0]}
		if v, ok := form[base+".Value"]; ok {
			t.Value, t.HasValue = v[0], true
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// filter is one "Filter.n.Name" with its "Filter.n.Value.m" values.
type filter struct {
	Name   string
	Values []string
}

// parseFilters reads "Filter.n.Name" / "Filter.n.Value.m".
func parseFilters(form url.Values) ([]filter, *apiError) {
	var out []filter
	for _, n := range listIndexes(form, "Filter") {
		base := "Filter." + strconv.Itoa(n)
		name := form.Get(base + ".Name")
		if name == "" {
			return nil, errMissing(base + ".Name")
		}
		values := listValues(form, base+".Value")
		if len(values) == 0 {
			return nil, newAPIError(CodeInvalidParameterValue, "The filter '%s' requires at least one value", name)
		}
		out = append(out, filter{Name: name, Values: values})
	}
	return out, nil
}
