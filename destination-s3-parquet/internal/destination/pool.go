package destination

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// poolAllocator recycles Arrow buffers in power-of-two size classes. Arrow
// builders and Parquet encoders allocate and free the same sizes for every
// batch; reusing them spares the garbage collector most of its work. Reused
// memory is zeroed, as Go's allocator would return it.
type poolAllocator struct {
	mu      sync.Mutex
	free    [maxClass + 1][][]byte
	idle    int64
	maxIdle int64
}

const (
	minClass = 6  // 64 B
	maxClass = 24 // 16 MiB; larger buffers are not pooled
)

func newPoolAllocator(maxIdle int64) *poolAllocator { return &poolAllocator{maxIdle: maxIdle} }

// goAlloc is where the pool's buffers come from.
var goAlloc = memory.NewGoAllocator()

var (
	processOnce sync.Once
	process     *poolAllocator
)

// processPool returns the process's pool, keeping up to maxIdle bytes for
// reuse. The first call also makes it arrow-go's default allocator: the
// Parquet encoders take their page and value buffers from a sync.Pool of
// buffers that grow through the default allocator, so those growth steps
// are recycled here too instead of being left to the garbage collector
// (about a third of what a row group's encoding allocated).
func processPool(maxIdle int64) *poolAllocator {
	processOnce.Do(func() {
		process = newPoolAllocator(maxIdle)
		memory.DefaultAllocator = process
	})
	process.mu.Lock()
	process.maxIdle = maxIdle
	process.mu.Unlock()
	return process
}

func classOf(size int) int {
	if size <= 1<<minClass {
		return minClass
	}
	return bits.Len(uint(size - 1))
}

func (p *poolAllocator) Allocate(size int) []byte { return p.allocate(size, 0) }

// allocate returns a buffer of size bytes that is zero from keep on (the
// caller overwrites the first keep bytes).
func (p *poolAllocator) allocate(size, keep int) []byte {
	c := classOf(size)
	if c > maxClass {
		return goAlloc.Allocate(size)
	}
	p.mu.Lock()
	if n := len(p.free[c]); n > 0 {
		b := p.free[c][n-1]
		p.free[c] = p.free[c][:n-1]
		p.idle -= int64(cap(b))
		p.mu.Unlock()
		b = b[:size]
		clear(b[min(keep, size):])
		return b
	}
	p.mu.Unlock()
	return goAlloc.Allocate(1 << c)[:size]
}

func (p *poolAllocator) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := p.allocate(size, len(b))
	copy(nb, b)
	p.Free(b)
	return nb
}

func (p *poolAllocator) Free(b []byte) {
	c := bits.Len(uint(cap(b))) - 1
	if c < minClass || c > maxClass || cap(b) != 1<<c {
		return // not one of ours: left to the garbage collector
	}
	p.mu.Lock()
	if p.idle+int64(cap(b)) <= p.maxIdle {
		p.free[c] = append(p.free[c], b[:0])
		p.idle += int64(cap(b))
	}
	p.mu.Unlock()
}

var _ memory.Allocator = (*poolAllocator)(nil)
