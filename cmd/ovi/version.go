package main

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"
)

// versionCommand prints the version.
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:        "version",
		Usage:       "print Ovi's version",
		Description: "Examples:\n   ovi version\n   ovi -o json version",
		Flags:       outputFlags(),
		Action:      versionAction,
	}
}

// versionView is what `ovi version` reports.
type versionView struct {
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

func versionAction(c *cli.Context) error {
	g, err := globalsFrom(c)
	if err != nil {
		return err
	}
	v := versionView{Version: version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if g.Output == outputJSON {
		return writeJSONDocument(c.App.Writer, v)
	}
	_, err = fmt.Fprintf(c.App.Writer, "ovi %s\n", v.Version)
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
