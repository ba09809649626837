package main

import (
	"github.com/urfave/cli/v2"
)

// operatorHealthCommand is `ovi operator health`: every server's
// readiness as the agent at --address gathers it.
func operatorHealthCommand() *cli.Command {
	return &cli.Command{
		Name:      "health",
		Usage:     "show the health of every server: ready, failure tolerance, last contact",
		UsageText: "ovi operator health [-o json]",
		Description: `The agent at --address asks every server of the Raft configuration for its
readiness (GET /v1/health?ready: a leader known, the store caught up, the
data dir writable, no recent disk error) and sums it up like Consul's
autopilot health: healthy when every server is; the failure tolerance is how
many healthy voters the cluster can lose and keep a quorum. It exits 2 when
the cluster is not healthy.

Example:
   ovi operator health`,
		Flags:  outputFlags(),
		Action: operatorHealthAction,
	}
}

func operatorHealthAction(c *cli.Context) error {
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	resp, err := s.client.OperatorHealth(c.Context)
	if err != nil {
		return s.apiFailure("read the cluster's health", err)
	}
	if err := renderOperatorHealth(c.App.Writer, s.render, resp); err != nil {
		return err
	}
	if !resp.Healthy {
		return errChangesPresent() // exit 2, nothing more to print
	}
	return nil
}
