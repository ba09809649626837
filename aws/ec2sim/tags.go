package ec2sim

import (
	"net/url"
	"strconv"
	"strings"
)

// EC2's tag limits.
const (
	maxTagsPerResource = 50
	maxTagKey          = 128
	maxTagValue        = 256
	maxBatch           = 1000
)

// taggableTypes are the TagSpecification resource types RunInstances accepts;
// only "instance" tags are modelled.
func taggableType(t string) bool {
	switch t {
	case "instance", "volume", "network-interface", "spot-instances-request", "elastic-gpu":
		return true
	default:
		return false
	}
}

// parseTagSpecs reads RunInstances' TagSpecification.N and returns the tags
// of the "instance" specification.
func parseTagSpecs(form url.Values) (map[string]string, *apiError) {
	return tagSpecsFor(form, taggableType, "instance")
}

// tagSpecsFor reads TagSpecification.N, accepting the resource types
// accepted allows, and returns the tags of the want specification.
func tagSpecsFor(form url.Values, accepted func(string) bool, want string) (map[string]string, *apiError) {
	out := map[string]string{}
	seen := map[string]bool{}
	for _, n := range listIndexes(form, "TagSpecification") {
		base := "TagSpecification." + strconv.Itoa(n)
		rt := form.Get(base + ".ResourceType")
		if rt == "" {
			return nil, errMissing(base + ".ResourceType")
		}
		if !accepted(rt) {
			return nil, errInvalidValue("TagSpecification.ResourceType", rt)
		}
		if seen[rt] {
			return nil, newAPIError(CodeInvalidParameterValue,
				"The same resource type may not be specified more than once in tag specifications")
		}
		seen[rt] = true
		tags, aerr := parseTags(form, base+".Tag")
		if aerr != nil {
			return nil, aerr
		}
		if aerr := validateTags(tags); aerr != nil {
			return nil, aerr
		}
		if rt == want {
			for _, t := range tags {
				out[t.Key] = t.Value
			}
		}
	}
	return out, nil
}

// validateTags applies EC2's rules to tags being written.
func validateTags(tags []tagParam) *apiError {
	if len(tags) > maxTagsPerResource {
		return errTagLimit()
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if aerr := validateTagKey(t.Key); aerr != nil {
			return aerr
		}
		if len(t.Value) > maxTagValue {
			return newAPIError(CodeInvalidParameterValue,
				"Tag value exceeds the maximum length of %d characters", maxTagValue)
		}
		if seen[t.Key] {
			return newAPIError(CodeInvalidParameterValue, "Duplicate tag key '%s' specified.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

func validateTagKey(key string) *apiError {
	switch {
	case key == "":
		return newAPIError(CodeInvalidParameterValue, "Tag key must not be empty")
	case len(key) > maxTagKey:
		return newAPIError(CodeInvalidParameterValue, "Tag key exceeds the maximum length of %d characters", maxTagKey)
	case strings.HasPrefix(strings.ToLower(key), "aws:"):
		return newAPIError(CodeInvalidParameterValue, "Tag keys starting with 'aws:' are reserved for internal use")
	default:
		return nil
	}
}

func errTagLimit() *apiError {
	return newAPIError(CodeTagLimitExceeded, "The maximum number of Tags for a resource has been reached.")
}

// createTags answers CreateTags: adds or overwrites tags on every resource,
// all or nothing.
func (s *Server) createTags(rq *request) (response, *apiError) {
	tags, aerr := parseTags(rq.form, "Tag")
	if aerr != nil {
		return nil, aerr
	}
	if len(tags) == 0 {
		return nil, errMissing("Tag")
	}
	if aerr := validateTags(tags); aerr != nil {
		return nil, aerr
	}
	targets, aerr := s.tagTargets(rq)
	if aerr != nil {
		return nil, aerr
	}
	for _, target := range targets {
		if len(mergedKeys(target, tags)) > maxTagsPerResource {
			return nil, errTagLimit()
		}
	}
	for _, target := range targets {
		for _, t := range tags {
			target[t.Key] = t.Value
		}
	}
	return &returnResponse{XMLName: rootName(rq.action), Return: true}, nil
}

// mergedKeys returns the key set after adding tags to existing.
func mergedKeys(existing map[string]string, tags []tagParam) map[string]bool {
	keys := make(map[string]bool, len(existing)+len(tags))
	for k := range existing {
		keys[k] = true
	}
	for _, t := range tags {
		keys[t.Key] = true
	}
	return keys
}

// deleteTags answers DeleteTags: a tag given with a Value is removed only if
// the value matches; without a Value, whatever its value; with no Tag at all,
// every tag of the resources.
func (s *Server) deleteTags(rq *request) (response, *apiError) {
	tags, aerr := parseTags(rq.form, "Tag")
	if aerr != nil {
		return nil, aerr
	}
	for _, t := range tags {
		if aerr := validateTagKey(t.Key); aerr != nil {
			return nil, aerr
		}
	}
	targets, aerr := s.tagTargets(rq)
	if aerr != nil {
		return nil, aerr
	}
	for _, target := range targets {
		removeTags(target, tags)
	}
	return &returnResponse{XMLName: rootName(rq.action), Return: true}, nil
}

func removeTags(target map[string]string, tags []tagParam) {
	if len(tags) == 0 {
		clear(target)
		return
	}
	for _, t := range tags {
		if v, ok := target[t.Key]; ok && (!t.HasValue || v == t.Value) {
			delete(target, t.Key)
		}
	}
}

func errTooMany(param string, n int) *apiError {
	return newAPIError(CodeInvalidParameterValue,
		"The request contains %d values for %s; at most %d are allowed.", n, param, maxBatch)
}
