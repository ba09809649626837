package aws

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

func TestClientTokenStableAndValid(t *testing.T) {
	a := ClientToken("decision-1", 1)
	if a != ClientToken("decision-1", 2) {
		t.Fatal("token depends on the attempt; a retry after failover would launch again")
	}
	if a == ClientToken("decision-2", 1) {
		t.Fatal("two decisions share a token")
	}
	if err := validateToken(a); err != nil {
		t.Fatalf("derived token %q invalid: %v", a, err)
	}
	long := ClientToken(strings.Repeat("x", 10_000), 1)
	if len(long) > maxClientToken || !strings.HasPrefix(long, "ovi-") {
		t.Fatalf("token %q: want ≤ 64 characters starting ovi-", long)
	}
}

func TestCreateTagsInstancesAndSetsToken(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	req := createRequest("web", 3, "decision-7", map[string]string{"env": "prod"})
	res, err := e.p.Create(context.Background(), req)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if len(res.IDs) != 3 || e.calls("RunInstances") != 1 {
		t.Fatalf("launched %v in %d calls, want 3 in 1", res.IDs, e.calls("RunInstances"))
	}
	for _, id := range res.IDs {
		in := e.simInstance(id)
		if in.ClientToken != req.ClientToken || in.InstanceType != "t3.micro" || in.ImageID != ec2sim.NewestAL2023 {
			t.Fatalf("instance %+v", in)
		}
		for k, v := range map[string]string{"env": "prod", wal.TagManaged: "true", wal.TagGroup: "web", wal.TagDecision: "decision-7"} {
			if got, _ := simTag(in, k); got != v {
				t.Fatalf("instance %s tag %s = %q, want %q", id, k, got, v)
			}
		}
	}
}

func TestCreateRetriedWithSameTokenLaunchesNothingNew(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	req := createRequest("web", 5, "decision-9", nil)
	first, err := e.p.Create(context.Background(), req)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	// A retry, e.g. by a new leader after a failover: same decision, same token.
	req.ClientToken = ClientToken(req.DecisionID, 2)
	second, err := e.p.Create(context.Background(), req)
	if err != nil {
		t.Fatalf("Create (retry): %v", err)
	}
	if !slices.Equal(first.IDs, second.IDs) {
		t.Fatalf("retry returned %v, want %v", second.IDs, first.IDs)
	}
	if n := len(e.sim.Instances()); n != 5 {
		t.Fatalf("simulator holds %d instances, want 5", n)
	}
}

func TestCreateSameTokenDifferentRequestIsTerminal(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	req := createRequest("web", 2, "decision-3", nil)
	if _, err := e.p.Create(context.Background(), req); err != nil {
		t.Fatalf("Create: %v", err)
	}
	req.Size = "t3.large"
	e.sim.ResetCounts()
	_, err := e.p.Create(context.Background(), req)
	wantCode(t, err, CodeIdempotent, true)
	if n := e.calls("RunInstances"); n != 1 {
		t.Fatalf("RunInstances calls = %d, want 1 (terminal errors are not retried)", n)
	}
}

func TestCreateWhereTokenIgnoredRecoversByDecision(t *testing.T) {
	e := newEnv(t, ec2sim.Options{IgnoreClientToken: true}, Options{})
	req := createRequest("web", 4, "decision-11", nil)
	res, err := e.p.Create(context.Background(), req)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	// The leader failed before recording the outcome; its successor looks
	// the decision up instead of trusting ClientToken.
	found, err := e.p.FindByDecision(context.Background(), req.DecisionID)
	if err != nil {
		t.Fatalf("FindByDecision: %v", err)
	}
	var ids []string
	for _, r := range found {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(res.IDs))) {
		t.Fatalf("recovered %v, want %v", ids, res.IDs)
	}
}

func TestCreateLaunchesFewerWhenCapacityIsShort(t *testing.T) {
	e := newEnv(t, ec2sim.Options{LaunchCapacity: 3}, Options{})
	res, err := e.p.Create(context.Background(), createRequest("web", 5, "decision-5", nil))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if len(res.IDs) != 3 {
		t.Fatalf("launched %d, want the 3 capacity allows", len(res.IDs))
	}
}

func TestCreateRefusesBadRequestsWithoutCalling(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	base := createRequest("web", 1, "decision-1", nil)
	cases := map[string]func(r *CreateRequest){
		"zero count":       func(r *CreateRequest) { r.Count = 0 },
		"no image":         func(r *CreateRequest) { r.ImageID = "" },
		"no size":          func(r *CreateRequest) { r.Size = "" },
		"no decision":      func(r *CreateRequest) { r.DecisionID = "" },
		"long token":       func(r *CreateRequest) { r.ClientToken = strings.Repeat("a", 65) },
		"non-ascii token":  func(r *CreateRequest) { r.ClientToken = "ovi-é" },
		"empty token":      func(r *CreateRequest) { r.ClientToken = "" },
		"reserved tag":     func(r *CreateRequest) { r.Tags = map[string]string{"aws:x": "1"} },
		"long tag value":   func(r *CreateRequest) { r.Tags = map[string]string{"k": strings.Repeat("v", 257)} },
		"unblessed value":  func(r *CreateRequest) { r.Tags = map[string]string{wal.TagBlessed: "false"} },
		"too many tags":    func(r *CreateRequest) { r.Tags = manyTags(48) },
		"empty tag key":    func(r *CreateRequest) { r.Tags = map[string]string{"": "v"} },
		"oversized key":    func(r *CreateRequest) { r.Tags = map[string]string{strings.Repeat("k", 129): "v"} },
		"huge count":       func(r *CreateRequest) { r.Count = 1 << 30 },
		"no group":         func(r *CreateRequest) { r.Group = "" },
		"negative count":   func(r *CreateRequest) { r.Count = -1 },
		"token with space": func(r *CreateRequest) { r.ClientToken = "ovi- x" },
	}
	for name, mutate := range cases {
		req := base
		mutate(&req)
		_, err := e.p.Create(context.Background(), req)
		wantCode(t, err, CodeInvalidRequest, true)
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("%s: multi-line error %q", name, err)
		}
	}
	if n := e.calls("RunInstances"); n != 0 {
		t.Fatalf("RunInstances calls = %d, want 0", n)
	}
}

// manyTags returns n distinct tags (Ovi adds 3 of its own on launch).
func manyTags(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m["k"+strings.Repeat("x", i)] = "v"
	}
	return m
}

func TestCreateUnknownImageIsTerminal(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	req := createRequest("web", 1, "decision-1", nil)
	req.ImageID = "ami-00000000000000000"
	_, err := e.p.Create(context.Background(), req)
	var pe *reconcile.ProviderError
	wantTerminal(t, err, &pe)
	if !strings.HasPrefix(pe.Code, "InvalidAMIID.") {
		t.Fatalf("code %s, want InvalidAMIID.*", pe.Code)
	}
	if n := e.calls("RunInstances"); n != 1 {
		t.Fatalf("RunInstances calls = %d, want 1", n)
	}
}

func TestDefaultImageIsNewestAL2023(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	id, err := e.p.DefaultImage(context.Background())
	if err != nil {
		t.Fatalf("DefaultImage: %v", err)
	}
	if id != ec2sim.NewestAL2023 {
		t.Fatalf("DefaultImage = %s, want %s", id, ec2sim.NewestAL2023)
	}
	if n := e.calls("DescribeImages"); n != 1 {
		t.Fatalf("DescribeImages calls = %d, want 1", n)
	}
}
