package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// versionCommand prints the version.
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:        "version",
		Usage:       "print Ovi's version",
		Description: "Example:\n   ovi version",
		Action:      versionAction,
	}
}

func versionAction(c *cli.Context) error {
	_, err := fmt.Fprintf(c.App.Writer, "ovi %s\n", version)
	return err
}
