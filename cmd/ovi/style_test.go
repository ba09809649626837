package main

import (
	"bytes"
	"os"
	"testing"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestStyleNeverColoursANonTerminal(t *testing.T) {
	var buf bytes.Buffer
	if newStyle(&buf, false, env(nil)).color {
		t.Fatal("a bytes.Buffer got colour")
	}
	f, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	defer func() { _ = f.Close() }()
	if newStyle(f, false, env(nil)).color {
		t.Fatal("a regular file got colour")
	}
}

func TestStyleOnATerminalHonoursOptOuts(t *testing.T) {
	tty, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("open /dev/null: %v", err)
	}
	defer func() { _ = tty.Close() }()
	// /dev/null is a character device, so it stands in for a terminal.
	if !newStyle(tty, false, env(nil)).color {
		t.Fatal("a character device got no colour")
	}
	for name, s := range map[string]style{
		"--no-color": newStyle(tty, true, env(nil)),
		"NO_COLOR":   newStyle(tty, false, env(map[string]string{"NO_COLOR": "1"})),
		"TERM=dumb":  newStyle(tty, false, env(map[string]string{"TERM": "dumb"})),
	} {
		if s.color {
			t.Errorf("%s: colour is on", name)
		}
	}
}

func TestPaintAddsEqualWidthCodes(t *testing.T) {
	s := style{color: true}
	for _, code := range []string{colorRed, colorGreen, colorYellow, colorBlue, colorMagenta, colorCyan, colorDefault, colorGrey} {
		if got := s.paint(code, "x"); len(got) != len("\x1b[00mx\x1b[0m") {
			t.Errorf("paint(%s) = %q: every code must add the same number of bytes", code, got)
		}
	}
	if got := (style{}).paint(colorRed, "x"); got != "x" {
		t.Errorf("colourless paint = %q", got)
	}
}
