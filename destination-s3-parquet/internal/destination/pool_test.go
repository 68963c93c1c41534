package destination

import (
	"bytes"
	"testing"
)

// TestPoolAllocator: reused buffers come back zeroed (arrow-go expects
// zeroed memory, as calloc gives), a reallocation keeps the old bytes and
// zeroes the rest, and no more than maxIdle bytes are kept.
func TestPoolAllocator(t *testing.T) {
	p := newPoolAllocator(1 << 20)
	b := p.Allocate(1000)
	if len(b) != 1000 || cap(b) != 1024 {
		t.Fatalf("Allocate(1000): len %d cap %d", len(b), cap(b))
	}
	for i := range b {
		b[i] = 0xff
	}
	p.Free(b)
	c := p.Allocate(700) // same class: the buffer comes back
	if &c[0] != &b[0] {
		t.Errorf("the freed buffer was not reused")
	}
	if !bytes.Equal(c, make([]byte, 700)) {
		t.Errorf("a reused buffer is not zeroed")
	}
	for i := range c {
		c[i] = byte(i)
	}
	d := p.Allocate(2000)
	for i := range d {
		d[i] = 0xee
	}
	p.Free(d) // so that the reallocation below reuses dirty memory
	g := p.Reallocate(1500, c)
	if len(g) != 1500 {
		t.Fatalf("Reallocate: len %d", len(g))
	}
	for i := range 700 {
		if g[i] != byte(i) {
			t.Fatalf("Reallocate lost byte %d", i)
		}
	}
	if !bytes.Equal(g[700:], make([]byte, 800)) {
		t.Errorf("Reallocate left old bytes after the copied ones")
	}
	// Within capacity: the same buffer, zero where it grows.
	g = g[:100]
	h := p.Reallocate(1200, g)
	if &h[0] != &g[0] || !bytes.Equal(h[100:], make([]byte, 1100)) {
		t.Errorf("in-place growth not zeroed")
	}
	q := newPoolAllocator(4096)
	for range 8 {
		q.Free(make([]byte, 1024))
	}
	if q.idle > 4096 {
		t.Errorf("%d bytes idle, limit 4096", q.idle)
	}
}
