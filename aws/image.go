package aws

import (
	"context"
	"path"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// The default image: the newest Amazon Linux 2023 x86_64 AMI owned by
// Amazon (the standard image, not the minimal one).
const (
	defaultImageOwner = "amazon"
	defaultImageName  = "al2023-ami-2023.*-x86_64"
)

// DefaultImage resolves the image used when a group names none: the
// newest (by CreationDate) available Amazon Linux 2023 x86_64 image owned
// by Amazon. The caller records it in the decision, so every launch of the
// decision — retries included — uses the same image.
func (p *Provider) DefaultImage(ctx context.Context) (string, error) {
	out, err := p.api.DescribeImages(ctx, &ec2.DescribeImagesInput{
		Owners: []string{defaultImageOwner},
		Filters: []types.Filter{
			{Name: awssdk.String("name"), Values: []string{defaultImageName}},
			{Name: awssdk.String("architecture"), Values: []string{string(types.ArchitectureValuesX8664)}},
			{Name: awssdk.String("state"), Values: []string{string(types.ImageStateAvailable)}},
		},
	})
	if err != nil {
		return "", wrap("default image", err)
	}
	id := newestImage(out.Images)
	if id == "" {
		return "", wrap("default image", invalid("no image named %s owned by %s in region %s", defaultImageName, defaultImageOwner, p.region))
	}
	return id, nil
}

// newestImage picks the newest matching image. The filters are re-applied
// here, for endpoints that ignore them.
func newestImage(images []types.Image) string {
	var best string
	var bestAt time.Time
	for _, img := range images {
		name := awssdk.ToString(img.Name)
		if ok, _ := path.Match(defaultImageName, name); !ok {
			continue
		}
		if img.State != "" && img.State != types.ImageStateAvailable {
			continue
		}
		at, err := time.Parse(time.RFC3339, awssdk.ToString(img.CreationDate))
		if err != nil {
			continue
		}
		if best == "" || at.After(bestAt) {
			best, bestAt = awssdk.ToString(img.ImageId), at
		}
	}
	return best
}
