package destination

import (
	"encoding/binary"

	"github.com/klauspost/compress/s2"
)

// stageBlock is the size at which a stream's staged records are sealed
// into a block (and compressed, when many streams are open).
const stageBlock = 64 << 10

// staging holds a stream's records, as the raw JSON they arrived in, until
// there are enough of them for a row group. Appending a record is one
// copy; converting a whole row group at once keeps one stream's builders
// hot in the cache instead of touching every stream's builders in turn.
// When many streams are interleaved, sealed blocks are compressed with S2
// (a fast Snappy derivative; only this process reads the blocks), so the
// memory budget holds several times more rows per stream and row groups
// stay large.
//
// A record is stored as uvarint(len(data)), varint(emitted_at),
// uvarint(len(meta)), data, meta.
type staging struct {
	blocks   []stagedBlock
	cur      []byte
	rows     int
	rawBytes int64 // uncompressed bytes staged
	memBytes int64 // bytes held (compressed blocks, raw blocks, cur)
}

type stagedBlock struct {
	data       []byte
	compressed bool
}

// blockPool recycles raw block buffers and holds the compression buffer.
type blockPool struct {
	free [][]byte
	enc  []byte
}

func (p *blockPool) get() []byte {
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b[:0]
	}
	return make([]byte, 0, stageBlock+stageBlock/4)
}

func (p *blockPool) put(b []byte) {
	if cap(b) <= 2*stageBlock && len(p.free) < 16 {
		p.free = append(p.free, b[:0])
	}
}

// add stages one record.
func (st *staging) add(p *blockPool, data []byte, emittedAt int64, meta []byte, compress bool) {
	if st.cur == nil {
		st.cur = p.get()
		st.memBytes += int64(cap(st.cur))
	}
	before := cap(st.cur)
	st.cur = binary.AppendUvarint(st.cur, uint64(len(data)))
	st.cur = binary.AppendVarint(st.cur, emittedAt)
	st.cur = binary.AppendUvarint(st.cur, uint64(len(meta)))
	st.cur = append(st.cur, data...)
	st.cur = append(st.cur, meta...)
	st.memBytes += int64(cap(st.cur) - before)
	st.rows++
	if len(st.cur) >= stageBlock {
		st.seal(p, compress)
	}
}

// seal closes the current block.
func (st *staging) seal(p *blockPool, compress bool) {
	if len(st.cur) == 0 {
		return
	}
	st.rawBytes += int64(len(st.cur))
	if compress {
		if n := s2.MaxEncodedLen(len(st.cur)); cap(p.enc) < n {
			p.enc = make([]byte, n)
		}
		enc := append([]byte(nil), s2.Encode(p.enc[:cap(p.enc)], st.cur)...)
		st.memBytes += int64(cap(enc)) - int64(cap(st.cur))
		st.blocks = append(st.blocks, stagedBlock{data: enc, compressed: true})
		p.put(st.cur)
	} else {
		st.blocks = append(st.blocks, stagedBlock{data: st.cur})
	}
	st.cur = nil
}

// replay calls fn for every staged record, in order, and empties the
// staging. scratch is a reusable decompression buffer.
func (st *staging) replay(p *blockPool, scratch *[]byte, fn func(data []byte, emittedAt int64, meta []byte)) {
	st.seal(p, false)
	for _, b := range st.blocks {
		raw := b.data
		if b.compressed {
			n, err := s2.DecodedLen(b.data)
			if err == nil {
				if cap(*scratch) < n {
					*scratch = make([]byte, n)
				}
				raw, err = s2.Decode((*scratch)[:cap(*scratch)], b.data)
			}
			if err != nil {
				panic("destination: corrupt staging block: " + err.Error()) // our own encoding
			}
		}
		for len(raw) > 0 {
			dl, n1 := binary.Uvarint(raw)
			at, n2 := binary.Varint(raw[n1:])
			ml, n3 := binary.Uvarint(raw[n1+n2:])
			raw = raw[n1+n2+n3:]
			data := raw[:dl]
			var meta []byte
			if ml > 0 {
				meta = raw[dl : dl+ml]
			}
			raw = raw[dl+ml:]
			fn(data, at, meta)
		}
		if !b.compressed {
			p.put(b.data)
		}
	}
	clear(st.blocks)
	st.blocks = st.blocks[:0]
	st.rows, st.rawBytes, st.memBytes = 0, 0, 0
}

// stagedRaw returns the uncompressed size of the staged records.
func (st *staging) stagedRaw() int64 { return st.rawBytes + int64(len(st.cur)) }
