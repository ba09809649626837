package ec2sim

// EC2 error codes of the EBS volume calls.
const (
	CodeInvalidVolumeIDMalformed       = "InvalidVolumeID.Malformed"
	CodeInvalidVolumeNotFound          = "InvalidVolume.NotFound"
	CodeInvalidVolumeZoneMismatch      = "InvalidVolume.ZoneMismatch"
	CodeInvalidAttachmentNotFound      = "InvalidAttachment.NotFound"
	CodeVolumeInUse                    = "VolumeInUse"
	CodeIncorrectState                 = "IncorrectState"
	CodeVolumeModificationRateExceeded = "VolumeModificationRateExceeded"
)
