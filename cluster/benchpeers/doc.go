// Package benchpeers measures Ovi against its peers in one run: raw
// hashicorp/raft (with raft-boltdb/v2 and with raft-wal, a no-op FSM, the
// load applied inside the leader), etcd v3.7.1 (driven by its own
// benchmark tool) and Ovi (through its HTTP API). Each system runs as
// three real processes on 127.0.0.1 with fresh data directories and fsync
// on; rounds interleave the systems, and the table shows the median of
// the rounds with the ratios Ovi/raw and Ovi/etcd (docs/benchmarks.md).
//
// The command is cmd/bench-peers (`make bench-peers`); it is minutes
// long, so `make test` runs only this package's own tests: the parsing of
// the etcd tool's output, the statistics, the table and the process
// management.
package benchpeers
