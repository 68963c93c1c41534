package destination

import (
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// countingAllocator counts the bytes a stream's Arrow builders and Parquet
// writer hold, per stream and in total, so that the memory budget can be
// enforced on what is really allocated.
type countingAllocator struct {
	mem    memory.Allocator
	bytes  atomic.Int64
	global *atomic.Int64
}

func newCountingAllocator(mem memory.Allocator, global *atomic.Int64) *countingAllocator {
	return &countingAllocator{mem: mem, global: global}
}

func (a *countingAllocator) Allocate(size int) []byte {
	a.add(int64(size))
	return a.mem.Allocate(size)
}

func (a *countingAllocator) Reallocate(size int, b []byte) []byte {
	a.add(int64(size - len(b)))
	return a.mem.Reallocate(size, b)
}

func (a *countingAllocator) Free(b []byte) {
	a.add(-int64(len(b)))
	a.mem.Free(b)
}

func (a *countingAllocator) add(n int64) {
	a.bytes.Add(n)
	a.global.Add(n)
}

// Bytes returns the bytes currently allocated through a.
func (a *countingAllocator) Bytes() int64 { return a.bytes.Load() }

var _ memory.Allocator = (*countingAllocator)(nil)
