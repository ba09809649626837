package ec2sim

import (
	"slices"
	"strconv"
)

// describeImages answers DescribeImages over the fixed catalogue: ImageId.N,
// Owner.N ("amazon", "self" or an account id) and the filters name,
// architecture, owner-alias, owner-id, image-id and state.
func (s *Server) describeImages(rq *request) (response, *apiError) {
	filters, aerr := parseFilters(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	keep, aerr := imageFilter(filters)
	if aerr != nil {
		return nil, aerr
	}
	size, _, aerr := pageSize(rq.form)
	if aerr != nil {
		return nil, aerr
	}
	start, aerr := decodeToken(rq.form.Get("NextToken"))
	if aerr != nil {
		return nil, aerr
	}
	images, aerr := s.selectImages(rq, keep)
	if aerr != nil {
		return nil, aerr
	}
	resp := &describeImagesResponse{}
	for i := int(min(start, uint64(len(images)))); i < len(images); i++ {
		if len(resp.Images) == size {
			resp.NextToken = encodeToken(uint64(i))
			break
		}
		resp.Images = append(resp.Images, imageXML(images[i]))
	}
	return resp, nil
}

// selectImages applies ImageId.N, Owner.N and the compiled filters.
func (s *Server) selectImages(rq *request, keep func(Image) bool) ([]Image, *apiError) {
	ids := listValues(rq.form, "ImageId")
	owners := listValues(rq.form, "Owner")
	for _, id := range ids {
		if _, ok := findImage(id); !ok {
			return nil, newAPIError(CodeInvalidAMIIDNotFound, "The image id '[%s]' does not exist", id)
		}
	}
	var out []Image
	for _, img := range Catalogue() {
		if len(ids) > 0 && !slices.Contains(ids, img.ID) {
			continue
		}
		if len(owners) > 0 && !s.ownedBy(img, owners) {
			continue
		}
		if keep(img) {
			out = append(out, img)
		}
	}
	return out, nil
}

// ownedBy matches Owner.N values: an alias, "self" or an account id.
func (s *Server) ownedBy(img Image, owners []string) bool {
	for _, o := range owners {
		switch {
		case o == "self" && img.OwnerID == s.opts.AccountID:
			return true
		case o == img.OwnerID, img.OwnerAlias != "" && o == img.OwnerAlias:
			return true
		}
	}
	return false
}

// imageFilter compiles DescribeImages filters (ANDed; values ORed, globs).
func imageFilter(filters []filter) (func(Image) bool, *apiError) {
	fields := make([]func(Image) string, len(filters))
	for i, f := range filters {
		fields[i] = imageField(f.Name)
		if fields[i] == nil {
			return nil, newAPIError(CodeInvalidParameterValue, "The filter '%s' is invalid", f.Name)
		}
	}
	return func(img Image) bool {
		for i, f := range filters {
			if !globAny(f.Values, fields[i](img)) {
				return false
			}
		}
		return true
	}, nil
}

func imageField(name string) func(Image) string {
	switch name {
	case "name":
		return func(img Image) string { return img.Name }
	case "architecture":
		return func(img Image) string { return img.Architecture }
	case "owner-alias":
		return func(img Image) string { return img.OwnerAlias }
	case "owner-id":
		return func(img Image) string { return img.OwnerID }
	case "image-id":
		return func(img Image) string { return img.ID }
	case "state":
		return func(Image) string { return "available" }
	case "is-public":
		return func(Image) string { return strconv.FormatBool(true) }
	case "image-type":
		return func(Image) string { return "machine" }
	default:
		return nil
	}
}
