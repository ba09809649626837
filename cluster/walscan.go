package cluster

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// The segment format of hashicorp/raft-wal v0.4 (its README, "Segment
// Files"): a 32-byte header (magic, version, BaseIndex, ID, codec), then
// 8-byte-aligned frames of an 8-byte header (type, 3 reserved bytes, a
// little-endian length or CRC) and a payload padded to 8 bytes. Every
// append ends with a commit frame holding the CRC-32C of all bytes since
// the previous commit frame (the first batch includes the file header);
// sealing adds an index frame (the entries' offsets) before the last
// commit. raft-wal keeps these constants private.
const (
	walMagic        = 0x58eb6b0d
	walHeaderLen    = 32
	walFrameLen     = 8
	walFrameEntry   = 1
	walFrameIndex   = 2
	walFrameCommit  = 3
	walMaxFrameType = walFrameCommit
)

// walCRC is raft-wal's CRC-32C (crc32.MakeTable caches the Castagnoli
// table).
func walCRC(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }

// walHeader is a segment file's header.
type walHeader struct {
	ok                  bool // magic and version match
	baseIndex, id, code uint64
}

// walBatch is one append: its frames from start up to the commit frame at
// commit (start is 0 for the first, which covers the file header).
type walBatch struct {
	start, commit int64
	entries       int
	crcOK         bool
}

// end is the offset just past the batch's commit frame.
func (b walBatch) end() int64 { return b.commit + walFrameLen }

// walScan is a segment read frame by frame the way raft-wal's recovery
// reads it (segment.readThroughSegment): up to the first all-zero or
// unreadable frame header, or the end of the file.
type walScan struct {
	header     walHeader
	batches    []walBatch
	trailing   int   // entry frames after the last commit frame
	stop       int64 // where the frame chain ends
	indexStart int64 // offset of the index array (0: no index frame)
	size       int64
}

// scanWALSegment reads data (a whole segment file) as raft-wal does, and
// checks each batch's CRC, which raft-wal does only for the last one.
func scanWALSegment(data []byte) walScan {
	s := walScan{header: readWALHeader(data), size: int64(len(data))}
	off, crcStart, entries := int64(walHeaderLen), int64(0), 0
	for off+walFrameLen <= s.size {
		typ, n := data[off], binary.LittleEndian.Uint32(data[off+4:off+8])
		if typ == 0 || typ > walMaxFrameType {
			break // zeros past the written end, or a damaged header
		}
		switch typ {
		case walFrameEntry:
			entries++
		case walFrameIndex:
			s.indexStart = off + walFrameLen
		case walFrameCommit:
			crc := walCRC(data[crcStart:off])
			s.batches = append(s.batches, walBatch{start: crcStart, commit: off, entries: entries, crcOK: crc == n})
			crcStart, entries = off+walFrameLen, 0
			n = 0
		}
		off += walFrameLen + int64(n) + int64(walPad(n))
	}
	s.trailing, s.stop = entries, min(off, s.size)
	return s
}

func readWALHeader(data []byte) walHeader {
	if len(data) < walHeaderLen || binary.LittleEndian.Uint32(data[0:4]) != walMagic || data[7] != 0 {
		return walHeader{}
	}
	le := binary.LittleEndian
	return walHeader{ok: true, baseIndex: le.Uint64(data[8:16]), id: le.Uint64(data[16:24]), code: le.Uint64(data[24:32])}
}

func walPad(n uint32) uint32 { return (walFrameLen - n%walFrameLen) % walFrameLen }

// kept is how many batches raft-wal's tail recovery keeps
// (segment.recoverTail): all of them when entry frames follow the last
// commit (that commit was synced before more was written), else all but
// a last one whose CRC fails (a torn last write).
func (s walScan) kept() int {
	n := len(s.batches)
	if n == 0 || s.trailing > 0 || s.batches[n-1].crcOK {
		return n
	}
	return n - 1
}

// keptEnd is the offset up to which raft-wal keeps the tail.
func (s walScan) keptEnd() int64 {
	if k := s.kept(); k > 0 {
		return s.batches[k-1].end()
	}
	return 0
}

// committedAfter finds a batch that raft-wal's recovery would drop although
// it was committed: a commit frame past from whose CRC checks out over the
// bytes since the commit frame before it. A torn last write leaves no
// such batch (nothing is written after a batch until its fsync returns,
// and an overwritten torn batch's CRC no longer matches), a damaged frame
// header in the middle of the segment (where raft-wal stops reading) does.
// Commit frames are looked for at every 8-byte boundary; the CRC is tried
// from the end of each of the few commit-like headers before it.
func committedAfter(data []byte, from int64) (int64, bool) {
	starts := []int64{from}
	for off := from; off+walFrameLen <= int64(len(data)); off += walFrameLen {
		h := data[off : off+walFrameLen]
		if h[0] != walFrameCommit || !bytes.Equal(h[1:4], []byte{0, 0, 0}) {
			continue
		}
		want := binary.LittleEndian.Uint32(h[4:8])
		for _, st := range starts {
			if st < off && walCRC(data[st:off]) == want {
				return off, true
			}
		}
		starts = append(starts, off+walFrameLen)
		if len(starts) > 4 {
			starts = starts[1:]
		}
	}
	return 0, false
}
