package ec2sim

import (
	"net/url"
)

// Page sizes DescribeVolumes accepts: at least 5; above 500 it answers 500.
const maxVolumePage = 500

// createParams is a validated CreateVolume request.
type createParams struct {
	az          string
	spec        volumeSpec
	encrypted   bool
	tags        map[string]string
	fingerprint string
}

// createVolume answers CreateVolume: a new volume, creating, tagged from the
// "volume" TagSpecification. A ClientToken seen before returns the volume it
// created when the parameters match, IdempotentParameterMismatch when not.
func (s *Server) createVolume(rq *request) (response, *apiError) {
	p, aerr := parseCreateVolume(rq.form, s.opts.Region)
	if aerr != nil {
		return nil, aerr
	}
	token := rq.form.Get("ClientToken")
	if aerr := checkClientToken(token); aerr != nil {
		return nil, aerr
	}
	if s.knobs.ignoreToken {
		token = ""
	}
	if t, ok := s.st.vols.tokens[token]; ok && token != "" {
		if t.Fingerprint != p.fingerprint {
			return nil, errIdempotentMismatch()
		}
		v, live := s.st.vols.byID[t.Volume.ID]
		if !live {
			v = t.Volume.clone()
			v.State, v.Attachment = VolumeDeleted, nil
		}
		return &createVolumeResponse{xmlVolumeFields: volumeXML(v)}, nil
	}
	id, seq := s.st.vols.newID(s.st.seed)
	v := &volume{
		Seq: seq, ID: id, AvailabilityZone: p.az, SizeGiB: p.spec.size, VolumeType: p.spec.volumeType,
		Iops: p.spec.iops, Throughput: p.spec.throughput, Encrypted: p.encrypted,
		State: VolumeCreating, StateSince: rq.now, CreateTime: rq.now, ClientToken: token, Tags: p.tags,
	}
	s.st.vols.add(v)
	if token != "" {
		s.st.vols.tokens[token] = &volumeToken{ClientToken: token, Fingerprint: p.fingerprint, Volume: v.clone()}
	}
	return &createVolumeResponse{xmlVolumeFields: volumeXML(v)}, nil
}

// parseCreateVolume validates a CreateVolume request the way EC2 does.
func parseCreateVolume(form url.Values, region string) (createParams, *apiError) {
	var p createParams
	p.az = form.Get("AvailabilityZone")
	if p.az == "" {
		return p, errMissing("AvailabilityZone")
	}
	if !validAZ(region, p.az) {
		return p, newAPIError(CodeInvalidParameterValue, "Invalid availability zone: [%s]", p.az)
	}
	if form.Get("SnapshotId") != "" {
		return p, newAPIError(CodeUnsupportedOperation, "ec2sim models no snapshots; create volumes with Size.")
	}
	if form.Get("Size") == "" {
		return p, errMissing("Size")
	}
	req, aerr := readSpec(form, "gp2", 0)
	if aerr != nil {
		return p, aerr
	}
	if p.spec, aerr = req.resolve(); aerr != nil {
		return p, aerr
	}
	if p.encrypted, aerr = optBool(form, "Encrypted"); aerr != nil {
		return p, aerr
	}
	accepted := func(rt string) bool { return rt == "volume" }
	if p.tags, aerr = tagSpecsFor(form, accepted, "volume"); aerr != nil {
		return p, aerr
	}
	p.fingerprint = fingerprint(form)
	return p, nil
}

// deleteVolume answers DeleteVolume: an available volume starts deleting;
// an attached one is VolumeInUse, any other state IncorrectState.
func (s *Server) deleteVolume(rq *request) (response, *apiError) {
	v, aerr := s.st.vols.one(rq.form.Get("VolumeId"))
	if aerr != nil {
		return nil, aerr
	}
	if v.Attachment != nil {
		return nil, newAPIError(CodeVolumeInUse, "Volume %s is currently attached to %s", v.ID, v.Attachment.InstanceID)
	}
	if v.State != VolumeAvailable {
		return nil, newAPIError(CodeIncorrectState, "The volume '%s' is '%s'.", v.ID, v.State)
	}
	v.setState(VolumeDeleting, rq.now)
	return &returnResponse{XMLName: rootName(rq.action), Return: true}, nil
}

// describeVolumes answers DescribeVolumes: by VolumeId.N (every id must
// exist), or every volume in creation order — all of them when MaxResults is
// unset, else pages of MaxResults (5 or more; above 500, 500) — each
// narrowed by the filters.
func (s *Server) describeVolumes(rq *request) (response, *apiError) {
	filters, aerr := parseFilters(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	keep, aerr := volumeFilter(filters)
	if aerr != nil {
		return nil, aerr
	}
	size, hasSize, aerr := volumePageSize(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	resp := &describeVolumesResponse{}
	if ids := listValues(rq.form, "VolumeId"); len(ids) > 0 {
		if hasSize {
			return nil, newAPIError(CodeInvalidParameterCombination,
				"The parameter volumeSet cannot be used with the parameter maxResults")
		}
		found, aerr := s.st.vols.lookup(ids)
		if aerr != nil {
			return nil, aerr
		}
		resp.Volumes = volumesXML(sortedVolumes(found), keep)
		return resp, nil
	}
	after, aerr := decodeToken(rq.form.Get("NextToken"))
	if aerr != nil {
		return nil, aerr
	}
	items, last := s.st.vols.page(after, size, keep)
	resp.Volumes = volumesXML(items, nil)
	if last != 0 {
		resp.NextToken = encodeToken(last)
	}
	return resp, nil
}

// volumePageSize reads MaxResults: 0 (everything) when unset.
func volumePageSize(form url.Values) (int, bool, *apiError) {
	n, ok, aerr := optInt(form, "MaxResults")
	if aerr != nil || !ok {
		return 0, false, aerr
	}
	if n < minPage {
		return 0, false, newAPIError(CodeInvalidParameterValue,
			"Value ( %d ) for parameter maxResults is invalid. Expecting a value greater than %d.", n, minPage-1)
	}
	return min(n, maxVolumePage), true, nil
}

// volumeTags resolves volume ids to their tags (CreateTags, DeleteTags).
func (s *Server) volumeTags(_ *request, ids []string) ([]map[string]string, *apiError) {
	found, aerr := s.st.vols.lookup(ids)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]map[string]string, 0, len(found))
	for _, v := range found {
		out = append(out, v.Tags)
	}
	return out, nil
}
