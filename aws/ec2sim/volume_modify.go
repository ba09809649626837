package ec2sim

// modifyVolume answers ModifyVolume: a new size (grow only), type, IOPS or
// throughput for an available or in-use volume, at most once per six hours
// per volume on the simulator's clock. The new values show in DescribeVolumes
// at once (EBS applies a size change within seconds, performance changes
// while the modification optimizes).
func (s *Server) modifyVolume(rq *request) (response, *apiError) {
	v, aerr := s.st.vols.one(rq.form.Get("VolumeId"))
	if aerr != nil {
		return nil, aerr
	}
	if v.State != VolumeAvailable && v.State != VolumeInUse {
		return nil, newAPIError(CodeIncorrectState, "The volume '%s' is '%s'.", v.ID, v.State)
	}
	before := volumeSpec{volumeType: v.VolumeType, size: v.SizeGiB, iops: v.Iops, throughput: v.Throughput}
	after, aerr := targetSpec(rq, before)
	if aerr != nil {
		return nil, aerr
	}
	if !v.LastModified.IsZero() && rq.now.Before(v.LastModified.Add(modifyCooldown)) {
		return nil, newAPIError(CodeVolumeModificationRateExceeded,
			"You've reached the maximum modification rate per volume limit. Wait at least 6 hours between modifications per EBS volume.")
	}
	v.VolumeType, v.SizeGiB, v.Iops, v.Throughput = after.volumeType, after.size, after.iops, after.throughput
	v.LastModified = rq.now
	return &modifyVolumeResponse{Modification: modificationXML(v.ID, before, after, rq.now)}, nil
}

// targetSpec reads the requested change on top of the current spec: an
// omitted Iops or Throughput keeps the current value while the type stays,
// and takes the new type's default when it changes.
func targetSpec(rq *request, cur volumeSpec) (volumeSpec, *apiError) {
	req, aerr := readSpec(rq.form, cur.volumeType, cur.size)
	if aerr != nil {
		return volumeSpec{}, aerr
	}
	rule := volumeTypeRules()[req.volumeType]
	if req.volumeType == cur.volumeType {
		if !req.hasIops && rule.iops != iopsNone {
			req.iops, req.hasIops = cur.iops, true
		}
		if !req.hasThroughput && rule.throughput {
			req.throughput, req.hasThroughput = cur.throughput, true
		}
	}
	if req.size < cur.size {
		return volumeSpec{}, newAPIError(CodeInvalidParameterValue,
			"New size cannot be smaller than existing size (%d GiB < %d GiB).", req.size, cur.size)
	}
	after, aerr := req.resolve()
	if aerr != nil {
		return volumeSpec{}, aerr
	}
	if after == cur {
		return volumeSpec{}, newAPIError(CodeInvalidParameterValue,
			"The requested modification is the same as the volume's current configuration.")
	}
	return after, nil
}
