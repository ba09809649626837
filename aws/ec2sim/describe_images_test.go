package ec2sim_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// newest returns the image with the latest CreationDate.
func newest(images []types.Image) types.Image {
	return slices.MaxFunc(images, func(a, b types.Image) int {
		return strings.Compare(aws.ToString(a.CreationDate), aws.ToString(b.CreationDate))
	})
}

func TestDescribeImagesNewestAL2023(t *testing.T) {
	h := newHarness(t, quietOptions())
	out, err := h.client.DescribeImages(context.Background(), &ec2.DescribeImagesInput{
		Owners: []string{"amazon"},
		Filters: []types.Filter{
			filterOf("name", "al2023-ami-2023.*-x86_64"),
			filterOf("architecture", "x86_64"),
			filterOf("state", "available"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Images) != 3 {
		t.Fatalf("%d AL2023 x86_64 images, want 3", len(out.Images))
	}
	got := newest(out.Images)
	if aws.ToString(got.ImageId) != ec2sim.NewestAL2023 {
		t.Fatalf("newest is %s (%s), want %s", aws.ToString(got.ImageId), aws.ToString(got.Name), ec2sim.NewestAL2023)
	}
	if aws.ToString(got.OwnerId) != "137112412989" || aws.ToString(got.ImageOwnerAlias) != "amazon" ||
		got.Architecture != types.ArchitectureValuesX8664 || got.State != types.ImageStateAvailable {
		t.Fatalf("image fields %+v", got)
	}
	if aws.ToString(out.Images[0].ImageId) == ec2sim.NewestAL2023 {
		t.Fatal("the newest image must not simply be listed first")
	}
}

func TestDescribeImagesSelectors(t *testing.T) {
	h := newHarness(t, quietOptions())
	cases := []struct {
		name string
		in   *ec2.DescribeImagesInput
		want int
	}{
		{"all", &ec2.DescribeImagesInput{}, len(ec2sim.Catalogue())},
		{"owner alias filter", &ec2.DescribeImagesInput{Filters: []types.Filter{filterOf("owner-alias", "amazon")}}, 6},
		{"owner account", &ec2.DescribeImagesInput{Owners: []string{"099720109477"}}, 1},
		{"self owns nothing", &ec2.DescribeImagesInput{Owners: []string{"self"}}, 0},
		{"arm64", &ec2.DescribeImagesInput{Filters: []types.Filter{filterOf("architecture", "arm64")}}, 1},
		{"by id", &ec2.DescribeImagesInput{ImageIds: []string{ec2sim.NewestAL2023}}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := h.client.DescribeImages(context.Background(), c.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Images) != c.want {
				t.Fatalf("%d images, want %d", len(out.Images), c.want)
			}
		})
	}
	_, err := h.client.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}})
	wantCode(t, err, "InvalidAMIID.NotFound")
	_, err = h.client.DescribeImages(context.Background(), &ec2.DescribeImagesInput{Filters: []types.Filter{filterOf("flavour", "x")}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDescribeImagesPaginates(t *testing.T) {
	h := newHarness(t, quietOptions())
	p := ec2.NewDescribeImagesPaginator(h.client, &ec2.DescribeImagesInput{MaxResults: aws.Int32(5)})
	var ids []string
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, img := range page.Images {
			ids = append(ids, aws.ToString(img.ImageId))
		}
	}
	if len(ids) != len(ec2sim.Catalogue()) || h.sim.Counts()["DescribeImages"] != 2 {
		t.Fatalf("%d images in %d calls", len(ids), h.sim.Counts()["DescribeImages"])
	}
}
