//go:build e2e

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/yairfalse/ovi/aws/ec2sim"
	"github.com/yairfalse/ovi/cluster/clustertest"
)

// cloud is the simulated EC2 region: an `ovi ec2sim --state FILE` process,
// and in front of it, in the test process, a proxy that records every
// request (time, caller's access key, action, client token, instance ids,
// HTTP status) and can add latency to mutating calls. Agents use the
// proxy's URL as the infrastructure file's endpoint.
type cloud struct {
	t       *testing.T
	state   string // the simulator's state file
	simURL  string
	url     string
	http    *http.Client
	latency atomic.Int64 // nanoseconds added to every mutating call

	mu   sync.Mutex
	reqs []simRequest
}

// simRequest is one EC2 call as the proxy saw it.
type simRequest struct {
	At     time.Time // arrival at the proxy
	Key    string    // access key id of the caller
	Action string
	Token  string    // ClientToken of RunInstances
	IDs    []string  // InstanceId.N
	Status int       // HTTP status of the answer (0 while in flight)
	Done   time.Time // when the answer was sent back (zero while in flight)
}

// mutatingActions are the calls that change the region.
func mutating(action string) bool {
	switch action {
	case "RunInstances", "TerminateInstances", "StopInstances", "StartInstances",
		"ModifyInstanceAttribute", "CreateTags", "DeleteTags":
		return true
	}
	return false
}

// startCloud runs the simulator process and the recording proxy.
func startCloud(t *testing.T, bin string) *cloud {
	t.Helper()
	dir := t.TempDir()
	port := clustertest.FreePortOn(t, false, "127.0.0.1")
	c := &cloud{t: t, state: filepath.Join(dir, "cloud.json"), simURL: fmt.Sprintf("http://127.0.0.1:%d", port),
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}}
	sim := clustertest.NewProc(t, "ec2sim", dir, bin, "ec2sim", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--state", c.state)
	sim.Start()
	t.Cleanup(func() { sim.Stop(syscall.SIGTERM) }) // before Start's cleanup, which kills it and shows its log
	waitFor(t, "the simulator to listen", 20*time.Second, func() bool {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			_ = conn.Close()
		}
		return err == nil
	})
	c.serve()
	return c
}

// startCloudWith serves an in-process simulator with opts (for its knobs:
// consistency window, ignored client tokens, …) behind the same recording
// proxy; its state file is read the same way.
func startCloudWith(t *testing.T, opts ec2sim.Options) (*cloud, *ec2sim.Server) {
	t.Helper()
	opts.StateFile = filepath.Join(t.TempDir(), "cloud.json")
	sim, err := ec2sim.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	simURL, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	c := &cloud{t: t, state: opts.StateFile, simURL: simURL,
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}}
	c.serve()
	return c, sim
}

// serve starts the recording proxy.
func (c *cloud) serve() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	srv := &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	c.t.Cleanup(func() { _ = srv.Close() })
	c.url = "http://" + ln.Addr().String()
}

// credentialRE finds the access key id in a SigV4 Authorization header.
var credentialRE = regexp.MustCompile(`Credential=([^/]+)/`)

// ServeHTTP records the request and forwards it to the simulator.
func (c *cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form, _ := url.ParseQuery(string(body))
	rq := simRequest{At: time.Now(), Action: form.Get("Action"), Token: form.Get("ClientToken")}
	if m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		rq.Key = m[1]
	}
	for i := 1; form.Has(fmt.Sprintf("InstanceId.%d", i)); i++ {
		rq.IDs = append(rq.IDs, form.Get(fmt.Sprintf("InstanceId.%d", i)))
	}
	i := c.record(rq)
	if d := time.Duration(c.latency.Load()); d > 0 && mutating(rq.Action) {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	status := c.forward(w, r, body)
	c.mu.Lock()
	c.reqs[i].Status, c.reqs[i].Done = status, time.Now()
	c.mu.Unlock()
}

func (c *cloud) record(rq simRequest) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, rq)
	return len(c.reqs) - 1
}

// forward sends the request on to the simulator and copies the answer.
func (c *cloud) forward(w http.ResponseWriter, r *http.Request, body []byte) int {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, c.simURL+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return http.StatusBadGateway
	}
	req.Header = r.Header.Clone()
	resp, err := c.http.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return http.StatusBadGateway
	}
	defer func() { _ = resp.Body.Close() }()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
	return resp.StatusCode
}

// requests returns a copy of the request log.
func (c *cloud) requests() []simRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reqs)
}

// simInstance is an instance as the simulator's state file stores it.
type simInstance struct {
	Seq         uint64            `json:"seq"`
	ID          string            `json:"id"`
	State       string            `json:"state"`
	ClientToken string            `json:"client_token"`
	Tags        map[string]string `json:"tags"`
}

// live reports whether the instance counts (not shutting down or gone).
func (in simInstance) live() bool { return in.State != "shutting-down" && in.State != "terminated" }

// instances reads every instance the region holds (terminated ones
// included: EC2 keeps them listed for an hour) from the state file, which
// the simulator rewrites atomically after every mutating call.
func (c *cloud) instances() []simInstance {
	c.t.Helper()
	var doc struct {
		Instances []simInstance `json:"instances"`
	}
	c.readState(&doc)
	return doc.Instances
}

// readState decodes the simulator's state file into doc; before the
// simulator has written it, doc stays as it is.
func (c *cloud) readState(doc any) {
	c.t.Helper()
	data, err := os.ReadFile(c.state)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		c.t.Fatal(err)
	}
	if err := json.Unmarshal(data, doc); err != nil {
		c.t.Fatalf("simulator state file: %v", err)
	}
}

// liveIn counts the live instances of a managed group.
func liveIn(ins []simInstance, group string) int {
	n := 0
	for _, in := range ins {
		if in.live() && in.Tags["ovi:managed"] == "true" && in.Tags["ovi:group"] == group {
			n++
		}
	}
	return n
}

// launchUnmanaged launches instances Ovi does not manage, straight
// through the SDK, and returns their ids.
func (c *cloud) launchUnmanaged(n int) []string {
	c.t.Helper()
	client := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: awssdk.String(c.simURL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAFAULTOPERATOR", "secret", "")})
	out, err := client.RunInstances(context.Background(), &ec2.RunInstancesInput{
		MinCount: awssdk.Int32(int32(n)), MaxCount: awssdk.Int32(int32(n)),
		ImageId: awssdk.String("ami-0a1b2c3d4e5f60002"), InstanceType: ec2types.InstanceTypeT3Small,
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: awssdk.String("team"), Value: awssdk.String("data")}}}},
	})
	if err != nil {
		c.t.Fatalf("launch unmanaged instances: %v", err)
	}
	ids := make([]string, 0, n)
	for _, in := range out.Instances {
		ids = append(ids, awssdk.ToString(in.InstanceId))
	}
	return ids
}

// infra is the desired infrastructure a test writes.
type infra struct {
	web     int  // count of group web
	blessed bool // keep group "keep" (2 instances tagged ovi:blessed) in the file
	extra   int  // groups batch-1 … batch-extra of one instance each (one launch call each)
	volume  bool // the named EBS volume "data" (volume_failover_test.go)
	// volumeSpec, when set, is the volume entry written instead of
	// volumeEntry (volume_failover_test.go).
	volumeSpec string
}

// write replaces the shared infrastructure file atomically; the leader's
// watcher commits it within a poll interval (2 s).
func (cl *cluster) write(in infra) {
	cl.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "version: v1\nprovider: aws\nregion: us-east-1\nendpoint: %s\n", cl.cloud.url)
	b.WriteString("policy: {delete_unwanted: true, max_deletions_per_run: 10}\nresources:\n")
	fmt.Fprintf(&b, "  - {name: web, type: ec2, count: %d, size: t3.micro, tags: {team: platform}}\n", in.web)
	if in.blessed {
		b.WriteString("  - {name: keep, type: ec2, count: 2, size: t3.micro, tags: {team: platform, \"ovi:blessed\": true}}\n")
	}
	for i := 1; i <= in.extra; i++ {
		fmt.Fprintf(&b, "  - {name: batch-%d, type: ec2, count: 1, size: t3.micro}\n", i)
	}
	switch {
	case in.volumeSpec != "":
		b.WriteString(in.volumeSpec)
	case in.volume:
		b.WriteString(volumeEntry)
	}
	tmp := cl.infra + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		cl.t.Fatal(err)
	}
	if err := os.Rename(tmp, cl.infra); err != nil {
		cl.t.Fatal(err)
	}
}
