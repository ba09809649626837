package wal

import (
	"encoding/json"
	"testing"
	"time"
)

// typicalObserved is an observed EC2 instance as the AWS provider records
// it: about 256 bytes encoded.
func typicalObserved() Record {
	return Record{
		Kind: KindObserved, ResourceID: "i-0a1b2c3d4e5f60718", Time: time.Unix(1741948201, 123456789),
		Node: "ovi-node-1", Term: 12, CycleID: "c-000000000042",
		Observed: &Observed{Change: ChangeUpdated, Resource: Resource{
			ID: "i-0a1b2c3d4e5f60718", Kind: ResourceInstance, State: "running", Managed: true, Group: "web",
			Instance: &Instance{Size: "t3.micro", ImageID: "ami-0abcdef1234567890",
				LaunchTime: 1741900000000000000, SubnetID: "subnet-0123456789abcdef0"},
			Tags: map[string]string{
				TagManaged: "true", TagGroup: "web", TagDecision: "d-000000000042-0001",
				"Name": "web-1", "env": "production",
			},
		}},
	}
}

// typicalDecided is a delete decision with its reason.
func typicalDecided() Record {
	return Record{
		Kind: KindDecided, ResourceID: "i-0a1b2c3d4e5f60718", Time: time.Unix(1741948202, 0),
		Node: "ovi-node-1", Term: 12, DecisionID: "d-000000000042-0001", CycleID: "c-000000000042",
		Decided: &Decided{Action: ActionDelete, Drift: DriftUnwanted, ResourceKind: ResourceInstance, Reason: "Delete: Not in desired configuration",
			Group: "web", Size: "t3.micro"},
	}
}

func benchRecords() []struct {
	name string
	rec  Record
} {
	return []struct {
		name string
		rec  Record
	}{{"observed", typicalObserved()}, {"decided", typicalDecided()}}
}

func BenchmarkEncodeRecord(b *testing.B) {
	for _, c := range benchRecords() {
		b.Run(c.name+"/wal", func(b *testing.B) {
			buf, _ := EncodeRecord(nil, &c.rec)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = EncodeRecord(buf[:0], &c.rec); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(buf)), "bytes/record")
		})
		b.Run(c.name+"/json", func(b *testing.B) {
			var out []byte
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if out, err = json.Marshal(&c.rec); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(out)), "bytes/record")
		})
	}
}

// BenchmarkEncodeRecordFresh encodes into a nil buffer each time, as a
// caller that keeps the bytes (the FSM storing a value) does.
func BenchmarkEncodeRecordFresh(b *testing.B) {
	rec := typicalObserved()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeRecord(nil, &rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRecord(b *testing.B) {
	for _, c := range benchRecords() {
		data, err := EncodeRecord(nil, &c.rec)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/wal", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeRecord(data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data)), "bytes/record")
		})
		js, err := json.Marshal(&c.rec)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var r Record
				if err := json.Unmarshal(js, &r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(js)), "bytes/record")
		})
	}
}

// BenchmarkBatch512 encodes and decodes one Raft entry of 512 observed
// records (the FSM's batch size in the storage benchmarks).
func BenchmarkBatch512(b *testing.B) {
	batch := Batch{Records: make([]Record, 512)}
	for i := range batch.Records {
		batch.Records[i] = typicalObserved()
	}
	data, err := EncodeBatch(&batch)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := EncodeBatch(&batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data))/512, "bytes/record")
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeBatch(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
