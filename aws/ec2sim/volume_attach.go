package ec2sim

// attachVolume answers AttachVolume: an available volume is attached to a
// running or stopped instance in the same Availability Zone at a free
// device; the volume is in-use and the attachment attaching.
func (s *Server) attachVolume(rq *request) (response, *apiError) {
	v, in, device, aerr := s.attachTargets(rq)
	if aerr != nil {
		return nil, aerr
	}
	switch {
	case v.Attachment != nil:
		return nil, newAPIError(CodeVolumeInUse, "%s is already attached to an instance", v.ID)
	case v.State != VolumeAvailable:
		return nil, newAPIError(CodeIncorrectState, "The volume '%s' is not in the 'available' state.", v.ID)
	case in.State != StateRunning && in.State != StateStopped:
		return nil, newAPIError(CodeIncorrectInstanceState, "Instance '%s' is not 'running'.", in.ID)
	case v.AvailabilityZone != in.AvailabilityZone:
		return nil, newAPIError(CodeInvalidVolumeZoneMismatch,
			"The volume '%s' is not in the same availability zone as instance '%s'", v.ID, in.ID)
	case device == rootDevice || s.st.vols.deviceInUse(in.ID, device):
		return nil, newAPIError(CodeInvalidParameterValue, "Attachment point %s is already in use", device)
	}
	v.Attachment = &attachment{InstanceID: in.ID, Device: device, State: AttachmentAttaching, Since: rq.now, AttachTime: rq.now}
	v.setState(VolumeInUse, rq.now)
	return &attachmentResponse{XMLName: rootName(rq.action), xmlVolumeAttachment: attachmentXML(v.ID, v.Attachment)}, nil
}

// rootDevice is where every simulated instance has its root volume.
const rootDevice = "/dev/xvda"

// attachTargets reads and resolves VolumeId, InstanceId and Device.
func (s *Server) attachTargets(rq *request) (*volume, *instance, string, *apiError) {
	instanceID, device := rq.form.Get("InstanceId"), rq.form.Get("Device")
	if instanceID == "" {
		return nil, nil, "", errMissing("InstanceId")
	}
	if device == "" {
		return nil, nil, "", errMissing("Device")
	}
	v, aerr := s.st.vols.one(rq.form.Get("VolumeId"))
	if aerr != nil {
		return nil, nil, "", aerr
	}
	found, aerr := s.resolve(rq, []string{instanceID})
	if aerr != nil {
		return nil, nil, "", aerr
	}
	if !validDevice(device) {
		return nil, nil, "", newAPIError(CodeInvalidParameterValue,
			"Value (%s) for parameter device is invalid. %s is not a valid EBS device name.", device, device)
	}
	return v, found[0], device, nil
}

// detachVolume answers DetachVolume: the attachment starts detaching (the
// volume is available once it has). InstanceId and Device, when given, must
// name the attachment; a detached volume is IncorrectState.
func (s *Server) detachVolume(rq *request) (response, *apiError) {
	v, aerr := s.st.vols.one(rq.form.Get("VolumeId"))
	if aerr != nil {
		return nil, aerr
	}
	a := v.Attachment
	if a == nil {
		return nil, newAPIError(CodeIncorrectState, "Volume '%s' is in the '%s' state.", v.ID, v.State)
	}
	instanceID, device := rq.form.Get("InstanceId"), rq.form.Get("Device")
	if (instanceID != "" && instanceID != a.InstanceID) || (device != "" && device != a.Device) {
		return nil, newAPIError(CodeInvalidAttachmentNotFound,
			"Attachment point %s for instance %s and volume %s does not exist.", device, instanceID, v.ID)
	}
	if a.State != AttachmentDetaching {
		a.State, a.Since = AttachmentDetaching, rq.now
	}
	return &attachmentResponse{XMLName: rootName(rq.action), xmlVolumeAttachment: attachmentXML(v.ID, a)}, nil
}
