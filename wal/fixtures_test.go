package wal

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// fixtureTime is in a non-UTC zone on purpose: decoding must give UTC.
func fixtureTime() time.Time {
	return time.Date(2025, 3, 14, 10, 30, 1, 123456789, time.FixedZone("CET", 3600))
}

func header(k Kind) Record {
	return Record{
		Kind: k, ResourceID: "i-0123456789abcdef0", Time: fixtureTime(), Node: "ovi-1",
		Term: 7, DecisionID: "d-42", CycleID: "c-1001",
	}
}

func fullResource() Resource {
	return Resource{
		ID: "i-0123456789abcdef0", Kind: ResourceInstance, State: "running",
		Tags: map[string]string{TagManaged: "true", TagGroup: "web", "Name": "web-1"}, Managed: true, Group: "web",
		Instance: &Instance{Size: "t3.micro", ImageID: "ami-12345678", SubnetID: "subnet-1",
			SecurityGroups: []string{"sg-1", "sg-2"}, LaunchTime: fixtureTime().UnixNano(), TerminationProtection: true,
			AvailabilityZone: "eu-west-1a"},
	}
}

// fullRule has every field set (a real rule has one peer; the codec does
// not care).
func fullRule() Rule {
	return Rule{Protocol: "tcp", FromPort: 22, ToPort: 23, CIDR: "10.0.0.0/8", Group: "lb"}
}

func fullSecurityGroup() *SecurityGroup {
	return &SecurityGroup{Name: "web", VpcID: "vpc-1", Description: "web servers",
		Ingress: []Rule{fullRule()}, Egress: []Rule{fullRule(), {Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: "0.0.0.0/0", Group: "x"}}}
}

func securityGroupResource() Resource {
	return Resource{ID: "sg-0123456789abcdef0", Kind: ResourceSecurityGroup, State: "available",
		Tags: map[string]string{TagManaged: "true", TagGroup: "web"}, Managed: true, Group: "web",
		SecurityGroup: fullSecurityGroup()}
}

func fullConfig() Config {
	return Config{
		Version: "v1", Provider: "aws", Region: "eu-west-1", Endpoint: "http://127.0.0.1:4566",
		Policy: Policy{DeleteUnwanted: true, MaxDeletions: 3, AllowDisruptive: true},
		Groups: []Group{{
			Name: "web", Type: "ec2", Count: 3, Size: "t3.micro", Image: "ami-1", SubnetID: "subnet-1",
			SecurityGroups: []string{"sg-1", "sg-2"}, Tags: map[string]string{"env": "prod", "team": "a"}, Unnamed: true,
		}, {
			Name: "db", Type: "ec2", Count: 1, Size: "m5.large", Image: "ami-2", SubnetID: "subnet-2",
			SecurityGroups: []string{"sg-3"}, Tags: map[string]string{"env": "prod"}, Unnamed: true,
		}},
		Resources: []Spec{{Kind: ResourceSecurityGroup, Name: "web", Tags: map[string]string{"env": "prod"},
			SecurityGroup: fullSecurityGroup()}},
	}
}

// fullRecords returns one record of every kind with every field set.
func fullRecords() []Record {
	obs := header(KindObserved)
	obs.Observed = &Observed{Change: ChangeUpdated, Resource: fullResource()}
	dec := header(KindDecided)
	dec.Decided = &Decided{
		Action: ActionUpdateTags, Drift: DriftDrifted, ResourceKind: ResourceInstance, Reason: "Update tags: env differs", DryRun: true,
		Group: "web", Count: 2, Size: "t3.small", ImageID: "ami-9",
		SetTags: map[string]string{"env": "prod", "b": "2"}, RemoveTags: []string{"old", "stale"},
		Rule: &RuleChange{Egress: true, Rule: fullRule()}, Adoptable: "web",
		Volume: &VolumeTarget{VolumeType: "gp3", SizeGiB: 200, Iops: 4000, Throughput: 250, InstanceID: "i-1", Device: "/dev/sdf"},
	}
	exing := header(KindExecuting)
	exing.Executing = &Executing{Action: ActionDelete, Description: "Starting deletion", ClientToken: "tok-1", Attempt: 2}
	exed := header(KindExecuted)
	exed.Executed = &Executed{Action: ActionCreate, Message: "Successfully created", ResourceIDs: []string{"i-1", "i-2"}, Recovered: true}
	fail := header(KindFailed)
	fail.Failed = &Failed{Action: ActionResize, Code: "RequestLimitExceeded", Message: "Rate exceeded", Retryable: true}
	cfg := header(KindConfigApplied)
	cfg.Config = &ConfigApplied{Source: "/etc/ovi/infrastructure.yaml", Digest: "ab12cd34", Config: fullConfig()}
	sum := header(KindCycleSummary)
	sum.Summary = &CycleSummary{DryRun: true, Observed: 10, InSync: 5, Missing: 1, Unwanted: 2, Drifted: 1,
		Unmanaged: 1, Actions: -4, Failures: 1, DurationMS: 1234, Inputs: &DecideInputs{
			Version: "v1.2.3", ConfigDigest: "ab12cd34", Confirmations: 2,
			Unwanted: []UnwantedSighting{{ResourceID: "i-1", Seen: 1}, {ResourceID: "i-2", Seen: 3}},
			Launched: []LaunchCredit{{ResourceID: "i-3", Kind: ResourceInstance, Group: "web", Cycles: 1}},
			Failed:   []FailedAction{{Key: "create/web", Code: "InvalidAMIID.NotFound"}},
		}, Budget: &APIBudget{Counted: true, LimiterMS: 1500, CloudMS: 1500, WaitedMS: 1498, Calls: []APICalls{
			{Operation: "DescribeInstances", Bucket: "describe", Planned: 2, Actual: 3},
			{Operation: "RunInstances", Bucket: "run_instances", Planned: 8, Actual: 8},
		}}}
	cmp := header(KindCompaction)
	cmp.Compaction = &Compaction{Revision: 1 << 40, Audit: 1 << 39, Policy: "retention history=30d audit=365d"}
	note := header(KindNote)
	note.Note = &Note{Text: "operator: planned maintenance ✓"}
	rst := header(KindRestore)
	rst.Restore = &Restore{Snapshot: "9f86d081884c7d659a2feaa0c55ad015", FromRevision: 812, ToRevision: 640,
		Dropped: 57, Scope: "write", Via: "ovi-2"}
	lead := header(KindLeadership)
	lead.Leadership = &Leadership{Leader: "ovi-1", Previous: "ovi-3", Reason: "previous leader failed"}
	dlv := header(KindDelivery)
	dlv.Delivery = &Delivery{Receiver: "ops", Revision: 1042, Sub: 3, Outcome: DeliveryFailed, Attempts: 6,
		Status: 503, Error: "HTTP 503 Service Unavailable"}
	return []Record{obs, dec, exing, exed, fail, cfg, sum, cmp, note, rst, lead, dlv}
}

// normalise returns r as a decoder would produce it: time in UTC without a
// monotonic reading.
func normalise(r Record) Record {
	r.Time = r.Time.UTC()
	return r
}

// assertAllSet fails if any field reachable from v is a zero value, except
// the payload pointers of other kinds. It keeps the fixtures honest: a new
// field must be set in them, and then the round-trip tests cover it.
func assertAllSet(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			assertAllSet(t, path, v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			if v.Interface().(time.Time).IsZero() {
				t.Errorf("%s is zero", path)
			}
			return
		}
		for i := range v.NumField() {
			f := v.Field(i)
			name := path + "." + v.Type().Field(i).Name
			if f.Kind() == reflect.Pointer && f.IsNil() {
				continue
			}
			assertAllSet(t, name, f)
		}
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			t.Errorf("%s is empty", path)
		}
		if v.Kind() == reflect.Slice {
			for i := range v.Len() {
				assertAllSet(t, fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		}
	default:
		if v.IsZero() {
			t.Errorf("%s is zero", path)
		}
	}
}

// manyTagsRecord is an observed record with n tags.
func manyTagsRecord(n int) Record {
	r := header(KindObserved)
	res := fullResource()
	res.Tags = make(map[string]string, n)
	for i := range n {
		res.Tags[fmt.Sprintf("key-%04d", i)] = fmt.Sprintf("value-%d", i)
	}
	r.Observed = &Observed{Change: ChangeNew, Resource: res}
	return r
}
