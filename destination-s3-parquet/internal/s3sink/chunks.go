package s3sink

import (
	"errors"
	"io"
	"sync"
)

// chunkSize is the unit of part buffers: small enough that an open file
// with little data holds little memory, large enough that a 10 MiB part is
// 40 chunks.
const chunkSize = 256 << 10

// maxIdleChunks bounds the memory kept for reuse (8 MiB).
const maxIdleChunks = 32

// chunkPool recycles chunks so that parts do not churn the garbage collector.
type chunkPool struct {
	mu   sync.Mutex
	free [][]byte
}

func newChunkPool() *chunkPool { return &chunkPool{} }

func (p *chunkPool) get() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		c := p.free[n-1]
		p.free = p.free[:n-1]
		return c[:0]
	}
	return make([]byte, 0, chunkSize)
}

func (p *chunkPool) put(cs [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		if len(p.free) >= maxIdleChunks {
			return
		}
		p.free = append(p.free, c[:0])
	}
}

// chunks is a byte sequence stored in pooled chunks.
type chunks struct {
	list [][]byte
	size int
}

func (c *chunks) write(p *chunkPool, b []byte) {
	for len(b) > 0 {
		if n := len(c.list); n == 0 || len(c.list[n-1]) == chunkSize {
			c.list = append(c.list, p.get())
		}
		last := &c.list[len(c.list)-1]
		k := copy((*last)[len(*last):chunkSize], b)
		*last = (*last)[:len(*last)+k]
		b = b[k:]
		c.size += k
	}
}

// split returns the first n bytes as their own chunks and keeps the rest.
// n must be a multiple of chunkSize or the whole size.
func (c *chunks) split(n int) chunks {
	k := n / chunkSize
	if n == c.size {
		k = len(c.list)
	}
	head := chunks{list: c.list[:k:k], size: n}
	c.list = append([][]byte(nil), c.list[k:]...)
	c.size -= n
	return head
}

// reader returns an io.ReadSeeker over the chunks (the SDK seeks to sign,
// checksum and retry).
func (c *chunks) reader() *chunkReader { return &chunkReader{c: c} }

type chunkReader struct {
	c   *chunks
	off int64
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.off >= int64(r.c.size) {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.off < int64(r.c.size) {
		ci, co := int(r.off/chunkSize), int(r.off%chunkSize)
		k := copy(p[n:], r.c.list[ci][co:])
		n += k
		r.off += int64(k)
	}
	return n, nil
}

func (r *chunkReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += int64(r.c.size)
	}
	if offset < 0 {
		return 0, errors.New("s3sink: negative seek")
	}
	r.off = offset
	return offset, nil
}
