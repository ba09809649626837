package wal

import (
	"bytes"
	"testing"
	"time"
)

// TestDecodeBatchEncodedReturnsTheRecordsBytes: each record's encoding is
// returned as it sits in the batch (same format byte, same bytes), capped
// so that appending to one cannot overwrite the next.
func TestDecodeBatchEncodedReturnsTheRecordsBytes(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	recs := []Record{
		{Kind: KindNote, ResourceID: "i-1", Time: at, Node: "n1", Note: &Note{Text: "one"}},
		{Kind: KindNote, Time: at.Add(time.Second), Node: "n2", Note: &Note{Text: "two"}},
	}
	for _, format := range []byte{FormatV2, FormatV3, FormatCurrent} {
		data, err := EncodeBatchAs(&Batch{Records: recs}, format)
		if err != nil {
			t.Fatal(err)
		}
		b, raws, err := DecodeBatchEncoded(data)
		if err != nil || len(raws) != len(recs) || len(b.Records) != len(recs) {
			t.Fatalf("format %d: %d records, %d encodings, %v", format, len(b.Records), len(raws), err)
		}
		for i := range recs {
			want, err := EncodeRecordAs(nil, &recs[i], format)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raws[i], want) || cap(raws[i]) != len(raws[i]) {
				t.Fatalf("format %d record %d: % x (cap %d), want % x", format, i, raws[i], cap(raws[i]), want)
			}
			if b.Records[i].Note.Text != recs[i].Note.Text {
				t.Fatalf("format %d record %d decoded as %+v", format, i, b.Records[i])
			}
		}
	}
	if _, _, err := DecodeBatchEncoded([]byte{FormatCurrent, 1, 3, 0xff}); err == nil {
		t.Fatal("garbage decoded")
	}
}
