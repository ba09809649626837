//go:build tools

// Package etcdtools pins the etcd programs `make bench-peers` builds into
// .tools/etcd-v3.7.1/ (see the Makefile).
package etcdtools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "go.etcd.io/etcd/v3/tools/benchmark"
)
