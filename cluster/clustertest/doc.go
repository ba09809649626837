//go:build e2e

// Package clustertest is the shared harness of Ovi's end-to-end suites
// (cluster/e2e, cmd/ovi/e2e; cluster/faults may adopt it): it starts real
// `ovi` processes (agents, the EC2 simulator) on 127.0.0.1 for tests, each
// with its own data dir and a log file shown when the test fails, kills
// them (SIGKILL) and starts them again, waits for conditions with
// deadlines (polling, never sleeping a fixed time), talks to each agent
// through a typed transport.Client, finds the leader, and checks histories
// of register operations for linearizability with porcupine.
//
// The ovi binary comes from $OVI_BIN (make e2e builds it); without it
// Binary builds one. Every file carries the e2e build tag, like the tests
// that use it:
//
//	make build && OVI_BIN=$PWD/bin/ovi go test -tags e2e -count=1 ./cluster/e2e/ ./cmd/ovi/e2e/
package clustertest
