package aws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

func TestEndpointIsTheOneInUse(t *testing.T) {
	e := newEnv(t, ec2sim.Options{}, Options{})
	if got := e.p.Endpoint(); got != e.url {
		t.Fatalf("Endpoint() = %q, want the simulator's %q", got, e.url)
	}
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL_EC2", e.url)
	p, err := New(context.Background(), Options{Region: testRegion})
	if err != nil {
		t.Fatal(err)
	}
	if p.Endpoint() != e.url {
		t.Fatalf("with AWS_ENDPOINT_URL_EC2: Endpoint() = %q, want %q", p.Endpoint(), e.url)
	}
}

func TestEndpointDefaultsToTheRegions(t *testing.T) {
	client := ec2.New(ec2.Options{Region: "eu-central-1"})
	if got := resolvedEndpoint(context.Background(), client, "eu-central-1"); got != "https://ec2.eu-central-1.amazonaws.com" {
		t.Fatalf("default endpoint %q", got)
	}
}
