package main

import (
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/aws/ec2sim"
)

// ec2simCommand runs the EC2-protocol simulator on its own, for dev
// clusters and demos: point Ovi at it with AWS_ENDPOINT_URL_EC2 or the
// endpoint field of infrastructure.yaml.
func ec2simCommand() *cli.Command {
	return &cli.Command{
		Name:  "ec2sim",
		Usage: "run the EC2 simulator (EC2 Query protocol over HTTP)",
		Description: "Speaks enough of EC2's wire protocol for Ovi: instances, tags, images.\n\n" +
			"The simulator checks no credentials, but an ovi pointed at it (agent, daemon or a\n" +
			"standalone reconcile) signs its calls as for AWS and needs some: any values do, e.g.\n" +
			"AWS_ACCESS_KEY_ID=sim AWS_SECRET_ACCESS_KEY=sim (without them: \"aws: no usable\n" +
			"credentials\"). 'ovi agent -dev' brings its own.\n\n" +
			"Example:\n   ovi ec2sim --listen 127.0.0.1:4566 --state /tmp/cloud.json\n" +
			"   AWS_ACCESS_KEY_ID=sim AWS_SECRET_ACCESS_KEY=sim AWS_ENDPOINT_URL_EC2=http://127.0.0.1:4566 ovi reconcile --dry-run",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:4566", Usage: "address to listen on"},
			&cli.StringFlag{Name: "state", Usage: "file that keeps the simulated cloud across restarts"},
			&cli.StringFlag{Name: "region", Value: "us-east-1", Usage: "simulated region"},
		},
		Action: ec2simAction,
	}
}

func ec2simAction(c *cli.Context) error {
	sim, err := ec2sim.Open(ec2sim.Options{
		Region:    c.String("region"),
		StateFile: c.String("state"),
		Logger:    slog.New(slog.NewTextHandler(c.App.ErrWriter, nil)),
	})
	if err != nil {
		return fmt.Errorf("ec2sim: %w", err)
	}
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	_, _ = fmt.Fprintf(c.App.ErrWriter, "ovi: EC2 simulator listening on http://%s\n", c.String("listen"))
	// ListenAndServe returns nil after a shutdown caused by a signal.
	return sim.ListenAndServe(ctx, c.String("listen"))
}
