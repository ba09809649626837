package reconcile

// NewMemoryLog gives external tests (the simulator benchmark in package
// reconcile_test) the in-memory fake log, which implements Log and State.
func NewMemoryLog() interface {
	Log
	State
	RecordCount() int
} {
	return newFakeLog()
}

// RecordCount is how many records the fake log holds.
func (l *fakeLog) RecordCount() int { return l.len() }
