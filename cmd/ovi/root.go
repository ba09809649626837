package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
)

// errUnknownCommand is returned for "ovi <word>" where no command has that
// name.
var errUnknownCommand = errors.New("unknown command")

// rootAction runs for "ovi" with no command (help) or an unknown one (a
// one-line error instead of urfave/cli's help dump).
func rootAction(c *cli.Context) error {
	if c.Args().Present() {
		return newCLIError(fmt.Sprintf("%q", c.Args().First()), errUnknownCommand, "run 'ovi --help' to list the commands")
	}
	return cli.ShowAppHelp(c)
}
