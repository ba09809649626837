package ec2sim_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// These tests speak the wire protocol by hand (no SDK) to pin what the SDK
// cannot send: unknown actions, and the exact envelope and form field names
// for tools such as curl.

type rawError struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

func post(t *testing.T, endpoint string, form url.Values) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestUnknownActionIsInvalidAction(t *testing.T) {
	h := newHarness(t, quietOptions())
	status, body := post(t, h.url, url.Values{"Action": {"LaunchRocket"}, "Version": {"2016-11-15"}})
	if status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", status)
	}
	var e rawError
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if e.Code != "InvalidAction" || e.Message == "" || e.RequestID == "" {
		t.Fatalf("error envelope %+v", e)
	}
	if h.sim.Counts()["LaunchRocket"] != 1 {
		t.Fatalf("counts %v", h.sim.Counts())
	}
}

func TestHandWrittenQueryRequest(t *testing.T) {
	h := newHarness(t, quietOptions())
	status, body := post(t, h.url, url.Values{
		"Action": {"RunInstances"}, "Version": {"2016-11-15"}, "ImageId": {al2023},
		"MinCount": {"2"}, "MaxCount": {"2"}, "InstanceType": {"t3.small"}, "ClientToken": {"curl-1"},
		"TagSpecification.1.ResourceType": {"instance"},
		"TagSpecification.1.Tag.1.Key":    {"Name"}, "TagSpecification.1.Tag.1.Value": {"by-hand"},
	})
	if status != http.StatusOK || !strings.Contains(string(body), "<RunInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">") {
		t.Fatalf("status %d body %s", status, body)
	}
	status, body = post(t, h.url, url.Values{
		"Action": {"DescribeInstances"}, "Version": {"2016-11-15"},
		"Filter.1.Name": {"tag:Name"}, "Filter.1.Value.1": {"by-hand"}, "MaxResults": {"5"},
	})
	var out struct {
		Items []struct {
			ID    string `xml:"instanceId"`
			State string `xml:"instanceState>name"`
			Type  string `xml:"instanceType"`
		} `xml:"reservationSet>item>instancesSet>item"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || status != http.StatusOK {
		t.Fatalf("status %d body %s: %v", status, body, err)
	}
	if len(out.Items) != 2 || out.Items[0].State != "pending" || out.Items[0].Type != "t3.small" {
		t.Fatalf("described %+v", out.Items)
	}
}

func TestRequestLimitExceededEnvelope(t *testing.T) {
	h := newHarness(t, quietOptions())
	h.sim.FailAction("DescribeInstances", faultOf("RequestLimitExceeded"))
	status, body := post(t, h.url, url.Values{"Action": {"DescribeInstances"}, "Version": {"2016-11-15"}})
	var e rawError
	if err := xml.Unmarshal(body, &e); err != nil || status != http.StatusServiceUnavailable || e.Code != "RequestLimitExceeded" {
		t.Fatalf("status %d envelope %+v (%v)", status, e, err)
	}
}
