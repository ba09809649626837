package ec2sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestModifyVolumeGrowsOncePerSixHours(t *testing.T) {
	h := newHarness(t, volumeOptions())
	ctx := context.Background()
	vol := h.availableVolume(t, 100)
	out, err := h.client.ModifyVolume(ctx, &ec2.ModifyVolumeInput{VolumeId: aws.String(vol), Size: aws.Int32(200), Iops: aws.Int32(6000)})
	if err != nil {
		t.Fatal(err)
	}
	m := out.VolumeModification
	if aws.ToInt32(m.OriginalSize) != 100 || aws.ToInt32(m.TargetSize) != 200 || aws.ToInt32(m.TargetIops) != 6000 ||
		m.TargetVolumeType != types.VolumeTypeGp3 || aws.ToInt32(m.TargetThroughput) != 125 {
		t.Fatalf("modification %+v, want 100 → 200 GiB, 6000 IOPS, type and throughput kept", m)
	}
	if v := h.volume(t, vol); aws.ToInt32(v.Size) != 200 || aws.ToInt32(v.Iops) != 6000 {
		t.Fatalf("after ModifyVolume: %d GiB %d IOPS, want 200 and 6000", aws.ToInt32(v.Size), aws.ToInt32(v.Iops))
	}
	h.clock.Advance(6*time.Hour - time.Second)
	_, err = h.client.ModifyVolume(ctx, &ec2.ModifyVolumeInput{VolumeId: aws.String(vol), Size: aws.Int32(300)})
	wantCode(t, err, "VolumeModificationRateExceeded")
	h.clock.Advance(time.Second)
	if _, err := h.client.ModifyVolume(ctx, &ec2.ModifyVolumeInput{VolumeId: aws.String(vol), VolumeType: types.VolumeTypeIo2, Iops: aws.Int32(10000)}); err != nil {
		t.Fatalf("ModifyVolume six hours later: %v", err)
	}
	if v := h.volume(t, vol); v.VolumeType != types.VolumeTypeIo2 || v.Throughput != nil || aws.ToInt32(v.Size) != 200 {
		t.Fatalf("after the type change: %s, throughput %v, %d GiB; want io2, none, 200", v.VolumeType, v.Throughput, aws.ToInt32(v.Size))
	}
}

func TestModifyVolumeRefusals(t *testing.T) {
	h := newHarness(t, volumeOptions())
	vol := h.availableVolume(t, 100)
	creating := h.createVolume(t, gp3Input(1, ""))
	cases := []struct {
		name string
		in   *ec2.ModifyVolumeInput
		code string
	}{
		{"shrink", &ec2.ModifyVolumeInput{VolumeId: aws.String(vol), Size: aws.Int32(50)}, "InvalidParameterValue"},
		{"no change", &ec2.ModifyVolumeInput{VolumeId: aws.String(vol), Size: aws.Int32(100)}, "InvalidParameterValue"},
		{"to io1 without iops", &ec2.ModifyVolumeInput{VolumeId: aws.String(vol), VolumeType: types.VolumeTypeIo1}, "InvalidParameterCombination"},
		{"throughput on gp2", &ec2.ModifyVolumeInput{VolumeId: aws.String(vol), VolumeType: types.VolumeTypeGp2, Throughput: aws.Int32(200)}, "InvalidParameterCombination"},
		{"creating", &ec2.ModifyVolumeInput{VolumeId: aws.String(creating), Size: aws.Int32(2)}, "IncorrectState"},
		{"unknown", &ec2.ModifyVolumeInput{VolumeId: aws.String("vol-0123456789abcdef0"), Size: aws.Int32(2)}, "InvalidVolume.NotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.ModifyVolume(context.Background(), tc.in)
			wantCode(t, err, tc.code)
		})
	}
	// None of the refusals counted as a modification.
	if _, err := h.client.ModifyVolume(context.Background(), &ec2.ModifyVolumeInput{VolumeId: aws.String(vol), Size: aws.Int32(150)}); err != nil {
		t.Fatalf("a valid modification after refusals: %v", err)
	}
}

func TestModifyAttachedVolume(t *testing.T) {
	h := newHarness(t, volumeOptions())
	in := h.runningInstance(t)
	vol := h.availableVolume(t, 100)
	h.attach(t, vol, in, "/dev/sdf")
	if _, err := h.client.ModifyVolume(context.Background(), &ec2.ModifyVolumeInput{VolumeId: aws.String(vol), Size: aws.Int32(120)}); err != nil {
		t.Fatalf("ModifyVolume of an in-use volume: %v", err)
	}
	if v := h.volume(t, vol); v.State != types.VolumeStateInUse || aws.ToInt32(v.Size) != 120 {
		t.Fatalf("in-use volume after growing: %s %d GiB", v.State, aws.ToInt32(v.Size))
	}
}
