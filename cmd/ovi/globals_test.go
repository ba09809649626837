package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/urfave/cli/v2"
)

// probeGlobals runs "ovi <args> probe" and returns the global options the
// probe command saw.
func probeGlobals(t *testing.T, args ...string) (globalOptions, int, string) {
	t.Helper()
	var got globalOptions
	app := newApp()
	app.Commands = append(app.Commands, &cli.Command{Name: "probe", Action: func(c *cli.Context) error {
		g, err := globalsFrom(c)
		got = g
		return err
	}})
	var stdout, stderr bytes.Buffer
	code := runApp(context.Background(), app, append(append([]string{"ovi"}, args...), "probe"), &stdout, &stderr)
	return got, code, stderr.String()
}

func TestGlobalFlagDefaults(t *testing.T) {
	t.Setenv("OVI_ADDR", "")
	t.Setenv("OVI_TOKEN", "")
	t.Setenv("OVI_OUTPUT", "")
	g, code, stderr := probeGlobals(t)
	want := globalOptions{Address: defaultAddress, Output: outputTable, Consistency: consistencyDefault}
	if code != exitOK || g != want {
		t.Fatalf("defaults = %+v (code %d, %q), want %+v", g, code, stderr, want)
	}
}

func TestGlobalFlagsParsed(t *testing.T) {
	g, code, stderr := probeGlobals(t, "--address", "10.0.0.5:7400", "--token", "s3cret", "-o", "JSON",
		"--consistency", "stale", "--no-color", "--ca-file", "ca.pem", "--cert-file", "c.pem", "--key-file", "k.pem")
	want := globalOptions{Address: "http://10.0.0.5:7400", Token: "s3cret", CAFile: "ca.pem", CertFile: "c.pem",
		KeyFile: "k.pem", Output: outputJSON, Consistency: consistencyStale, NoColor: true}
	if code != exitOK || g != want {
		t.Fatalf("flags = %+v (code %d, %q), want %+v", g, code, stderr, want)
	}
}

func TestGlobalFlagsFromEnvironment(t *testing.T) {
	t.Setenv("OVI_ADDR", "https://ovi.example.com:7400/")
	t.Setenv("OVI_TOKEN", "from-env")
	g, code, stderr := probeGlobals(t, "--output", "json", "--consistency", "consistent")
	if code != exitOK || g.Address != "https://ovi.example.com:7400" || g.Token != "from-env" ||
		g.Output != outputJSON || g.Consistency != consistencyConsistent {
		t.Fatalf("env flags = %+v (code %d, %q)", g, code, stderr)
	}
	g, _, _ = probeGlobals(t, "--address", "http://127.0.0.1:9000")
	if g.Address != "http://127.0.0.1:9000" {
		t.Fatalf("--address does not override OVI_ADDR: %q", g.Address)
	}
}

func TestParseAddressRejectsNonsense(t *testing.T) {
	for _, addr := range []string{"ftp://host:1", "http://", "http://[::1", "unix:///tmp/sock"} {
		if got, err := parseAddress(addr); err == nil {
			t.Errorf("parseAddress(%q) = %q, want an error", addr, got)
		}
	}
}
