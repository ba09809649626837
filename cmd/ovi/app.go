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
		EnableBashCompletion: true,
		Flags:                globalFlags(),
		Before:               validateGlobals,
		Action:               rootAction,
		OnUsageError:         usageError,
		ExitErrHandler:       ignoreExitCoder,
		Commands: []*cli.Command{
			versionCommand(), agentCommand(),
			reconcileCommand(), adoptCommand(), validateCommand(), walCommand(), stateCommand(), whyCommand(),
			membersCommand(), joinCommand(), leaveCommand(), operatorCommand(), snapshotCommand(), compactCommand(),
			daemonCommand(), ec2simCommand(), tlsCommand(), keygenCommand(), completionCommand(),
		},
	}
	setUsageErrors(app.Commands)
	hideBoolDefaults(app.Flags, app.Commands)
	return app
}

// hideBoolDefaults drops urfave/cli's "(default: false)" from every
// boolean flag's help: a switch is off unless given, and a flag's help
// names one default at most.
func hideBoolDefaults(flags []cli.Flag, cmds []*cli.Command) {
	for _, f := range flags {
		if b, ok := f.(*cli.BoolFlag); ok {
			b.DisableDefaultText = true
		}
	}
	for _, cmd := range cmds {
		hideBoolDefaults(cmd.Flags, cmd.Subcommands)
	}
}
