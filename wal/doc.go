// Package wal defines Ovi's write-ahead audit records and their binary codec.
//
// The replicated Raft log is the WAL: every Raft entry carries one Batch of
// typed Records. A Record says what happened (its Kind), to which resource,
// who proposed it and when, in which Raft term, and carries exactly one typed
// payload matching its Kind. The package does no I/O.
//
// The lifecycle of one action, linked by DecisionID:
//
//	observed   Resource i-123456 found in cloud
//	decided    Delete: Not in desired configuration      (DecisionID d-1)
//	executing  Starting deletion                          (DecisionID d-1)
//	executed   Successfully deleted                       (DecisionID d-1)
//	           or failed with the provider's error code   (DecisionID d-1)
package wal
