package main

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/yairfalse/ovi/cluster"
	"github.com/yairfalse/ovi/cluster/notify"
)

// notifyFlags collects repeated --notify flags, one receiver each (the
// value has commas of its own, so it is no StringSliceFlag).
type notifyFlags struct{ receivers []notify.Receiver }

// Set parses one --notify value.
func (f *notifyFlags) Set(v string) error {
	r, err := notify.ParseFlag(v)
	if err != nil {
		return err
	}
	f.receivers = append(f.receivers, r)
	return nil
}

func (f *notifyFlags) String() string {
	names := make([]string, len(f.receivers))
	for i, r := range f.receivers {
		names[i] = r.Name
	}
	return strings.Join(names, ",")
}

func notifyFlag() cli.Flag {
	return &cli.GenericFlag{Name: "notify", Value: &notifyFlags{},
		Usage: "webhook receiver (repeatable; replaces the file's notifications): " +
			"name=ops,url=https://…,secret_file=/etc/ovi/hook.secret[,events=drift.detected+action.failed][,timeout=5s]"}
}

// applyNotifyFlags replaces the file's receivers with the --notify ones.
func applyNotifyFlags(c *cli.Context, cfg *cluster.Config) {
	if !c.IsSet("notify") {
		return
	}
	if f, ok := c.Generic("notify").(*notifyFlags); ok {
		cfg.Notifications = f.receivers
	}
}
