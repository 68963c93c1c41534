package appender

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestPutUUID compares putUUID with google/uuid's formatting of the same
// bytes.
func TestPutUUID(t *testing.T) {
	cases := [][2]uint64{{0, 0}, {^uint64(0), ^uint64(0)}, {0x0123456789abcdef, 0xfedcba9876543210}, {0xa0b1c2d3e4f50617, 0x28394a5b6c7d8e9f}}
	for i := uint64(0); i < 1000; i++ {
		cases = append(cases, [2]uint64{i * 0x9e3779b97f4a7c15, (i + 7) * 0xbf58476d1ce4e5b9})
	}
	for _, c := range cases {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], c[0])
		binary.BigEndian.PutUint64(b[8:], c[1])
		want := uuid.UUID(b).String()
		var got [uuidLen]byte
		putUUID(got[:], c[0], c[1])
		if string(got[:]) != want {
			t.Fatalf("putUUID(%#x, %#x) = %s, want %s", c[0], c[1], got, want)
		}
	}
}

// TestUUIDV7: the generator's UUIDs are version 7, variant 10, carry the
// seeded millisecond, and are the seed plus 0, 1, 2, … in their 74 random
// bits, the carries out of rand_b and rand_a included.
func TestUUIDV7(t *testing.T) {
	ms := time.Date(2026, 12, 6, 3, 4, 5, 0, time.UTC).UnixMilli()
	for _, c := range []struct {
		name string
		a, b uint64 // seed
		n    int
	}{
		{"random", 0x5a5, 0x123456789abcdef0, 1000},
		{"zero", 0, 0, 10},
		{"rand_b carry", 0x0ff, 1<<62 - 3, 6},
		{"rand_a and rand_b carry", 0xfff, 1<<62 - 2, 5},
	} {
		var g uuidV7
		g.seed(ms, c.a|0xf000, c.b|3<<62) // bits above the fields are ignored
		prev := ""
		for i := 0; i < c.n; i++ {
			var s [uuidLen]byte
			g.put(s[:])
			u, err := uuid.Parse(string(s[:]))
			if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 || u.String() != string(s[:]) {
				t.Fatalf("%s: %d: %q is not a lowercase version 7 UUID (%v)", c.name, i, s, err)
			}
			if string(s[:]) <= prev {
				t.Fatalf("%s: %d: %s after %s", c.name, i, s, prev)
			}
			prev = string(s[:])
			// The 74 random bits as a number, and the timestamp.
			hi, lo := binary.BigEndian.Uint64(u[:8]), binary.BigEndian.Uint64(u[8:])
			gotMS := int64(hi >> 16)
			gotA, gotB := hi&randAMask, lo&randBMask
			wantB := c.b + uint64(i)
			wantA := c.a + wantB>>62
			wantMS := ms + int64(wantA>>12)
			if gotMS != wantMS || gotA != wantA&randAMask || gotB != wantB&randBMask {
				t.Fatalf("%s: %d: ms %d rand_a %#x rand_b %#x, want %d %#x %#x", c.name, i, gotMS, gotA, gotB, wantMS, wantA&randAMask, wantB&randBMask)
			}
		}
	}
}

func BenchmarkPutUUID(b *testing.B) {
	var s [uuidLen]byte
	for i := 0; i < b.N; i++ {
		putUUID(s[:], uint64(i)*0x9e3779b97f4a7c15, uint64(i))
	}
}

func BenchmarkUUIDV7(b *testing.B) {
	var s [uuidLen]byte
	var g uuidV7
	g.seed(time.Now().UnixMilli(), 0x123, 0x456)
	for range b.N {
		g.put(s[:])
	}
}
