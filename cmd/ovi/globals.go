package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// defaultAddress is the local agent's HTTP API.
const defaultAddress = "http://127.0.0.1:7400"

// Global flag names.
const (
	flagAddress     = "address"
	flagToken       = "token"
	flagCAFile      = "ca-file"
	flagCertFile    = "cert-file"
	flagKeyFile     = "key-file"
	flagOutput      = "output"
	flagConsistency = "consistency"
	flagNoColor     = "no-color"
)

// consistencyLevel is the value of --consistency.
type consistencyLevel string

// Read consistency levels (the agent's API documents their guarantees).
const (
	consistencyStale      consistencyLevel = "stale"
	consistencyDefault    consistencyLevel = "default"
	consistencyConsistent consistencyLevel = "consistent"
)

// globalOptions are the validated global flags.
type globalOptions struct {
	Address     string // base URL of any agent's HTTP API
	Token       string
	CAFile      string
	CertFile    string
	KeyFile     string
	Output      outputFormat
	Consistency consistencyLevel
	NoColor     bool
}

// errInvalidFlag is wrapped by every global-flag validation error.
var errInvalidFlag = errors.New("invalid flag value")

// globalFlags are the flags every command accepts (before the command
// name: ovi -o json state).
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagAddress, Usage: "HTTP address of any Ovi agent", Value: defaultAddress,
			EnvVars: []string{"OVI_ADDR"}},
		&cli.StringFlag{Name: flagToken, Usage: "API token", EnvVars: []string{"OVI_TOKEN"}},
		&cli.StringFlag{Name: flagCAFile, Usage: "CA certificate to verify the agent (TLS)", EnvVars: []string{"OVI_CA_FILE"}},
		&cli.StringFlag{Name: flagCertFile, Usage: "client certificate (mutual TLS)", EnvVars: []string{"OVI_CERT_FILE"}},
		&cli.StringFlag{Name: flagKeyFile, Usage: "client key (mutual TLS)", EnvVars: []string{"OVI_KEY_FILE"}},
		&cli.StringFlag{Name: flagOutput, Aliases: []string{"o"}, Usage: "output format: table or json",
			Value: string(outputTable), EnvVars: []string{"OVI_OUTPUT"}},
		&cli.StringFlag{Name: flagConsistency, Usage: "read consistency: stale, default or consistent",
			Value: string(consistencyDefault)},
		&cli.BoolFlag{Name: flagNoColor, Usage: "never colour the output (also NO_COLOR=1)"},
	}
}

// outputFlags lets a command take -o/--output and --no-color after its
// name too (ovi state -o json); the value closest to the command wins.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagOutput, Aliases: []string{"o"}, Usage: "output format: table or json"},
		&cli.BoolFlag{Name: flagNoColor, Usage: "never colour the output"},
	}
}

// lineageFlag returns the context closest to the command that set the
// flag, or else the root command's context (the global flag: its value,
// environment or default).
func lineageFlag(c *cli.Context, name string) *cli.Context {
	root := c
	for _, ctx := range c.Lineage() {
		if ctx.Command == nil {
			break // urfave/cli's empty context above the root
		}
		root = ctx
		if definesFlag(ctx.Command.Flags, name) && ctx.IsSet(name) {
			return ctx
		}
	}
	return root
}

// definesFlag reports whether flags has one named name.
func definesFlag(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// validateGlobals checks the global flags before any command runs, so a
// bad value is one line of error and nothing else.
func validateGlobals(c *cli.Context) error {
	_, err := globalsFrom(c)
	return err
}

// globalsFrom reads and validates the global flags.
func globalsFrom(c *cli.Context) (globalOptions, error) {
	g := globalOptions{
		Token:    c.String(flagToken),
		CAFile:   c.String(flagCAFile),
		CertFile: c.String(flagCertFile),
		KeyFile:  c.String(flagKeyFile),
		NoColor:  lineageFlag(c, flagNoColor).Bool(flagNoColor),
	}
	var err error
	if g.Address, err = parseAddress(c.String(flagAddress)); err != nil {
		return g, err
	}
	if g.Output, err = parseOutputFormat(lineageFlag(c, flagOutput).String(flagOutput)); err != nil {
		return g, err
	}
	if g.Consistency, err = parseConsistency(c.String(flagConsistency)); err != nil {
		return g, err
	}
	if (g.CertFile == "") != (g.KeyFile == "") {
		return g, newCLIError("--cert-file and --key-file",
			fmt.Errorf("%w: give both or neither", errInvalidFlag), "")
	}
	return g, nil
}

// parseOutputFormat accepts table and json ("" = table, for an empty
// OVI_OUTPUT).
func parseOutputFormat(s string) (outputFormat, error) {
	switch f := outputFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return outputTable, nil
	case outputTable, outputJSON:
		return f, nil
	}
	return "", newCLIError(fmt.Sprintf("--output %q", s), fmt.Errorf("%w: want table or json", errInvalidFlag), "")
}

// parseConsistency accepts stale, default and consistent ("" = default).
func parseConsistency(s string) (consistencyLevel, error) {
	switch l := consistencyLevel(strings.ToLower(strings.TrimSpace(s))); l {
	case "":
		return consistencyDefault, nil
	case consistencyStale, consistencyDefault, consistencyConsistent:
		return l, nil
	}
	return "", newCLIError(fmt.Sprintf("--consistency %q", s),
		fmt.Errorf("%w: want stale, default or consistent", errInvalidFlag), "")
}

// parseAddress accepts a URL (http or https) or a bare host:port, which
// means http://host:port; it returns the base URL without a trailing slash.
func parseAddress(s string) (string, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		raw = defaultAddress
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme != "http" && u.Scheme != "https") {
		err = fmt.Errorf("%w: scheme %q, want http or https", errInvalidFlag, u.Scheme)
	}
	if err == nil && u.Host == "" {
		err = fmt.Errorf("%w: no host", errInvalidFlag)
	}
	if err != nil {
		return "", newCLIError(fmt.Sprintf("--address %q", s), err,
			"give a URL like "+defaultAddress+" or a host:port")
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

// renderOptionsFrom builds the renderers' options for c's output.
func renderOptionsFrom(c *cli.Context, g globalOptions) renderOptions {
	return renderOptions{
		format: g.Output,
		style:  newStyle(c.App.Writer, g.NoColor, os.Getenv),
		loc:    time.Local,
		now:    time.Now(),
	}
}
