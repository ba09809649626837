//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/cluster/clustertest"
	"github.com/yairfalse/ovi/wal"
)

const standaloneInfra = `version: v1
provider: aws
region: us-east-1
policy: {delete_unwanted: true, max_deletions_per_run: 5}
resources:
  - {name: web, type: ec2, count: 1, size: t3.micro}
`

// TestStandaloneSecondRunDeletesWhatTheFirstHeld: two standalone `ovi
// reconcile` runs (no agent, each its own process with the local store in
// OVI_LOCAL_DIR) against the simulator, with delete_unwanted: the first
// holds the unwanted managed instance for re-checking, the second deletes
// it; the blessed one is refused both times.
func TestStandaloneSecondRunDeletesWhatTheFirstHeld(t *testing.T) {
	bin := clustertest.Binary(t)
	cloud := startSim(t, bin)
	old := cloud.seedManaged(t, "gone")
	keep := cloud.seedManaged(t, "gone", wal.TagBlessed, "true")
	dir := t.TempDir()
	infra := filepath.Join(dir, "infrastructure.yaml")
	if err := os.WriteFile(infra, []byte(standaloneInfra), 0o600); err != nil {
		t.Fatal(err)
	}
	first := standaloneReconcile(t, bin, dir, cloud.url, "-f", infra)
	wantLine(t, "run 1", first, old, "re-checking before delete (first seen unwanted)")
	wantLine(t, "run 1", first, keep, "Protected: tagged ovi:blessed")
	second := standaloneReconcile(t, bin, dir, cloud.url, "-f", infra)
	wantLine(t, "run 2", second, old, "Delete: Not in desired configuration")
	wantLine(t, "run 2", second, old, "✓ deleted")
	wantLine(t, "run 2", second, keep, "Protected: tagged ovi:blessed")
	live, err := cloud.liveManaged(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(live, " "), old) || !strings.Contains(strings.Join(live, " "), keep) || len(live) != 2 {
		t.Fatalf("live managed instances after run 2: %v (want %s deleted, %s and one web kept)", live, old, keep)
	}
}

// standaloneReconcile runs `ovi reconcile ARGS` with no agent, its local
// store in dir/.ovi, the simulator as the EC2 endpoint; it must exit 0.
func standaloneReconcile(t *testing.T, bin, dir, endpoint string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"reconcile"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(simEnv(), "OVI_LOCAL_DIR="+filepath.Join(dir, ".ovi"), "AWS_ENDPOINT_URL_EC2="+endpoint)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("ovi reconcile: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "running standalone") {
		t.Fatalf("ovi reconcile did not run standalone (something listens on 127.0.0.1:7400?):\n%s", errb.String())
	}
	return out.String()
}

// wantLine fails unless a line of the plan names id and says want.
func wantLine(t *testing.T, run, plan, id, want string) {
	t.Helper()
	for _, l := range strings.Split(plan, "\n") {
		if strings.Contains(l, id) && strings.Contains(l, want) {
			return
		}
	}
	t.Fatalf("%s: no line with %s saying %q:\n%s", run, id, want, plan)
}

// seedManaged launches an instance tagged as Ovi's, of group, with extra
// tags (key, value pairs).
func (s *sim) seedManaged(t *testing.T, group string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tags := []ec2types.Tag{{Key: awssdk.String(wal.TagManaged), Value: awssdk.String("true")},
		{Key: awssdk.String(wal.TagGroup), Value: awssdk.String(group)}}
	for i := 0; i+1 < len(extra); i += 2 {
		tags = append(tags, ec2types.Tag{Key: awssdk.String(extra[i]), Value: awssdk.String(extra[i+1])})
	}
	out, err := s.client.RunInstances(ctx, &ec2.RunInstancesInput{
		MinCount: awssdk.Int32(1), MaxCount: awssdk.Int32(1),
		ImageId: awssdk.String("ami-0a1b2c3d4e5f60002"), InstanceType: ec2types.InstanceTypeT3Micro,
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: tags}},
	})
	if err != nil || len(out.Instances) != 1 {
		t.Fatalf("seed a managed instance: %v", err)
	}
	return awssdk.ToString(out.Instances[0].InstanceId)
}
