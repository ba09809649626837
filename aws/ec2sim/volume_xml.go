package ec2sim

import (
	"encoding/xml"
	"time"
)

type xmlVolumeAttachment struct {
	VolumeID            string `xml:"volumeId"`
	InstanceID          string `xml:"instanceId"`
	Device              string `xml:"device"`
	Status              string `xml:"status"`
	AttachTime          string `xml:"attachTime"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
}

// xmlVolumeFields are a volume's fields, shared by DescribeVolumes' items
// and CreateVolume's response body.
type xmlVolumeFields struct {
	VolumeID           string                `xml:"volumeId"`
	Size               int                   `xml:"size"`
	SnapshotID         string                `xml:"snapshotId"`
	AvailabilityZone   string                `xml:"availabilityZone"`
	Status             string                `xml:"status"`
	CreateTime         string                `xml:"createTime"`
	Attachments        []xmlVolumeAttachment `xml:"attachmentSet>item"`
	Tags               []xmlTag              `xml:"tagSet>item"`
	VolumeType         string                `xml:"volumeType"`
	Iops               int                   `xml:"iops,omitempty"`
	Throughput         int                   `xml:"throughput,omitempty"`
	Encrypted          bool                  `xml:"encrypted"`
	MultiAttachEnabled bool                  `xml:"multiAttachEnabled"`
}

type describeVolumesResponse struct {
	XMLName xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeVolumesResponse"`
	meta
	Volumes   []xmlVolumeFields `xml:"volumeSet>item"`
	NextToken string            `xml:"nextToken,omitempty"`
}

type createVolumeResponse struct {
	XMLName xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ CreateVolumeResponse"`
	meta
	xmlVolumeFields
}

// attachmentResponse serves AttachVolume and DetachVolume, which share a
// body under different root names.
type attachmentResponse struct {
	XMLName xml.Name
	meta
	xmlVolumeAttachment
}

type xmlVolumeModification struct {
	VolumeID           string `xml:"volumeId"`
	ModificationState  string `xml:"modificationState"`
	TargetSize         int    `xml:"targetSize"`
	TargetIops         int    `xml:"targetIops,omitempty"`
	TargetVolumeType   string `xml:"targetVolumeType"`
	TargetThroughput   int    `xml:"targetThroughput,omitempty"`
	OriginalSize       int    `xml:"originalSize"`
	OriginalIops       int    `xml:"originalIops,omitempty"`
	OriginalVolumeType string `xml:"originalVolumeType"`
	OriginalThroughput int    `xml:"originalThroughput,omitempty"`
	Progress           int    `xml:"progress"`
	StartTime          string `xml:"startTime"`
}

type modifyVolumeResponse struct {
	XMLName xml.Name `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ ModifyVolumeResponse"`
	meta
	Modification xmlVolumeModification `xml:"volumeModification"`
}

// volumeXML renders one volume.
func volumeXML(v *volume) xmlVolumeFields {
	x := xmlVolumeFields{
		VolumeID: v.ID, Size: v.SizeGiB, AvailabilityZone: v.AvailabilityZone,
		Status: string(v.State), CreateTime: timeXML(v.CreateTime), VolumeType: v.VolumeType,
		Iops: v.Iops, Throughput: v.Throughput, Encrypted: v.Encrypted,
	}
	if v.Attachment != nil {
		x.Attachments = []xmlVolumeAttachment{attachmentXML(v.ID, v.Attachment)}
	}
	for _, t := range sortTags(v.Tags) {
		x.Tags = append(x.Tags, xmlTag(t))
	}
	return x
}

// attachmentXML renders an attachment. Volumes attached with AttachVolume
// are never deleted with their instance.
func attachmentXML(volumeID string, a *attachment) xmlVolumeAttachment {
	return xmlVolumeAttachment{
		VolumeID: volumeID, InstanceID: a.InstanceID, Device: a.Device,
		Status: string(a.State), AttachTime: timeXML(a.AttachTime),
	}
}

// modificationXML renders a completed-at-once modification from before to
// after, started at now.
func modificationXML(id string, before, after volumeSpec, now time.Time) xmlVolumeModification {
	return xmlVolumeModification{
		VolumeID: id, ModificationState: "modifying",
		TargetSize: after.size, TargetIops: after.iops, TargetVolumeType: after.volumeType, TargetThroughput: after.throughput,
		OriginalSize: before.size, OriginalIops: before.iops, OriginalVolumeType: before.volumeType, OriginalThroughput: before.throughput,
		StartTime: timeXML(now),
	}
}
