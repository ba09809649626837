package mvcc

import (
	"fmt"
	"time"

	"github.com/yairfalse/ovi/wal"
)

// goldenHistory is the history of testdata/format1.db: puts, deletes,
// re-creations, an entry with several ops, audit records (notes on
// resources, a decision with a name and its outcome) and a compaction to
// 30 inside entry 40, committed in batches of 7. The file was written by
// the format-1 code (key-major kv, keys and revs buckets; main at 61fa4c9)
// with Commit(goldenHistory()) and Close; this function must not change.
func goldenHistory() []Entry {
	var out []Entry
	at := time.Unix(1_700_000_000, 0).UTC()
	for i := uint64(1); i <= 60; i++ {
		e := Entry{Index: i, Term: 1 + i/25}
		k := fmt.Sprintf("g/%d", i%5)
		switch {
		case i%11 == 0:
			e.Ops = []Op{del(k), put("h/"+k, fmt.Sprint("h", i))}
		case i%7 == 3:
			e.Ops = []Op{del(k)}
		default:
			e.Ops = []Op{put(k, fmt.Sprint("v", i)), put("seq", fmt.Sprint(i))}
		}
		e.Records = []wal.Record{note(fmt.Sprintf("i-%d", i%3), fmt.Sprint("n", i), at.Add(time.Duration(i)*time.Second))}
		if i == 40 {
			e.Compact = 30
		}
		out = append(out, e)
	}
	return out
}
