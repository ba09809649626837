// Package ec2sim is an EC2 simulator that speaks the EC2 Query protocol
// (form-encoded POST, EC2's namespaced XML responses and its
// <Response><Errors><Error> envelope) to the real aws-sdk-go-v2 EC2 client.
// It backs the provider's tests and benchmarks and Ovi's dev mode.
//
// # Use
//
//	clock := ec2sim.NewManualClock(time.Now())
//	sim := ec2sim.New(ec2sim.Options{Clock: clock, Seed: 1})
//	url, stop, err := sim.Start("127.0.0.1:0")
//	defer stop()
//	// point the SDK at url: aws.Config.BaseEndpoint, ec2.Options.BaseEndpoint
//	// or AWS_ENDPOINT_URL_EC2; any static credentials do (requests are not
//	// authenticated).
//
// A long-running endpoint (e.g. `ovi ec2sim --listen 127.0.0.1:4566 --state
// FILE`) is Open(Options{StateFile: FILE}) followed by ListenAndServe(ctx,
// addr).
//
// # Actions
//
// DescribeInstances (InstanceId.N; filters instance-id, instance-state-name,
// instance-state-code, instance-type, image-id, reservation-id, client-token,
// availability-zone, tag:KEY, tag-key, tag-value, with * and ? wildcards;
// MaxResults 5–1000, 1000 when unset, and NextToken), RunInstances
// (MinCount/MaxCount, TagSpecification for "instance", ClientToken
// idempotency), TerminateInstances, StopInstances, StartInstances (1–1000
// ids; an instance with termination protection fails TerminateInstances with
// OperationNotPermitted), ModifyInstanceAttribute (one attribute a call:
// the instance type, only when stopped, or DisableApiTermination;
// InvalidParameterCombination for several), DescribeInstanceAttribute
// (instanceType or disableApiTermination of one instance; any other valid
// attribute is UnsupportedOperation, an unknown one InvalidParameterValue),
// CreateTags and DeleteTags (1–1000 instance, security group or volume ids,
// mixed; 50 tags a resource, aws: reserved), DescribeImages (the fixed
// Catalogue). Any other action is InvalidAction. DryRun=true answers
// DryRunOperation.
//
// Security groups: the region holds the VPCs of VPCs() (DefaultVPC and
// OtherVPC), each with its undeletable "default" group. DescribeSecurityGroups
// (GroupId.N, GroupName.N, filters vpc-id, group-id, group-name, description,
// owner-id, tag:KEY, tag-key, tag-value; MaxResults 5–1000 and NextToken),
// CreateSecurityGroup (GroupName unique per VPC: InvalidGroup.Duplicate; a
// new group allows all traffic out; TagSpecification "security-group"),
// DeleteSecurityGroup (CannotDelete for a default group, DependencyViolation
// while a live instance or another group's rule uses it),
// Authorize/RevokeSecurityGroupIngress/Egress (IpPermissions with tcp, udp,
// icmp, -1 or a protocol number, ports, IPv4 ranges and groups of the same
// VPC; all or nothing: InvalidPermission.Duplicate, InvalidPermission.NotFound,
// RulesPerSecurityGroupLimitExceeded past 60 rules a direction; revoke also by
// SecurityGroupRuleId.N). RunInstances takes SecurityGroupId.N (or
// SecurityGroup.N names in the default VPC; at most 5, one VPC) and uses the
// default VPC's default group when none is given.
//
// EBS volumes: DescribeVolumes (VolumeId.N; filters volume-id, status,
// availability-zone, volume-type, size, encrypted, attachment.instance-id,
// attachment.device, attachment.status, tag:KEY, tag-key, tag-value;
// MaxResults of at least 5, 500 at most per page — a larger value answers
// 500 —, everything when unset, and NextToken), CreateVolume (gp2, gp3, io1,
// io2, st1, sc1, standard with EBS's size, IOPS and throughput limits and
// defaults; Encrypted; TagSpecification for "volume"; ClientToken
// idempotency as for RunInstances), DeleteVolume (VolumeInUse while
// attached), ModifyVolume (grow only; at most once per 6 hours per volume on
// Options.Clock, VolumeModificationRateExceeded), AttachVolume (same
// Availability Zone only, InvalidVolume.ZoneMismatch; running or stopped
// instances; a free /dev/sd[b-z] or /dev/xvd[b-z] device) and DetachVolume
// (IncorrectState when detached). Volumes go creating → available ⇄ in-use →
// deleting → forgotten, attachments attaching → attached → detaching, with
// the durations of Lifecycle.Volume; a terminated instance's volumes are
// detached. No snapshots; IgnoreClientToken applies to CreateVolume too.
//
// A call naming an unknown instance fails as a whole with
// InvalidInstanceID.NotFound, as EC2 does; so does an injected per-instance
// failure.
//
// # Lifecycle
//
// pending → running, stopping → stopped and shutting-down → terminated take
// the durations of Options.Lifecycle on Options.Clock; terminated instances
// stay listed for Lifecycle.TerminatedRetention and are then forgotten (their
// ClientToken still replays). Ids are "i-" + 17 hex characters derived from
// Options.Seed and a counter, so runs are reproducible.
//
// # Knobs
//
// Options set the initial values; methods change them while serving, safely
// from any goroutine: SetLatency, SetThrottle (EC2's token buckets per action
// class, measured on the injected clock: RunInstances 5 refill 2/s, other
// mutating calls 50 refill 5/s, CreateTags/DeleteTags 100 refill 10/s,
// Describe* 100 refill 20/s; RequestLimitExceeded with HTTP 503 when empty),
// SetConsistencyWindow (new instances invisible, InvalidInstanceID.NotFound,
// for a while), SetIgnoreClientToken, SetLaunchCapacity (fewer than MaxCount,
// InsufficientInstanceCapacity below MinCount), FailAction and FailInstance
// (inject error codes), and for assertions Counts (requests per action) and
// Instances (a copy of the region).
//
// With Options.StateFile the region is loaded on start and saved atomically
// (temp file + rename) after every successful mutating call.
package ec2sim
