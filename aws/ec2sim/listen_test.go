package ec2sim_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

func TestServeStopsWithContext(t *testing.T) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim := ec2sim.New(quietOptions())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sim.Serve(ctx, ln) }()

	client := newClient("http://" + ln.Addr().String())
	if _, err := client.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}); err != nil {
		t.Fatalf("DescribeInstances: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
}

func TestListenAndServeReportsBadAddress(t *testing.T) {
	err := ec2sim.New(quietOptions()).ListenAndServe(context.Background(), "127.0.0.1:notaport")
	if err == nil {
		t.Fatal("ListenAndServe on a bad address returned nil")
	}
}

func TestStartAndStop(t *testing.T) {
	sim := ec2sim.New(quietOptions())
	url, stop, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(url).DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}); err != nil {
		t.Fatal(err)
	}
	stop()
	stop() // idempotent
	if _, err := newClient(url).DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{}); err == nil {
		t.Fatal("a stopped simulator still answers")
	}
}
