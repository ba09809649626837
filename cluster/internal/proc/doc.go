// Package proc runs the long-lived processes of Ovi's harnesses: the
// agents, simulators and peers that the end-to-end suites
// (cluster/clustertest) and the peer benchmark (cluster/benchpeers) start
// on 127.0.0.1. A Proc starts a command with its output in a log file of
// its own (one per start), reports whether it still runs and how it
// ended, signals it and waits for it to exit, and starts it again. Every
// call returns its error: clustertest wraps it with testing.TB, the
// benchmark reports it.
package proc
