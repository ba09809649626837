package main

import (
	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=...".
const version = "0.1.0-dev"

// newApp builds the whole command line; tests run it in-process.
func newApp() *cli.App {
	app := &cli.App{
		Name:                 "ovi",
		Usage:                "keep a cloud matching infrastructure.yaml, and explain every step",
		Version:              version,
		HideHelpCommand:      true,
		EnableBashCompletion: false,
		Flags:                globalFlags(),
		Before:               validateGlobals,
		Action:               rootAction,
		OnUsageError:         usageError,
		ExitErrHandler:       ignoreExitCoder,
		Commands: []*cli.Command{
			versionCommand(), agentCommand(),
			reconcileCommand(), walCommand(), stateCommand(),
			membersCommand(), joinCommand(), leaveCommand(), operatorCommand(), snapshotCommand(),
			daemonCommand(), ec2simCommand(), tlsCommand(), keygenCommand(),
		},
	}
	setUsageErrors(app.Commands)
	return app
}
