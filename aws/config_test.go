package aws

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// oneLineError asserts err is non-nil, one line, and contains every part.
func oneLineError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Fatalf("multi-line error:\n%s", msg)
	}
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Fatalf("error %q does not mention %q", msg, p)
		}
	}
}

func TestNewRejectsBadRegion(t *testing.T) {
	setTestCredentials(t)
	for _, region := range []string{"", "mars-1", "us-east", "US-EAST-1", "useast1", "us-east-1a", "xx-east-1", " us-east-1"} {
		_, err := New(context.Background(), Options{Region: region, Endpoint: "http://127.0.0.1:1"})
		oneLineError(t, err, "region")
	}
}

func TestRegionPatternAcceptsRealRegions(t *testing.T) {
	for _, r := range []string{"us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1", "cn-northwest-1", "us-isob-east-1", "il-central-1", "mx-central-1", "ca-west-1"} {
		if err := validateRegion(r); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
	}
}

func TestNewRejectsBadEndpoint(t *testing.T) {
	setTestCredentials(t)
	for _, ep := range []string{"ftp://x", "127.0.0.1:4566", "http://", "::"} {
		_, err := New(context.Background(), Options{Region: testRegion, Endpoint: ep})
		oneLineError(t, err, "endpoint")
	}
}

func TestNewMissingCredentialsSaysWhatWasTried(t *testing.T) {
	isolateAWSEnv(t)
	_, err := New(context.Background(), Options{Region: testRegion, Endpoint: "http://127.0.0.1:1"})
	oneLineError(t, err, "credentials", "environment", "AWS_ACCESS_KEY_ID", "shared config", "no-config", "no-credentials", "IMDS")
}

// refusedEndpoint returns a URL on 127.0.0.1 where nothing listens.
func refusedEndpoint(t *testing.T) string {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return "http://" + addr
}

func TestNewEndpointRefusingConnections(t *testing.T) {
	setTestCredentials(t)
	ep := refusedEndpoint(t)
	_, err := New(context.Background(), Options{Region: testRegion, Endpoint: ep})
	oneLineError(t, err, "refuses connections", ep)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("gave up on the timeout, not on bounded retries: %v", err)
	}
}

func TestNewEndpointFromStandardEnvironment(t *testing.T) {
	sim := ec2sim.New(ec2sim.Options{})
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(stop)

	setTestCredentials(t)
	t.Setenv("AWS_ENDPOINT_URL_EC2", url)
	if _, err := New(context.Background(), Options{Region: testRegion}); err != nil {
		t.Fatalf("New with AWS_ENDPOINT_URL_EC2: %v", err)
	}
	if n := sim.Counts()["DescribeInstances"]; n != 1 {
		t.Fatalf("probe calls = %d, want 1", n)
	}

	// The file's endpoint wins over the environment.
	t.Setenv("AWS_ENDPOINT_URL_EC2", refusedEndpoint(t))
	t.Setenv("AWS_ENDPOINT_URL", url)
	if _, err := New(context.Background(), Options{Region: testRegion, Endpoint: url}); err != nil {
		t.Fatalf("New with Options.Endpoint over the environment: %v", err)
	}
	t.Setenv("AWS_ENDPOINT_URL_EC2", "")
	if _, err := New(context.Background(), Options{Region: testRegion}); err != nil {
		t.Fatalf("New with AWS_ENDPOINT_URL: %v", err)
	}
}

func TestNewRejectedCredentials(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	e.sim.FailAction("DescribeInstances", ec2sim.Fault{Code: "AuthFailure", Message: "AWS was not able to validate the provided access credentials"})
	_, err := New(context.Background(), Options{Region: testRegion, Endpoint: e.url})
	oneLineError(t, err, "AuthFailure", "rejected")
}
