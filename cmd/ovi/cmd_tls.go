package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/transport"
)

// File names of the cluster CA in its directory.
const (
	caCertFile = "ovi-ca.pem"
	caKeyFile  = "ovi-ca-key.pem"
	dayLength  = 24 * time.Hour
)

// certName is a certificate name usable as a file name (NAME.pem).
var certName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// errFileExists is wrapped when a file would be overwritten without --force.
var errFileExists = errors.New("file exists")

// tlsCommand is `ovi tls ca create` and `ovi tls cert create`.
func tlsCommand() *cli.Command {
	return &cli.Command{
		Name:  "tls",
		Usage: "create the cluster CA and node or client certificates for mutual TLS",
		Description: "Examples:\n   ovi tls ca create --dir /etc/ovi/tls\n" +
			"   ovi tls cert create --ca-dir /etc/ovi/tls --name ovi-1 --ip 10.0.0.11",
		Subcommands: []*cli.Command{
			{
				Name:        "ca",
				Usage:       "manage the cluster CA",
				Description: "Example:\n   ovi tls ca create --dir /etc/ovi/tls",
				Subcommands: []*cli.Command{tlsCACreateCommand()},
			},
			{
				Name:        "cert",
				Usage:       "issue certificates signed by the cluster CA",
				Description: "Example:\n   ovi tls cert create --ca-dir /etc/ovi/tls --name ovi-1 --ip 10.0.0.11",
				Subcommands: []*cli.Command{tlsCertCreateCommand()},
			},
		},
	}
}

func tlsCACreateCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "create the cluster CA (ECDSA P-256): ovi-ca.pem and ovi-ca-key.pem",
		UsageText: "ovi tls ca create [--dir DIR] [--days N] [--force]",
		Description: `Every node trusts exactly this CA: a node or client certificate it signed
is what lets a machine into the cluster. Keep ovi-ca-key.pem off the nodes
(it is only needed to issue certificates). Files are written 0600, a new
directory 0700; an existing key is never overwritten without --force.

Example:
   ovi tls ca create --dir /etc/ovi/tls`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "dir", Value: ".", Usage: "directory to write the CA into"},
			&cli.IntFlag{Name: "days", Value: int(transport.DefaultCAValidity / dayLength), Usage: "validity in days"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite an existing CA (every certificate it issued stops being trusted)"},
		},
		Action: tlsCACreateAction,
	}
}

func tlsCACreateAction(c *cli.Context) error {
	if c.Args().Present() {
		return newCLIError("tls ca create", fmt.Errorf("unexpected argument %q", c.Args().First()), "")
	}
	days, err := validityDays(c)
	if err != nil {
		return err
	}
	pair, err := transport.NewCA(transport.CARequest{Validity: days})
	if err != nil {
		return newCLIError("tls ca create", err, "")
	}
	return writeMaterial(c, c.String("dir"), caCertFile, caKeyFile, pair)
}

func tlsCertCreateCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "issue a node certificate (or, with --client, an operator's client certificate)",
		UsageText: "ovi tls cert create --ca-dir DIR --name NAME (--ip IP | --dns NAME)... [--client] [--dir DIR] [--days N] [--force]",
		Description: `A node certificate serves and dials Raft and the HTTP API. Its names are
what peers verify when they connect, so give every address the node is
reached at: its advertise IP (--ip, repeatable) and any DNS names (--dns).
A client certificate (--client) lets an operator's CLI in; it cannot serve
and is refused on node-to-node endpoints. Writes NAME.pem and NAME-key.pem
(0600) into --dir; an existing key is never overwritten without --force.

Examples:
   ovi tls cert create --ca-dir /etc/ovi/tls --name ovi-1 --ip 10.0.0.11
   ovi tls cert create --ca-dir /etc/ovi/tls --name alice --client`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "ca-dir", Value: ".", Usage: "directory holding ovi-ca.pem and ovi-ca-key.pem"},
			&cli.StringFlag{Name: "name", Usage: "certificate name: the node name, or the operator's name with --client"},
			&cli.StringSliceFlag{Name: "ip", Usage: "IP address the node is reached at (repeatable)"},
			&cli.StringSliceFlag{Name: "dns", Usage: "DNS name the node is reached at (repeatable)"},
			&cli.BoolFlag{Name: "client", Usage: "a client-only certificate for the CLI"},
			&cli.StringFlag{Name: "dir", Value: ".", Usage: "directory to write the certificate and key into"},
			&cli.IntFlag{Name: "days", Value: int(transport.DefaultCertValidity / dayLength), Usage: "validity in days"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite an existing certificate and key"},
		},
		Action: tlsCertCreateAction,
	}
}

func tlsCertCreateAction(c *cli.Context) error {
	req, err := certRequestFrom(c)
	if err != nil {
		return err
	}
	ca, err := readCA(c.String("ca-dir"))
	if err != nil {
		return err
	}
	pair, err := transport.NewCert(ca, req)
	if err != nil {
		return newCLIError("tls cert create", err, "")
	}
	return writeMaterial(c, c.String("dir"), req.Name+".pem", req.Name+"-key.pem", pair)
}

// certRequestFrom reads and checks the flags of tls cert create.
func certRequestFrom(c *cli.Context) (transport.CertRequest, error) {
	if c.Args().Present() {
		return transport.CertRequest{}, newCLIError("tls cert create", fmt.Errorf("unexpected argument %q", c.Args().First()), "")
	}
	name := c.String("name")
	if !certName.MatchString(name) {
		return transport.CertRequest{}, newCLIError(fmt.Sprintf("--name %q", name),
			fmt.Errorf("%w: want 1 to 64 letters, digits, '.', '_' or '-'", errInvalidFlag), "name the node, e.g. --name ovi-1")
	}
	days, err := validityDays(c)
	if err != nil {
		return transport.CertRequest{}, err
	}
	req := transport.CertRequest{Name: name, DNSNames: c.StringSlice("dns"), Client: c.Bool("client"), Validity: days}
	for _, s := range c.StringSlice("ip") {
		ip := net.ParseIP(s)
		if ip == nil {
			return req, newCLIError(fmt.Sprintf("--ip %q", s), fmt.Errorf("%w: not an IP address", errInvalidFlag), "")
		}
		req.IPs = append(req.IPs, ip)
	}
	if !req.Client && len(req.IPs) == 0 && len(req.DNSNames) == 0 {
		return req, newCLIError("tls cert create", errors.New("a node certificate needs the addresses the node is reached at"),
			"give its advertise address with --ip (and any DNS names with --dns), or --client for an operator's certificate")
	}
	return req, nil
}

// validityDays reads --days.
func validityDays(c *cli.Context) (time.Duration, error) {
	days := c.Int("days")
	if days < 1 || days > 36500 {
		return 0, newCLIError("--days", fmt.Errorf("%w: want 1 to 36500", errInvalidFlag), "")
	}
	return time.Duration(days) * dayLength, nil
}

// readCA reads the CA pair from dir.
func readCA(dir string) (transport.PEMPair, error) {
	var pair transport.PEMPair
	var err error
	if pair.Cert, err = os.ReadFile(filepath.Join(dir, caCertFile)); err == nil {
		pair.Key, err = os.ReadFile(filepath.Join(dir, caKeyFile))
	}
	if err != nil {
		return pair, newCLIError("--ca-dir", err, "create the CA first with 'ovi tls ca create --dir "+dir+"'")
	}
	return pair, nil
}
