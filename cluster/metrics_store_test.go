package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// TestMetricsReportFSMAppliesAndStoreSyncs: after proposals, /metrics
// counts the FSM's applies (a histogram) and the logs they carried, and the
// store's syncs on its schedule, with none failed, and the bbolt commits
// that wrote its buffered entries.
func TestMetricsReportFSMAppliesAndStoreSyncs(t *testing.T) {
	cfg := testConfig(t, "fsmmetrics", 1)
	cfg.StoreSyncInterval = 10 * time.Millisecond
	a := startAgent(t, cfg)
	waitFor(t, "leader", 10*time.Second, a.IsLeader)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const notes = 5
	for i := range notes {
		rec := wal.Record{Kind: wal.KindNote, ResourceID: fmt.Sprintf("i-%d", i), Note: &wal.Note{Text: "metrics"}}
		if _, err := a.Propose(ctx, []wal.Record{rec}); err != nil {
			t.Fatal(err)
		}
	}
	var text string
	waitFor(t, "the notes written by the store, and a sync", 10*time.Second, func() bool {
		var err error
		text, err = client(t, a).Metrics(ctx)
		return err == nil && gaugeValue(text, "ovi_store_syncs_total") >= 1 && gaugeValue(text, "ovi_store_last_sync_duration_seconds") > 0 &&
			gaugeValue(text, "ovi_store_committed_entries_total") >= notes && gaugeValue(text, "ovi_store_buffered_entries") == 0
	})
	applies := gaugeValue(text, "ovi_fsm_apply_duration_seconds_count")
	logs := gaugeValue(text, "ovi_fsm_applied_logs_total")
	if applies < 1 || logs < notes || logs < applies {
		t.Errorf("FSM applies %v carrying %v logs, want at least one apply and %d logs", applies, logs, notes)
	}
	if sum := gaugeValue(text, "ovi_fsm_apply_duration_seconds_sum"); sum <= 0 {
		t.Errorf("FSM apply time %v, want > 0", sum)
	}
	if total := gaugeValue(text, "ovi_store_sync_seconds_total"); total < gaugeValue(text, "ovi_store_last_sync_duration_seconds") {
		t.Errorf("store sync seconds %v below the last sync's", total)
	}
	if failed := gaugeValue(text, "ovi_store_sync_failed"); failed != 0 {
		t.Errorf("ovi_store_sync_failed %v, want 0", failed)
	}
	if commits, entries := gaugeValue(text, "ovi_store_commits_total"), gaugeValue(text, "ovi_store_committed_entries_total"); commits < 1 || commits > entries {
		t.Errorf("store commits %v writing %v entries, want at least one, none empty", commits, entries)
	}
	if secs := gaugeValue(text, "ovi_store_commit_seconds_total"); secs <= 0 {
		t.Errorf("ovi_store_commit_seconds_total %v, want > 0", secs)
	}
}
