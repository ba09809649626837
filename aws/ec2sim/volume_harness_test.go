package ec2sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// volumeOptions: quietOptions with volume transitions of a few seconds, so
// tests see every transitional state.
func volumeOptions() ec2sim.Options {
	opts := quietOptions()
	opts.Lifecycle.Volume = ec2sim.VolumeLifecycle{
		Creating: 5 * time.Second, Attaching: 2 * time.Second,
		Detaching: 2 * time.Second, Deleting: 5 * time.Second,
	}
	return opts
}

// gp3Input is a CreateVolume of size GiB gp3 in us-east-1a.
func gp3Input(size int32, token string, tags ...types.Tag) *ec2.CreateVolumeInput {
	in := &ec2.CreateVolumeInput{
		AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(size), VolumeType: types.VolumeTypeGp3,
	}
	if token != "" {
		in.ClientToken = aws.String(token)
	}
	if len(tags) > 0 {
		in.TagSpecifications = []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: tags}}
	}
	return in
}

// createVolume creates a volume and returns its id.
func (h *harness) createVolume(t testing.TB, in *ec2.CreateVolumeInput) string {
	t.Helper()
	out, err := h.client.CreateVolume(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	return aws.ToString(out.VolumeId)
}

// availableVolume creates a gp3 volume and waits out its creating state.
func (h *harness) availableVolume(t testing.TB, size int32, tags ...types.Tag) string {
	t.Helper()
	id := h.createVolume(t, gp3Input(size, "", tags...))
	h.clock.Advance(5 * time.Second)
	if st := h.volume(t, id).State; st != types.VolumeStateAvailable {
		t.Fatalf("volume %s is %s after creating, want available", id, st)
	}
	return id
}

// volume describes one volume by id.
func (h *harness) volume(t testing.TB, id string) types.Volume {
	t.Helper()
	out, err := h.client.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{VolumeIds: []string{id}})
	if err != nil {
		t.Fatalf("DescribeVolumes(%s): %v", id, err)
	}
	if len(out.Volumes) != 1 {
		t.Fatalf("DescribeVolumes(%s): %d volumes", id, len(out.Volumes))
	}
	return out.Volumes[0]
}

// describeVolumes pages through DescribeVolumes and returns the ids.
func (h *harness) describeVolumes(t testing.TB, in *ec2.DescribeVolumesInput) []string {
	t.Helper()
	var ids []string
	p := ec2.NewDescribeVolumesPaginator(h.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("DescribeVolumes: %v", err)
		}
		for _, v := range page.Volumes {
			ids = append(ids, aws.ToString(v.VolumeId))
		}
	}
	return ids
}

// runningInstance launches one instance and waits out pending.
func (h *harness) runningInstance(t testing.TB) string {
	t.Helper()
	id := h.run(t, 1, "")[0]
	h.clock.Advance(10 * time.Second)
	return id
}

// attach attaches volume to instance at device.
func (h *harness) attach(t testing.TB, volumeID, instanceID, device string) *ec2.AttachVolumeOutput {
	t.Helper()
	out, err := h.client.AttachVolume(context.Background(), &ec2.AttachVolumeInput{
		VolumeId: aws.String(volumeID), InstanceId: aws.String(instanceID), Device: aws.String(device),
	})
	if err != nil {
		t.Fatalf("AttachVolume(%s, %s): %v", volumeID, instanceID, err)
	}
	return out
}
