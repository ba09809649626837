package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/urfave/cli/v2"
)

// gossipKeyBytes is the size of a generated gossip key (AES-256).
const gossipKeyBytes = 32

// keygenCommand is `ovi keygen`.
func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:      "keygen",
		Usage:     "print a new gossip encryption key (base64 of 32 random bytes)",
		UsageText: "ovi keygen",
		Description: `Set the same key as gossip_key on every node: memberlist then encrypts and
authenticates all gossip with AES-256-GCM, and an agent without the key (or
with another one) cannot join. Treat it as a secret.

Example:
   ovi keygen`,
		Action: keygenAction,
	}
}

func keygenAction(c *cli.Context) error {
	if c.Args().Present() {
		return newCLIError("keygen", fmt.Errorf("unexpected argument %q", c.Args().First()), "")
	}
	key := make([]byte, gossipKeyBytes)
	if _, err := rand.Read(key); err != nil {
		return newCLIError("keygen", err, "")
	}
	_, err := fmt.Fprintln(c.App.Writer, base64.StdEncoding.EncodeToString(key))
	return err
}
