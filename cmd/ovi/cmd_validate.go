package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/reconcile"
	"github.com/yairfalse/ovi/wal"
)

// validateCommand is `ovi validate [-f FILE]`: check a configuration
// file offline, with no agent and no cloud (for CI).
func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check infrastructure.yaml offline (no agent, no cloud)",
		UsageText: "ovi validate [-f infrastructure.yaml]",
		Description: `Parses the file exactly as 'ovi reconcile' and the agent do and prints what it
asks for. Every problem is one line "FILE:LINE:COLUMN: message"; the exit code
is 0 for a valid file and 1 otherwise, as for 'ovi reconcile'.

Examples:
   ovi validate
   ovi validate -f prod.yaml && ovi reconcile -f prod.yaml --dry-run`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "file", Aliases: []string{"f"}, Value: defaultInfrastructureFile, Usage: "the configuration to check"},
		}, outputFlags()...),
		Action: validateAction,
	}
}

// validView is what `ovi -o json validate` prints for a valid file.
type validView struct {
	Valid bool `json:"valid"`
	wal.ConfigApplied
}

func validateAction(c *cli.Context) error {
	if c.Args().Present() {
		return newCLIError("validate", fmt.Errorf("unexpected argument %q", c.Args().First()), "name the file with -f FILE")
	}
	g, err := globalsFrom(c)
	if err != nil {
		return err
	}
	applied, err := loadInfrastructure(c.String("file"))
	if err != nil {
		return err
	}
	o := renderOptionsFrom(c, g)
	if o.json() {
		return writeJSONDocument(c.App.Writer, validView{Valid: true, ConfigApplied: applied})
	}
	applied = terminalSafe(applied)
	out := &errWriter{w: c.App.Writer}
	out.printf("Valid: %s\n%s\n", configRef(&applied), configLine(applied.Config))
	if out.err != nil {
		return out.err
	}
	return writeConfigTables(c.App.Writer, applied.Config)
}

// loadInfrastructure reads a configuration file the way reconcile and
// validate both report it: every problem one "FILE:LINE:COLUMN: …" line.
func loadInfrastructure(path string) (wal.ConfigApplied, error) {
	applied, err := reconcile.LoadConfig(path)
	if err != nil {
		return applied, newCLIError("read "+path, err, "")
	}
	return applied, nil
}
