// Package proc runs the long-lived processes of Ovi's harnesses: the
// agents, simulators and peers that the end-to-end suites
// (cluster/clustertest), the fault suite (cluster/faults) and the peer
// benchmark (cluster/benchpeers) start on loopback addresses. A Proc starts a command with its output in a log file of
// its own (one per start), reports whether it still runs and how it
// ended, signals it and waits for it to exit, and starts it again. Every
// call returns its error: clustertest wraps it with testing.TB, the
// benchmark reports it.
package proc
