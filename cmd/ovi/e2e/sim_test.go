//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/wal"
)

// sim is `ovi ec2sim` running as its own process with a state file, and an
// EC2 client (the real SDK) to look at it the way AWS users would.
type sim struct {
	*clustertest.Proc
	url       string
	stateFile string
	client    *ec2.Client
}

// startSim runs `ovi ec2sim --listen 127.0.0.1:PORT --state FILE` and waits
// until it answers DescribeInstances.
func startSim(t *testing.T, bin string) *sim {
	t.Helper()
	dir := t.TempDir()
	addr := "127.0.0.1:" + strconv.Itoa(clustertest.FreePort(t))
	s := &sim{url: "http://" + addr, stateFile: filepath.Join(dir, "cloud.json")}
	s.Proc = clustertest.NewProc(t, "ec2sim", dir, bin, "ec2sim", "--listen", addr, "--state", s.stateFile)
	s.Env = simEnv()
	s.client = ec2.New(ec2.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("OVIE2EACCESSKEY", "ovi-e2e-secret", ""),
		BaseEndpoint: awssdk.String(s.url),
	})
	s.Start()
	clustertest.WaitForSeen(t, "the EC2 simulator to answer", 20*time.Second, func() (bool, string) {
		if !s.Running() {
			t.Fatalf("ec2sim exited: %v", s.ExitErr())
		}
		_, err := s.instances(context.Background())
		return err == nil, fmt.Sprint(err)
	})
	return s
}

// instance is what the test needs to know of one simulated instance.
type instance struct {
	id, state string
	tags      map[string]string
}

func (i instance) managed() bool { return i.tags[wal.TagManaged] == "true" }

// live: pending, running, stopping or stopped (not going away).
func (i instance) live() bool { return i.state != "shutting-down" && i.state != "terminated" }

// instances lists every instance of the simulated region.
func (s *sim) instances(ctx context.Context) ([]instance, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var out []instance
	p := ec2.NewDescribeInstancesPaginator(s.client, &ec2.DescribeInstancesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				out = append(out, toInstance(in))
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].id < out[b].id })
	return out, nil
}

func toInstance(in ec2types.Instance) instance {
	i := instance{id: awssdk.ToString(in.InstanceId), tags: map[string]string{}}
	if in.State != nil {
		i.state = string(in.State.Name)
	}
	for _, tag := range in.Tags {
		i.tags[awssdk.ToString(tag.Key)] = awssdk.ToString(tag.Value)
	}
	return i
}

// liveManaged returns the ids of the live instances Ovi launched.
func (s *sim) liveManaged(ctx context.Context) ([]string, error) {
	all, err := s.instances(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, in := range all {
		if in.managed() && in.live() {
			ids = append(ids, in.id)
		}
	}
	return ids, nil
}

// seedUnmanaged launches one instance someone else owns (no ovi tags):
// Ovi must report it and never touch it.
func (s *sim) seedUnmanaged(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := s.client.RunInstances(ctx, &ec2.RunInstancesInput{
		MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1),
		ImageId: awssdk.String("ami-0a1b2c3d4e5f60002"), InstanceType: ec2types.InstanceTypeT3Small,
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeInstance,
			Tags:         []ec2types.Tag{{Key: awssdk.String("team"), Value: awssdk.String("data")}},
		}},
	})
	if err != nil || len(out.Instances) != 1 {
		t.Fatalf("seed an unmanaged instance: %v", err)
	}
	return awssdk.ToString(out.Instances[0].InstanceId)
}
