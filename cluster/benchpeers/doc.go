// Package benchpeers measures Ovi against its peers in one run: raw
// hashicorp/raft (with raft-boltdb/v2 and with raft-wal, a no-op FSM, the
// load applied inside the leader), etcd v3.7.1 (driven by its own
// benchmark tool) and Ovi (through its HTTP API). Each system runs as
// three real processes on 127.0.0.1 with fresh data directories and fsync
// on; rounds interleave the systems, and the table shows the median of
// the rounds with the ratios Ovi/raw and Ovi/etcd (docs/benchmarks.md).
//
// Each append row also explains its figure: the CPU per committed record
// of the leader, of each follower and of the load client (/proc/PID/stat
// for the servers, getrusage for bench-peers' own load and the tools it
// runs), and how idle the machine was during the phase (/proc/stat), so a
// reader sees whether a row was CPU-bound or I/O-bound. Under the table
// come the idle figure before each round, the command line and the
// builds; -profile takes pprof profiles of the Ovi leader and a follower
// during the 64-client phase.
//
// The command is cmd/bench-peers (`make bench-peers`); it is minutes
// long, so `make test` runs only this package's own tests: the parsing of
// the etcd tool's output and of /proc (fake files in testdata), the
// statistics and CPU arithmetic, the table, the profile fetch, and the
// rounds over fake systems of real processes.
package benchpeers
