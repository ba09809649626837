package wal

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the committed fuzz seed corpus under testdata/fuzz")

// recordSeeds are valid encodings of every kind plus garbage.
func recordSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{
		"garbage-empty":         {},
		"garbage-version-only":  {FormatV1},
		"garbage-version-3":     {3, byte(KindNote), 0, 2, 0, 0, 0, 0, 0},
		"garbage-ff":            bytes.Repeat([]byte{0xff}, 16),
		"garbage-huge-length":   rawNote(0xff, 0xff, 0xff, 0xff, 0x0f),
		"garbage-non-minimal":   rawNote(0x80, 0x00),
		"garbage-json":          []byte(`{"kind":"note","note":{"text":"x"}}`),
		"valid-many-tags":       mustEncode(t, ptr(manyTagsRecord(40))),
		"valid-minimal-compact": {FormatV1, byte(KindCompaction), 0, 2, 0, 0, 0, 0, 0},
	}
	for _, r := range fullRecords() {
		data := mustEncode(t, &r)
		seeds["valid-"+r.Kind.String()] = data
		seeds["truncated-"+r.Kind.String()] = data[:len(data)/2]
	}
	return seeds
}

// batchSeeds are valid batches (empty, one of each kind, all kinds) plus garbage.
func batchSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{
		"garbage-empty":       {},
		"garbage-huge-count":  {FormatV1, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"garbage-version-0":   {0, 0},
		"garbage-bad-inner":   {FormatV1, 1, 9, FormatV1, 0, 0, 2, 0, 0, 0, 0, 0},
		"garbage-trailing":    {FormatV1, 0, 0},
		"valid-empty":         mustBatch(t, nil),
		"valid-all-kinds":     mustBatch(t, fullRecords()),
		"truncated-all-kinds": mustBatch(t, fullRecords())[:300],
	}
	for _, r := range fullRecords() {
		seeds["valid-"+r.Kind.String()] = mustBatch(t, []Record{r})
	}
	return seeds
}

func ptr[T any](v T) *T { return &v }

func mustBatch(t testing.TB, recs []Record) []byte {
	t.Helper()
	data, err := EncodeBatch(&Batch{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkDecodeError fails unless err is one of the codec's errors.
func checkDecodeError(t *testing.T, err error) {
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownVersion) && !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("decode error is neither ErrCorrupt, ErrUnknownVersion nor ErrUnknownKind: %v", err)
	}
}

// FuzzDecodeRecord: any input decodes or fails with a codec error, never
// panics; whatever decodes is valid, re-encodes to the very same bytes (the
// encoding is canonical; an older format re-encodes in the current one)
// and decodes to the same value.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range recordSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("decoded record is invalid: %v", err)
		}
		enc, err := EncodeRecord(nil, &r)
		if err != nil {
			t.Fatalf("decoded record does not re-encode: %v", err)
		}
		if data[0] == FormatCurrent && !bytes.Equal(enc, data) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", data, enc)
		}
		again, err := DecodeRecord(enc)
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("re-decoded record differs (%v):\n%+v\n%+v", err, again, r)
		}
	})
}

// FuzzDecodeBatch: as FuzzDecodeRecord, for batches.
func FuzzDecodeBatch(f *testing.F) {
	for _, s := range batchSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(data)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		enc, err := EncodeBatch(&b)
		if err != nil {
			t.Fatalf("decoded batch does not re-encode: %v", err)
		}
		if currentOnly(data) && !bytes.Equal(enc, data) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", data, enc)
		}
		again, err := DecodeBatch(enc)
		if err != nil || !reflect.DeepEqual(again, b) {
			t.Fatalf("re-decoded batch differs (%v)", err)
		}
	})
}

// currentOnly reports whether a batch that decoded is in the current
// format throughout (its records carry their own format byte).
func currentOnly(data []byte) bool {
	b, err := DecodeBatch(data)
	if err != nil || data[0] != FormatCurrent {
		return false
	}
	d := newDecoder(data[1:], 1)
	for range d.count("", 1) {
		if raw := d.bytes(""); len(raw) == 0 || raw[0] != FormatCurrent {
			return false
		}
	}
	return len(b.Records) >= 0
}

func corpusFile(data []byte) string {
	return fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
}

// TestSeedCorpus checks that testdata/fuzz holds every generated seed, so
// the committed corpus follows the format. Regenerate with
// `go test -run TestSeedCorpus ./wal/ -update-corpus`.
func TestSeedCorpus(t *testing.T) {
	for target, seeds := range map[string]map[string][]byte{
		"FuzzDecodeRecord": recordSeeds(t), "FuzzDecodeBatch": batchSeeds(t),
	} {
		dir := filepath.Join("testdata", "fuzz", target)
		for name, data := range seeds {
			path := filepath.Join(dir, "seed-"+name)
			if *updateCorpus {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(corpusFile(data)), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != corpusFile(data) {
				t.Errorf("%s is missing or stale (%v); run go test -run TestSeedCorpus ./wal/ -update-corpus", path, err)
			}
		}
	}
}
