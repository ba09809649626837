package ec2sim

// Image is one entry of the simulator's fixed AMI catalogue.
type Image struct {
	ID           string
	Name         string
	Description  string
	Architecture string // "x86_64" or "arm64"
	OwnerID      string
	OwnerAlias   string // "amazon" for Amazon's images, empty otherwise
	CreationDate string // RFC 3339, as EC2 returns it
}

// Owners of the catalogue's images.
const (
	ownerAmazon    = "137112412989"
	ownerCanonical = "099720109477"
)

// Catalogue returns the fixed image catalogue. It holds several Amazon Linux
// 2023 x86_64 images with distinct creation dates (so "the newest" is
// meaningful and not the first listed), arm64 and minimal variants that are
// newer still (so a resolver must filter by name and architecture), an older
// Amazon Linux 2 image and a non-Amazon image.
func Catalogue() []Image {
	al := func(id, name, arch, date string) Image {
		return Image{ID: id, Name: name, Description: "Amazon Linux 2023 AMI " + name,
			Architecture: arch, OwnerID: ownerAmazon, OwnerAlias: "amazon", CreationDate: date}
	}
	return []Image{
		al("ami-0a1b2c3d4e5f60001", "al2023-ami-2023.9.20260112.0-kernel-6.1-x86_64", "x86_64", "2026-01-12T21:04:11.000Z"),
		al("ami-0a1b2c3d4e5f60002", "al2023-ami-2023.10.20260302.1-kernel-6.1-x86_64", "x86_64", "2026-03-02T18:30:45.000Z"),
		al("ami-0a1b2c3d4e5f60003", "al2023-ami-2023.9.20260203.0-kernel-6.1-x86_64", "x86_64", "2026-02-03T19:12:00.000Z"),
		al("ami-0a1b2c3d4e5f60004", "al2023-ami-2023.10.20260310.0-kernel-6.1-arm64", "arm64", "2026-03-10T17:00:00.000Z"),
		al("ami-0a1b2c3d4e5f60005", "al2023-ami-minimal-2023.10.20260311.0-kernel-6.1-x86_64", "x86_64", "2026-03-11T16:45:00.000Z"),
		{ID: "ami-0a1b2c3d4e5f60006", Name: "amzn2-ami-kernel-5.10-hvm-2.0.20251201.0-x86_64-gp2",
			Description: "Amazon Linux 2 Kernel 5.10 AMI", Architecture: "x86_64",
			OwnerID: ownerAmazon, OwnerAlias: "amazon", CreationDate: "2025-12-02T02:10:00.000Z"},
		{ID: "ami-0a1b2c3d4e5f60007", Name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20260220",
			Description: "Canonical, Ubuntu, 24.04, amd64 noble image", Architecture: "x86_64",
			OwnerID: ownerCanonical, CreationDate: "2026-02-21T05:00:00.000Z"},
	}
}

// NewestAL2023 is the id of the newest Amazon Linux 2023 x86_64 standard
// image in Catalogue (what a default-image resolver must pick).
const NewestAL2023 = "ami-0a1b2c3d4e5f60002"

// findImage looks an image id up in the catalogue.
func findImage(id string) (Image, bool) {
	for _, img := range Catalogue() {
		if img.ID == id {
			return img, true
		}
	}
	return Image{}, false
}

// imageXML renders one image.
func imageXML(img Image) xmlImage {
	owner := img.OwnerAlias
	if owner == "" {
		owner = img.OwnerID
	}
	return xmlImage{
		ImageID: img.ID, ImageLocation: owner + "/" + img.Name, ImageState: "available",
		ImageOwnerID: img.OwnerID, CreationDate: img.CreationDate, IsPublic: true,
		Architecture: img.Architecture, ImageType: "machine", Name: img.Name,
		Description: img.Description, ImageOwnerAlias: img.OwnerAlias,
		RootDeviceType: "ebs", RootDeviceName: "/dev/xvda", VirtualizationType: "hvm",
		Hypervisor: "xen", PlatformDetails: "Linux/UNIX", EnaSupport: true,
	}
}
