package ec2sim_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestCreateVolumeIsCreatingThenAvailable(t *testing.T) {
	h := newHarness(t, volumeOptions())
	out, err := h.client.CreateVolume(context.Background(), &ec2.CreateVolumeInput{
		AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(100), VolumeType: types.VolumeTypeGp3,
		Iops: aws.Int32(4000), Throughput: aws.Int32(250), Encrypted: aws.Bool(true),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVolume,
			Tags: []types.Tag{tag("Name", "prod-database"), tag("ovi:managed", "true")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.VolumeId)
	if out.State != types.VolumeStateCreating || aws.ToInt32(out.Size) != 100 || len(out.Tags) != 2 {
		t.Fatalf("CreateVolume answered %s %d GiB %d tags, want creating 100 GiB 2 tags", out.State, aws.ToInt32(out.Size), len(out.Tags))
	}
	h.clock.Advance(4 * time.Second)
	if st := h.volume(t, id).State; st != types.VolumeStateCreating {
		t.Fatalf("after 4 s the volume is %s, want creating", st)
	}
	h.clock.Advance(time.Second)
	v := h.volume(t, id)
	if v.State != types.VolumeStateAvailable || aws.ToString(v.AvailabilityZone) != "us-east-1a" ||
		v.VolumeType != types.VolumeTypeGp3 || aws.ToInt32(v.Iops) != 4000 || aws.ToInt32(v.Throughput) != 250 ||
		!aws.ToBool(v.Encrypted) || len(v.Attachments) != 0 {
		t.Fatalf("volume %+v, want available gp3 4000 IOPS 250 MiB/s encrypted in us-east-1a, detached", v)
	}
}

func TestCreateVolumeAppliesTypeDefaults(t *testing.T) {
	h := newHarness(t, volumeOptions())
	gp3 := h.volume(t, h.createVolume(t, gp3Input(10, "")))
	if aws.ToInt32(gp3.Iops) != 3000 || aws.ToInt32(gp3.Throughput) != 125 {
		t.Fatalf("gp3 defaults %d IOPS %d MiB/s, want 3000 and 125", aws.ToInt32(gp3.Iops), aws.ToInt32(gp3.Throughput))
	}
	gp2 := h.volume(t, h.createVolume(t, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1b"), Size: aws.Int32(200)}))
	if gp2.VolumeType != types.VolumeTypeGp2 || aws.ToInt32(gp2.Iops) != 600 || gp2.Throughput != nil {
		t.Fatalf("default volume is %s with %d IOPS, throughput %v; want gp2, 3 IOPS/GiB, none", gp2.VolumeType, aws.ToInt32(gp2.Iops), gp2.Throughput)
	}
	st1 := h.volume(t, h.createVolume(t, &ec2.CreateVolumeInput{AvailabilityZone: aws.String("us-east-1a"), Size: aws.Int32(500), VolumeType: types.VolumeTypeSt1}))
	if st1.Iops != nil || st1.Throughput != nil {
		t.Fatalf("st1 reports IOPS %v throughput %v, want neither", st1.Iops, st1.Throughput)
	}
}

func TestCreateVolumeClientTokenIsIdempotent(t *testing.T) {
	h := newHarness(t, volumeOptions())
	first := h.createVolume(t, gp3Input(50, "decision-7", tag("Name", "data")))
	again := h.createVolume(t, gp3Input(50, "decision-7", tag("Name", "data")))
	if again != first || len(h.sim.Volumes()) != 1 {
		t.Fatalf("a repeated ClientToken created %s beside %s (%d volumes), want the same volume", again, first, len(h.sim.Volumes()))
	}
	_, err := h.client.CreateVolume(context.Background(), gp3Input(60, "decision-7", tag("Name", "data")))
	wantCode(t, err, "IdempotentParameterMismatch")
	if other := h.createVolume(t, gp3Input(50, "decision-8", tag("Name", "data"))); other == first {
		t.Fatalf("a new ClientToken returned the old volume")
	}

	h.clock.Advance(5 * time.Second)
	if _, err := h.client.DeleteVolume(context.Background(), &ec2.DeleteVolumeInput{VolumeId: aws.String(first)}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(5 * time.Second)
	out, err := h.client.CreateVolume(context.Background(), gp3Input(50, "decision-7", tag("Name", "data")))
	if err != nil || aws.ToString(out.VolumeId) != first || out.State != types.VolumeStateDeleted {
		t.Fatalf("replay after delete: %v %s %s, want %s deleted", err, aws.ToString(out.VolumeId), out.State, first)
	}
	if n := len(h.sim.Volumes()); n != 1 {
		t.Fatalf("%d volumes after the replay, want 1 (decision-8's)", n)
	}
}

func TestCreateVolumeRefusesWhatEBSRefuses(t *testing.T) {
	h := newHarness(t, volumeOptions())
	az := aws.String("us-east-1a")
	cases := []struct {
		name string
		in   *ec2.CreateVolumeInput
		code string
	}{
		{"no zone", &ec2.CreateVolumeInput{Size: aws.Int32(1)}, "MissingParameter"},
		{"unknown zone", &ec2.CreateVolumeInput{AvailabilityZone: aws.String("eu-west-1a"), Size: aws.Int32(1)}, "InvalidParameterValue"},
		{"no size", &ec2.CreateVolumeInput{AvailabilityZone: az}, "MissingParameter"},
		{"unknown type", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(1), VolumeType: "gp9"}, "InvalidParameterValue"},
		{"too large", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(16385), VolumeType: types.VolumeTypeGp3}, "InvalidParameterValue"},
		{"st1 too small", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(100), VolumeType: types.VolumeTypeSt1}, "InvalidParameterValue"},
		{"gp2 with iops", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(10), VolumeType: types.VolumeTypeGp2, Iops: aws.Int32(300)}, "InvalidParameterCombination"},
		{"io1 without iops", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(10), VolumeType: types.VolumeTypeIo1}, "InvalidParameterCombination"},
		{"io1 ratio", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(10), VolumeType: types.VolumeTypeIo1, Iops: aws.Int32(1000)}, "InvalidParameterValue"},
		{"io2 throughput", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(10), VolumeType: types.VolumeTypeIo2, Iops: aws.Int32(1000), Throughput: aws.Int32(200)}, "InvalidParameterCombination"},
		{"gp3 throughput over iops/4", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(10), VolumeType: types.VolumeTypeGp3, Throughput: aws.Int32(1000)}, "InvalidParameterValue"},
		{"instance tag spec", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(1),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeInstance, Tags: []types.Tag{tag("a", "b")}}}}, "InvalidParameterValue"},
		{"aws: tag", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(1),
			TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeVolume, Tags: []types.Tag{tag("aws:x", "b")}}}}, "InvalidParameterValue"},
		{"dry run", &ec2.CreateVolumeInput{AvailabilityZone: az, Size: aws.Int32(1), DryRun: aws.Bool(true)}, "DryRunOperation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.CreateVolume(context.Background(), tc.in)
			wantCode(t, err, tc.code)
		})
	}
	if n := len(h.sim.Volumes()); n != 0 {
		t.Fatalf("refused calls created %d volumes", n)
	}
}

func TestDescribeVolumesPaginates(t *testing.T) {
	h := newHarness(t, volumeOptions())
	var created []string
	for range 12 {
		created = append(created, h.createVolume(t, gp3Input(1, "")))
	}
	h.sim.ResetCounts()
	if got := h.describeVolumes(t, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(5)}); !slices.Equal(got, created) {
		t.Fatalf("pages of 5 gave %v, want %v", got, created)
	}
	if n := h.sim.Counts()["DescribeVolumes"]; n != 3 {
		t.Fatalf("DescribeVolumes calls = %d, want 3 (5 + 5 + 2)", n)
	}
	out, err := h.client.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{})
	if err != nil || len(out.Volumes) != 12 || out.NextToken != nil {
		t.Fatalf("unpaginated call: %v, %d volumes, token %v; want all 12, no token", err, len(out.Volumes), out.NextToken)
	}
	_, err = h.client.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{MaxResults: aws.Int32(4)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = h.client.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{MaxResults: aws.Int32(5), VolumeIds: created[:1]})
	wantCode(t, err, "InvalidParameterCombination")
	_, err = h.client.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{MaxResults: aws.Int32(5), NextToken: aws.String("bogus")})
	wantCode(t, err, "InvalidPaginationToken")
	_, err = h.client.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{VolumeIds: []string{"vol-0123456789abcdef0"}})
	wantCode(t, err, "InvalidVolume.NotFound")
	_, err = h.client.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{VolumeIds: []string{"vol-nothex"}})
	wantCode(t, err, "InvalidVolumeID.Malformed")
}

func TestDescribeVolumesPagesHoldAtMost500(t *testing.T) {
	h := newHarness(t, volumeOptions())
	for range 501 {
		h.createVolume(t, gp3Input(1, ""))
	}
	out, err := h.client.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{MaxResults: aws.Int32(1000)})
	if err != nil || len(out.Volumes) != 500 || out.NextToken == nil {
		t.Fatalf("MaxResults 1000: %v, %d volumes, token %v; want 500 and a token", err, len(out.Volumes), out.NextToken)
	}
	h.sim.ResetCounts()
	if got := h.describeVolumes(t, &ec2.DescribeVolumesInput{MaxResults: aws.Int32(500)}); len(got) != 501 {
		t.Fatalf("paged %d volumes, want 501", len(got))
	}
	if n := h.sim.Counts()["DescribeVolumes"]; n != 2 {
		t.Fatalf("DescribeVolumes calls = %d, want 2", n)
	}
}

func TestDescribeVolumesFilters(t *testing.T) {
	h := newHarness(t, volumeOptions())
	in := h.runningInstance(t)
	db := h.availableVolume(t, 10, tag("Name", "prod-database"), tag("ovi:managed", "true"))
	logs := h.availableVolume(t, 10, tag("Name", "logs"))
	fresh := h.createVolume(t, gp3Input(10, ""))
	h.attach(t, db, in, "/dev/sdf")

	cases := []struct {
		name    string
		filters []types.Filter
		want    []string
	}{
		{"tag", []types.Filter{filterOf("tag:Name", "prod-*")}, []string{db}},
		{"tag-key", []types.Filter{filterOf("tag-key", "ovi:managed")}, []string{db}},
		{"volume-id", []types.Filter{filterOf("volume-id", logs, fresh)}, []string{logs, fresh}},
		{"status", []types.Filter{filterOf("status", "creating")}, []string{fresh}},
		{"status in-use", []types.Filter{filterOf("status", "in-use")}, []string{db}},
		{"attachment.instance-id", []types.Filter{filterOf("attachment.instance-id", in)}, []string{db}},
		{"and", []types.Filter{filterOf("tag:Name", "*"), filterOf("status", "available")}, []string{logs}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := h.describeVolumes(t, &ec2.DescribeVolumesInput{Filters: tc.filters, MaxResults: aws.Int32(500)})
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	_, err := h.client.DescribeVolumes(context.Background(), &ec2.DescribeVolumesInput{Filters: []types.Filter{filterOf("no-such-filter", "x")}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDeleteVolume(t *testing.T) {
	h := newHarness(t, volumeOptions())
	ctx := context.Background()
	creating := h.createVolume(t, gp3Input(1, ""))
	_, err := h.client.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(creating)})
	wantCode(t, err, "IncorrectState")
	h.clock.Advance(5 * time.Second)
	if _, err := h.client.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(creating)}); err != nil {
		t.Fatal(err)
	}
	if st := h.volume(t, creating).State; st != types.VolumeStateDeleting {
		t.Fatalf("deleted volume is %s, want deleting", st)
	}
	h.clock.Advance(5 * time.Second)
	if got := h.describeVolumes(t, &ec2.DescribeVolumesInput{}); len(got) != 0 {
		t.Fatalf("deleted volume still listed: %v", got)
	}
	_, err = h.client.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String(creating)})
	wantCode(t, err, "InvalidVolume.NotFound")
	_, err = h.client.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: aws.String("i-0123456789abcdef0")})
	wantCode(t, err, "InvalidVolumeID.Malformed")
}

func TestCreateTagsOnVolumes(t *testing.T) {
	h := newHarness(t, volumeOptions())
	ctx := context.Background()
	vol := h.createVolume(t, gp3Input(1, "", tag("Name", "data")))
	in := h.run(t, 1, "")[0]
	_, err := h.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vol, in}, Tags: []types.Tag{tag("ovi:blessed", "true")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.describeVolumes(t, &ec2.DescribeVolumesInput{Filters: []types.Filter{filterOf("tag:ovi:blessed", "true")}}); !slices.Equal(got, []string{vol}) {
		t.Fatalf("tag:ovi:blessed finds %v, want %s", got, vol)
	}
	if got := tagsOf(t, h, in); len(got) != 1 || got[0].Key != "ovi:blessed" {
		t.Fatalf("the instance of the same call has tags %v", got)
	}
	_, err = h.client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{vol, "vol-0123456789abcdef0"}, Tags: []types.Tag{tag("a", "b")}})
	wantCode(t, err, "InvalidVolume.NotFound")
	if _, err := h.client.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{vol}, Tags: []types.Tag{{Key: aws.String("Name")}}}); err != nil {
		t.Fatal(err)
	}
	got := h.sim.Volumes()[0].Tags
	if len(got) != 1 || got[0].Key != "ovi:blessed" {
		t.Fatalf("after DeleteTags(Name) and a refused CreateTags the volume has %v, want only ovi:blessed", got)
	}
}
