package cluster

import (
	"testing"
	"time"
)

func TestLeaderWatchWakesWaitersOnce(t *testing.T) {
	var w leaderWatch
	before := w.next()
	again := w.next()
	if before != again {
		t.Fatal("two waiters before a report got different channels")
	}
	select {
	case <-before:
		t.Fatal("closed before any report")
	default:
	}
	w.reported()
	select {
	case <-before:
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter taken before the report was not woken")
	}
	after := w.next()
	select {
	case <-after:
		t.Fatal("a waiter taken after the report was woken by it")
	default:
	}
	w.reported()
	w.reported() // no waiter: nothing to close twice
	<-after
}
