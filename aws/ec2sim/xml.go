package ec2sim

import (
	"encoding/xml"
	"time"
)

// xmlns is the namespace of EC2's 2016-11-15 API, the version the SDK speaks.
const xmlns = "http://ec2.amazonaws.com/doc/2016-11-15/"

// response is implemented by every typed XML response body.
type response interface {
	setRequestID(id string)
}

// meta is embedded by every response.
type meta struct {
	RequestID string `xml:"requestId"`
}

func (m *meta) setRequestID(id string) { m.RequestID = id }

// errorResponse is EC2's error envelope (note: RequestID, capitalised).
type errorResponse struct {
	XMLName   xml.Name   `xml:"Response"`
	Errors    []xmlError `xml:"Errors>Error"`
	RequestID string     `xml:"RequestID"`
}

type xmlError struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

type xmlState struct {
	Code int    `xml:"code"`
	Name string `xml:"name"`
}

func stateXML(s InstanceState) xmlState { return xmlState{Code: s.Code(), Name: string(s)} }

type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xmlPlacement struct {
	AvailabilityZone string `xml:"availabilityZone"`
	Tenancy          string `xml:"tenancy"`
}

type xmlMonitoring struct {
	State string `xml:"state"`
}

type xmlInstance struct {
	InstanceID         string        `xml:"instanceId"`
	ImageID            string        `xml:"imageId"`
	State              xmlState      `xml:"instanceState"`
	PrivateDNSName     string        `xml:"privateDnsName,omitempty"`
	AMILaunchIndex     int           `xml:"amiLaunchIndex"`
	InstanceType       string        `xml:"instanceType"`
	LaunchTime         string        `xml:"launchTime"`
	Placement          xmlPlacement  `xml:"placement"`
	Monitoring         xmlMonitoring `xml:"monitoring"`
	PrivateIPAddress   string        `xml:"privateIpAddress,omitempty"`
	Architecture       string        `xml:"architecture"`
	RootDeviceType     string        `xml:"rootDeviceType"`
	RootDeviceName     string        `xml:"rootDeviceName"`
	VirtualizationType string        `xml:"virtualizationType"`
	Hypervisor         string        `xml:"hypervisor"`
	ClientToken        string        `xml:"clientToken,omitempty"`
	Tags               []xmlTag      `xml:"tagSet>item"`

	VpcID  string               `xml:"vpcId,omitempty"`
	Groups []xmlGroupIdentifier `xml:"groupSet>item"`
}

type xmlReservation struct {
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Instances     []xmlInstance `xml:"instancesSet>item"`
}

type describeInstancesResponse struct {
	XMLName xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeInstancesResponse"`
	meta
	Reservations []xmlReservation `xml:"reservationSet>item"`
	NextToken    string           `xml:"nextToken,omitempty"`
}

type runInstancesResponse struct {
	XMLName xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ RunInstancesResponse"`
	meta
	ReservationID string        `xml:"reservationId"`
	OwnerID       string        `xml:"ownerId"`
	Instances     []xmlInstance `xml:"instancesSet>item"`
}

type xmlStateChange struct {
	InstanceID    string   `xml:"instanceId"`
	CurrentState  xmlState `xml:"currentState"`
	PreviousState xmlState `xml:"previousState"`
}

// stateChangeResponse serves TerminateInstances, StopInstances and
// StartInstances, which share a body under different root names.
type stateChangeResponse struct {
	XMLName xml.Name
	meta
	Changes []xmlStateChange `xml:"instancesSet>item"`
}

// returnResponse serves calls whose body is just <return>true</return>.
type returnResponse struct {
	XMLName xml.Name
	meta
	Return bool `xml:"return"`
}

type xmlImage struct {
	ImageID            string `xml:"imageId"`
	ImageLocation      string `xml:"imageLocation"`
	ImageState         string `xml:"imageState"`
	ImageOwnerID       string `xml:"imageOwnerId"`
	CreationDate       string `xml:"creationDate"`
	IsPublic           bool   `xml:"isPublic"`
	Architecture       string `xml:"architecture"`
	ImageType          string `xml:"imageType"`
	Name               string `xml:"name"`
	Description        string `xml:"description"`
	ImageOwnerAlias    string `xml:"imageOwnerAlias,omitempty"`
	RootDeviceType     string `xml:"rootDeviceType"`
	RootDeviceName     string `xml:"rootDeviceName"`
	VirtualizationType string `xml:"virtualizationType"`
	Hypervisor         string `xml:"hypervisor"`
	PlatformDetails    string `xml:"platformDetails"`
	EnaSupport         bool   `xml:"enaSupport"`
}

type describeImagesResponse struct {
	XMLName xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeImagesResponse"`
	meta
	Images    []xmlImage `xml:"imagesSet>item"`
	NextToken string     `xml:"nextToken,omitempty"`
}

// rootName returns the namespaced root element "<action>Response".
func rootName(action string) xml.Name {
	return xml.Name{Space: xmlns, Local: action + "Response"}
}

// timeXML formats a timestamp the way EC2 does.
func timeXML(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// instanceXML renders one instance.
func instanceXML(in *instance) xmlInstance {
	x := xmlInstance{
		InstanceID: in.ID, ImageID: in.ImageID, State: stateXML(in.State),
		AMILaunchIndex: in.LaunchIndex, InstanceType: in.InstanceType,
		LaunchTime:         timeXML(in.LaunchTime),
		Placement:          xmlPlacement{AvailabilityZone: in.AvailabilityZone, Tenancy: "default"},
		Monitoring:         xmlMonitoring{State: "disabled"},
		PrivateIPAddress:   in.PrivateIPAddress,
		Architecture:       in.Architecture,
		RootDeviceType:     "ebs",
		RootDeviceName:     "/dev/xvda",
		VirtualizationType: "hvm",
		Hypervisor:         "xen",
		ClientToken:        in.ClientToken,
		VpcID:              in.VpcID,
		Groups:             groupsXML(in.SecurityGroups),
	}
	for _, t := range in.sortedTags() {
		x.Tags = append(x.Tags, xmlTag(t))
	}
	return x
}
