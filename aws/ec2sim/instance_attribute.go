package ec2sim

import (
	"encoding/xml"
	"strconv"
)

// Instance attributes the simulator models (DescribeInstanceAttribute's
// and ModifyInstanceAttribute's Attribute names).
const (
	attrInstanceType          = "instanceType"
	attrDisableAPITermination = "disableApiTermination"
)

// knownAttributes are every Attribute value EC2 accepts; the simulator
// answers the ones it models and UnsupportedOperation for the rest.
func knownAttribute(a string) bool {
	switch a {
	case attrInstanceType, "kernel", "ramdisk", "userData", attrDisableAPITermination,
		"instanceInitiatedShutdownBehavior", "rootDeviceName", "blockDeviceMapping", "productCodes",
		"sourceDestCheck", "groupSet", "ebsOptimized", "sriovNetSupport", "enaSupport", "enclaveOptions",
		"disableApiStop":
		return true
	}
	return false
}

// attributeChange is the one attribute a ModifyInstanceAttribute call
// changes.
type attributeChange struct {
	name  string // attrInstanceType or attrDisableAPITermination
	value string
}

// modifyInstanceAttribute answers ModifyInstanceAttribute for the modelled
// attributes: the instance type, which EC2 lets change only while the
// instance is stopped, and termination protection (DisableApiTermination),
// in any state but shutting-down and terminated. One attribute per call.
func (s *Server) modifyInstanceAttribute(rq *request) (response, *apiError) {
	id := rq.form.Get("InstanceId")
	if id == "" {
		return nil, errMissing("InstanceId")
	}
	change, aerr := requestedChange(rq)
	if aerr != nil {
		return nil, aerr
	}
	found, aerr := s.resolve(rq, []string{id})
	if aerr != nil {
		return nil, aerr
	}
	in := found[0]
	switch change.name {
	case attrInstanceType:
		if in.State != StateStopped {
			return nil, newAPIError(CodeIncorrectInstanceState, "The instance '%s' is not in the 'stopped' state.", id)
		}
		in.InstanceType = change.value
	case attrDisableAPITermination:
		if in.State == StateShuttingDown || in.State == StateTerminated {
			return nil, newAPIError(CodeIncorrectInstanceState, "The instance '%s' is not in a state from which its attributes can be modified.", id)
		}
		in.DisableAPITermination = change.value == "true"
	}
	return &returnResponse{XMLName: rootName(rq.action), Return: true}, nil
}

// requestedChange reads the one change of a ModifyInstanceAttribute call:
// InstanceType.Value, DisableApiTermination.Value, or Attribute=NAME with
// Value. Several attributes at once are InvalidParameterCombination, an
// unmodelled one UnsupportedOperation.
func requestedChange(rq *request) (attributeChange, *apiError) {
	var changes []attributeChange
	for key := range rq.form {
		switch key {
		case "Action", "Version", "DryRun", "InstanceId", "Value":
		case "InstanceType.Value":
			changes = append(changes, attributeChange{attrInstanceType, rq.form.Get(key)})
		case "DisableApiTermination.Value":
			changes = append(changes, attributeChange{attrDisableAPITermination, rq.form.Get(key)})
		case "Attribute":
			changes = append(changes, attributeChange{rq.form.Get(key), rq.form.Get("Value")})
		default:
			return attributeChange{}, newAPIError(CodeUnsupportedOperation, "ec2sim models only the instanceType and disableApiTermination attributes, not %s.", key)
		}
	}
	switch {
	case len(changes) == 0:
		return attributeChange{}, errMissing("Attribute")
	case len(changes) > 1:
		return attributeChange{}, newAPIError(CodeInvalidParameterCombination, "Fields for multiple attribute types specified: %s, %s", changes[0].name, changes[1].name)
	}
	return checkChange(changes[0])
}

// checkChange validates the value of one attribute change.
func checkChange(c attributeChange) (attributeChange, *apiError) {
	switch c.name {
	case attrInstanceType:
		if c.value == "" {
			return c, errMissing("InstanceType")
		}
		if _, aerr := parseInstanceType(c.value); aerr != nil {
			return c, aerr
		}
	case attrDisableAPITermination:
		b, err := strconv.ParseBool(c.value)
		if err != nil {
			return c, newAPIError(CodeInvalidParameterValue, "Value (%s) for parameter disableApiTermination is invalid. Expected a boolean.", c.value)
		}
		c.value = strconv.FormatBool(b)
	default:
		if !knownAttribute(c.name) {
			return c, newAPIError(CodeInvalidParameterValue, "Value (%s) for parameter attribute is invalid. Unknown attribute.", c.name)
		}
		return c, newAPIError(CodeUnsupportedOperation, "ec2sim models only the instanceType and disableApiTermination attributes, not %s.", c.name)
	}
	return c, nil
}

// describeInstanceAttribute answers DescribeInstanceAttribute: one
// attribute of one instance (EC2 has no batch form), for the modelled
// attributes.
func (s *Server) describeInstanceAttribute(rq *request) (response, *apiError) {
	id, attr := rq.form.Get("InstanceId"), rq.form.Get("Attribute")
	if id == "" {
		return nil, errMissing("InstanceId")
	}
	if attr == "" {
		return nil, errMissing("Attribute")
	}
	if attr != attrInstanceType && attr != attrDisableAPITermination {
		_, aerr := checkChange(attributeChange{name: attr})
		return nil, aerr
	}
	found, aerr := s.resolve(rq, []string{id})
	if aerr != nil {
		return nil, aerr
	}
	in := found[0]
	resp := &instanceAttributeResponse{XMLName: rootName(rq.action), InstanceID: in.ID}
	if attr == attrInstanceType {
		resp.InstanceType = &xmlAttributeValue{Value: in.InstanceType}
	} else {
		resp.DisableAPITermination = &xmlAttributeValue{Value: strconv.FormatBool(in.DisableAPITermination)}
	}
	return resp, nil
}

// terminationProtected refuses to terminate an instance whose
// DisableApiTermination is set, as EC2 does.
func terminationProtected(in *instance) *apiError {
	if !in.DisableAPITermination {
		return nil
	}
	return newAPIError(CodeOperationNotPermitted,
		"The instance '%s' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.", in.ID)
}

// instanceAttributeResponse is DescribeInstanceAttribute's body: the
// instance id and the one attribute asked for.
type instanceAttributeResponse struct {
	XMLName xml.Name
	meta
	InstanceID            string             `xml:"instanceId"`
	InstanceType          *xmlAttributeValue `xml:"instanceType,omitempty"`
	DisableAPITermination *xmlAttributeValue `xml:"disableApiTermination,omitempty"`
}

// xmlAttributeValue is EC2's <NAME><value>…</value></NAME>.
type xmlAttributeValue struct {
	Value string `xml:"value"`
}
