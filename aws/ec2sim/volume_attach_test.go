package ec2sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestAttachAndDetachVolume(t *testing.T) {
	h := newHarness(t, volumeOptions())
	in := h.runningInstance(t)
	vol := h.availableVolume(t, 10)
	out := h.attach(t, vol, in, "/dev/sdf")
	if out.State != types.VolumeAttachmentStateAttaching || aws.ToString(out.Device) != "/dev/sdf" || aws.ToString(out.InstanceId) != in {
		t.Fatalf("AttachVolume answered %+v, want attaching %s at /dev/sdf", out, in)
	}
	v := h.volume(t, vol)
	if v.State != types.VolumeStateInUse || len(v.Attachments) != 1 || v.Attachments[0].State != types.VolumeAttachmentStateAttaching {
		t.Fatalf("volume %s with %+v, want in-use, attaching", v.State, v.Attachments)
	}
	h.clock.Advance(2 * time.Second)
	if a := h.volume(t, vol).Attachments; len(a) != 1 || a[0].State != types.VolumeAttachmentStateAttached || aws.ToBool(a[0].DeleteOnTermination) {
		t.Fatalf("attachments %+v, want attached, not deleted on termination", a)
	}
	_, err := h.client.DetachVolume(context.Background(), &ec2.DetachVolumeInput{VolumeId: aws.String(vol), InstanceId: aws.String("i-0123456789abcdef0")})
	wantCode(t, err, "InvalidAttachment.NotFound")
	det, err := h.client.DetachVolume(context.Background(), &ec2.DetachVolumeInput{VolumeId: aws.String(vol)})
	if err != nil || det.State != types.VolumeAttachmentStateDetaching {
		t.Fatalf("DetachVolume: %v, state %s; want detaching", err, det.State)
	}
	if st := h.volume(t, vol).State; st != types.VolumeStateInUse {
		t.Fatalf("detaching volume is %s, want in-use until detached", st)
	}
	h.clock.Advance(2 * time.Second)
	if v := h.volume(t, vol); v.State != types.VolumeStateAvailable || len(v.Attachments) != 0 {
		t.Fatalf("detached volume %s with %d attachments, want available, none", v.State, len(v.Attachments))
	}
	_, err = h.client.DetachVolume(context.Background(), &ec2.DetachVolumeInput{VolumeId: aws.String(vol)})
	wantCode(t, err, "IncorrectState")
}

func TestAttachVolumeRefusals(t *testing.T) {
	h := newHarness(t, volumeOptions())
	in := h.runningInstance(t)
	other := h.runningInstance(t)
	used := h.availableVolume(t, 10)
	h.attach(t, used, in, "/dev/sdf")
	free := h.availableVolume(t, 10)
	zoneB := h.createVolume(t, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1b"), Size: aws.Int32(1)})
	pending := h.run(t, 1, "")[0]
	h.clock.Advance(5 * time.Second) // zoneB is available, pending still pending
	cases := []struct {
		name, vol, inst, device, code string
	}{
		{"in use", used, other, "/dev/sdg", "VolumeInUse"},
		{"creating", "", in, "/dev/sdg", "IncorrectState"},
		{"other zone", zoneB, in, "/dev/sdg", "InvalidVolume.ZoneMismatch"},
		{"device taken", free, in, "/dev/sdf", "InvalidParameterValue"},
		{"root device", free, in, "/dev/xvda", "InvalidParameterValue"},
		{"bad device", free, in, "sdf", "InvalidParameterValue"},
		{"pending instance", free, pending, "/dev/sdf", "IncorrectInstanceState"},
		{"unknown instance", free, "i-0123456789abcdef0", "/dev/sdf", "InvalidInstanceID.NotFound"},
		{"unknown volume", "vol-0123456789abcdef0", in, "/dev/sdf", "InvalidVolume.NotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.vol == "" {
				tc.vol = h.createVolume(t, gp3Input(1, "")) // still creating
			}
			_, err := h.client.AttachVolume(context.Background(), &ec2.AttachVolumeInput{
				VolumeId: aws.String(tc.vol), InstanceId: aws.String(tc.inst), Device: aws.String(tc.device),
			})
			wantCode(t, err, tc.code)
		})
	}
	if st := h.volume(t, free).State; st != types.VolumeStateAvailable {
		t.Fatalf("refused attachments left the free volume %s", st)
	}
}

func TestDeleteVolumeInUseAndTerminationDetaches(t *testing.T) {
	h := newHarness(t, volumeOptions())
	in := h.runningInstance(t)
	vol := h.availableVolume(t, 10)
	h.attach(t, vol, in, "/dev/sdf")
	_, err := h.client.DeleteVolume(context.Background(), &ec2.DeleteVolumeInput{VolumeId: aws.String(vol)})
	wantCode(t, err, "VolumeInUse")
	h.terminate(t, in)
	if st := h.volume(t, vol).State; st != types.VolumeStateInUse {
		t.Fatalf("volume of a shutting-down instance is %s, want in-use", st)
	}
	h.clock.Advance(10 * time.Second) // terminated
	if v := h.volume(t, vol); v.State != types.VolumeStateAvailable || len(v.Attachments) != 0 {
		t.Fatalf("volume of a terminated instance is %s with %d attachments, want available", v.State, len(v.Attachments))
	}
	if _, err := h.client.DeleteVolume(context.Background(), &ec2.DeleteVolumeInput{VolumeId: aws.String(vol)}); err != nil {
		t.Fatalf("DeleteVolume after detachment: %v", err)
	}
}
