package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/transport"
)

// operatorCommand is `ovi operator health` and `ovi operator raft
// list-peers|remove-peer`.
func operatorCommand() *cli.Command {
	return &cli.Command{
		Name:        "operator",
		Usage:       "cluster operator tools",
		Description: "Examples:\n   ovi operator health\n   ovi operator raft list-peers",
		Subcommands: []*cli.Command{operatorHealthCommand(), {
			Name:        "raft",
			Usage:       "inspect and repair the Raft configuration",
			Description: "Examples:\n   ovi operator raft list-peers\n   ovi operator raft remove-peer --id ovi-3",
			Subcommands: []*cli.Command{
				raftListPeersCommand(),
				raftRemovePeerCommand(),
			},
		}},
	}
}

func raftListPeersCommand() *cli.Command {
	return &cli.Command{
		Name:      "list-peers",
		Usage:     "list the servers of the Raft configuration",
		UsageText: "ovi operator raft list-peers",
		Description: `Example:
   ovi operator raft list-peers`,
		Flags:  outputFlags(),
		Action: raftListPeersAction,
	}
}

func raftListPeersAction(c *cli.Context) error {
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	resp, err := s.client.RaftPeers(c.Context)
	if err != nil {
		return s.apiFailure("list Raft peers", err)
	}
	return renderRaftPeers(c.App.Writer, s.render, resp)
}

func raftRemovePeerCommand() *cli.Command {
	return &cli.Command{
		Name:      "remove-peer",
		Usage:     "remove a dead server from the Raft configuration",
		UsageText: "ovi operator raft remove-peer (--id NODE | --peer-address HOST:PORT)",
		Description: `Use it for a server that is gone for good and did not leave; a live
agent leaves with 'ovi leave'.

Example:
   ovi operator raft remove-peer --id ovi-3`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "id", Usage: "the server's node name (its Raft id)"},
			&cli.StringFlag{Name: "peer-address", Usage: "the server's Raft address, instead of --id"},
		}, outputFlags()...),
		Action: raftRemovePeerAction,
	}
}

func raftRemovePeerAction(c *cli.Context) error {
	req := transport.RemovePeerRequest{ID: strings.TrimSpace(c.String("id")), Address: strings.TrimSpace(c.String("peer-address"))}
	if req.ID == "" && c.NArg() == 1 {
		req.ID = c.Args().First()
	}
	if (req.ID == "") == (req.Address == "") {
		return newCLIError("remove-peer", errors.New("give exactly one of --id and --peer-address"),
			"list the servers with 'ovi operator raft list-peers'")
	}
	s, err := newSession(c)
	if err != nil {
		return err
	}
	defer s.close()
	resp, err := s.client.RemovePeer(c.Context, req)
	if err != nil {
		return s.apiFailure("remove the Raft peer", err)
	}
	if s.render.json() {
		return writeJSONDocument(c.App.Writer, resp)
	}
	_, err = fmt.Fprintf(c.App.Writer, "Removed %s from the Raft configuration.\n", termSafe(resp.ID))
	return err
}
