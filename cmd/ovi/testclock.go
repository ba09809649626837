package main

import (
	"fmt"
	"log/slog"
	"time"
)

// envTestClockOffset shifts the wall clock an agent stamps its records
// with and judges forwarded records' times by (cluster.Config.ClockOffset),
// e.g. OVI_TEST_CLOCK_OFFSET=-2h. TEST-ONLY: the clock skew fault test
// (cluster/e2e) runs one node with it. The reconcile engine keeps the
// real clock. Never set it in production.
const envTestClockOffset = "OVI_TEST_CLOCK_OFFSET"

// testClockOffset reads envTestClockOffset (0 when unset) and warns when
// it is set.
func testClockOffset(getenv func(string) string, logger *slog.Logger) (time.Duration, error) {
	v := getenv(envTestClockOffset)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", envTestClockOffset, v, err)
	}
	logger.Warn("TEST-ONLY clock offset: this agent stamps records with a shifted clock", "env", envTestClockOffset, "offset", d)
	return d, nil
}
