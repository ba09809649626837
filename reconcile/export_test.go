package reconcile

// MemoryLog is the in-memory fake log as external tests see it.
type MemoryLog interface {
	Log
	State
	RecordCount() int
}

// NewMemoryLog gives external tests (the simulator benchmark in package
// reconcile_test) the in-memory fake log, which implements Log and State.
func NewMemoryLog() MemoryLog {
	return newFakeLog()
}

// RecordCount is how many records the fake log holds.
func (l *fakeLog) RecordCount() int { return l.len() }
