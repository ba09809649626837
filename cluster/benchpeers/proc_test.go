package benchpeers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWaitForDeadlineAndFreePort(t *testing.T) {
	err := WaitFor(context.Background(), "never", 50*time.Millisecond, func() bool { return false })
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "never") {
		t.Fatalf("WaitFor = %v", err)
	}
	port, err := FreePort()
	if err != nil || port == 0 {
		t.Fatalf("FreePort = %d, %v", port, err)
	}
}
