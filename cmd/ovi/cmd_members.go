package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
)

// membersCommand is `ovi members`.
func membersCommand() *cli.Command {
	return &cli.Command{
		Name:      "members",
		Usage:     "list the nodes of the cluster, their gossip status and Raft role",
		UsageText: "ovi members",
		Description: `Example:
   ovi --address 10.0.0.2:7400 members`,
		Flags:  outputFlags(),
		Action: membersAction,
	}
}

func membersAction(c *cli.Context) error {
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	resp, err := s.client.Members(c.Context)
	if err != nil {
		return s.apiFailure("list members", err)
	}
	return renderMembers(c.App.Writer, s.render, resp.Members)
}

// joinCommand is `ovi join ADDR...`.
func joinCommand() *cli.Command {
	return &cli.Command{
		Name:      "join",
		Usage:     "make the agent at --address join the cluster of other members",
		UsageText: "ovi join GOSSIP_ADDR...",
		Description: `Joining is idempotent; any one live member's gossip address is enough.

Example:
   ovi --address 10.0.0.3:7400 join 10.0.0.1:7402`,
		Flags:  outputFlags(),
		Action: joinAction,
	}
}

func joinAction(c *cli.Context) error {
	if !c.Args().Present() {
		return newCLIError("join", errors.New("no address given"), "name a member's gossip address, e.g. ovi join 10.0.0.1:7402")
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	resp, err := s.client.Join(c.Context, c.Args().Slice()...)
	if err != nil {
		return s.apiFailure("join", err)
	}
	if s.render.json() {
		return writeJSONDocument(c.App.Writer, resp)
	}
	_, err = fmt.Fprintf(c.App.Writer, "Joined through %d of %d address(es).\n", resp.Joined, c.NArg())
	return err
}

// leaveCommand is `ovi leave`.
func leaveCommand() *cli.Command {
	return &cli.Command{
		Name:      "leave",
		Usage:     "make the agent at --address leave the cluster gracefully and shut down",
		UsageText: "ovi leave",
		Description: `Example:
   ovi --address 10.0.0.3:7400 leave`,
		Flags:  outputFlags(),
		Action: leaveAction,
	}
}

func leaveAction(c *cli.Context) error {
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	resp, err := s.client.Leave(c.Context)
	if err != nil {
		return s.apiFailure("leave", err)
	}
	if s.render.json() {
		return writeJSONDocument(c.App.Writer, resp)
	}
	_, err = fmt.Fprintf(c.App.Writer, "Node %s left the cluster.\n", termSafe(resp.Node))
	return err
}
