package appender

import (
	"encoding/binary"
	"testing"

	"github.com/google/uuid"
)

// TestPutUUID compares putUUID with google/uuid's formatting of the same
// bytes (with the version and variant bits set).
func TestPutUUID(t *testing.T) {
	cases := [][2]uint64{{0, 0}, {^uint64(0), ^uint64(0)}, {0x0123456789abcdef, 0xfedcba9876543210}, {0xa0b1c2d3e4f50617, 0x28394a5b6c7d8e9f}}
	for i := uint64(0); i < 1000; i++ {
		cases = append(cases, [2]uint64{i * 0x9e3779b97f4a7c15, (i + 7) * 0xbf58476d1ce4e5b9})
	}
	for _, c := range cases {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], c[0])
		binary.BigEndian.PutUint64(b[8:], c[1])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		want := uuid.UUID(b).String()
		var got [uuidLen]byte
		putUUID(got[:], c[0], c[1])
		if string(got[:]) != want {
			t.Fatalf("putUUID(%#x, %#x) = %s, want %s", c[0], c[1], got, want)
		}
	}
}

func BenchmarkPutUUID(b *testing.B) {
	var s [uuidLen]byte
	for i := 0; i < b.N; i++ {
		putUUID(s[:], uint64(i)*0x9e3779b97f4a7c15, uint64(i))
	}
}
