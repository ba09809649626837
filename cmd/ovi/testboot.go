package main

import "log/slog"

// envTestBootID names the boot of the machine an agent runs on
// (cluster.Config.BootID), e.g. OVI_TEST_BOOT_ID=after-power-loss.
// TEST-ONLY: the power-loss fault test (cluster/faults) restarts a node
// with a new one to play a machine restart, so the store's sync marker
// reads as left by an earlier boot. Never set it in production.
const envTestBootID = "OVI_TEST_BOOT_ID"

// testBootID reads envTestBootID ("" when unset: the kernel's boot id)
// and warns when it is set.
func testBootID(getenv func(string) string, logger *slog.Logger) string {
	v := getenv(envTestBootID)
	if v != "" {
		logger.Warn("TEST-ONLY boot id: this agent plays a machine restart", "env", envTestBootID, "boot_id", v)
	}
	return v
}
