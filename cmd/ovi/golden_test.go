package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// update rewrites the golden files: go test ./cmd/ovi/ -run Golden -update
var update = flag.Bool("update", false, "rewrite cmd/ovi/testdata/*.golden from the current output")

// assertGolden compares got with testdata/<name>.golden (or rewrites it
// with -update).
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatalf("create testdata: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("write golden %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s: %v (create it with: go test ./cmd/ovi/ -run Golden -update)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (review, then update with -update)\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the differing lines of want and got.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  want: %q\n  got:  %q\n", i+1, w, g)
		}
	}
	return b.String()
}

// runtimeCaller is runtime.Caller(0) of this file.
func runtimeCaller() (uintptr, string, int, bool) { return runtime.Caller(0) }

// assertRoundTrip checks that JSON output parses back into exactly want.
func assertRoundTrip[T any](t *testing.T, what string, out []byte, want T) {
	t.Helper()
	var got T
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s JSON does not parse: %v", what, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s JSON does not round-trip:\n got %+v\nwant %+v", what, got, want)
	}
}
