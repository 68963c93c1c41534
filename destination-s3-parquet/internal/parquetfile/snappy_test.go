package parquetfile

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
)

// TestSnappyFragments: pages compressed in 64 KiB fragments are single
// Snappy blocks that Snappy decoders read back, whatever their size and
// content, and the registered codec writes them.
func TestSnappyFragments(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	var ids []byte
	for i := range 40000 {
		ids = append(ids, 36, 0, 0, 0)
		ids = fmt.Appendf(ids, "019af3c2-1b4d-7a3c-8f21-%012x", 0x3a9b2c4d5e6f+i)
	}
	inputs := map[string][]byte{"empty": nil, "one": {7}, "ids": ids, "zeros": make([]byte, 3<<20)}
	for _, n := range []int{snappyFragment - 1, snappyFragment, snappyFragment + 1, 5*snappyFragment + 17, 1 << 20} {
		inputs[fmt.Sprintf("random %d", n)] = random(n)
		inputs[fmt.Sprintf("text %d", n)] = bytes.Repeat([]byte("abcdefghij0123"), n/14+1)[:n]
	}
	codec, err := compress.GetCodec(compress.Codecs.Snappy)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := codec.(fastSnappy); !ok {
		t.Fatalf("the registered Snappy codec is %T", codec)
	}
	for name, in := range inputs {
		for _, dst := range [][]byte{nil, make([]byte, 10), make([]byte, maxEncodedLen(len(in))+100)} {
			enc := codec.Encode(dst, in)
			if int64(len(enc)) > codec.CompressBound(int64(len(in))) {
				t.Errorf("%s: %d bytes encoded, bound %d", name, len(enc), codec.CompressBound(int64(len(in))))
			}
			for dec, decode := range map[string]func([]byte) ([]byte, error){
				"snappy": func(b []byte) ([]byte, error) { return snappy.Decode(nil, b) },
				"s2":     func(b []byte) ([]byte, error) { return s2.Decode(nil, b) },
				"codec":  func(b []byte) ([]byte, error) { return codec.Decode(nil, b), nil },
			} {
				got, err := decode(enc)
				if err != nil || !bytes.Equal(got, in) {
					t.Fatalf("%s: %s decoder: %d bytes back of %d (%v)", name, dec, len(got), len(in), err)
				}
			}
		}
	}
	// The fragments are what makes the raw ids small.
	whole, frag := len(s2.EncodeSnappy(nil, ids)), len(codec.Encode(nil, ids))
	t.Logf("40,000 raw ids: %d bytes in one block, %d in 64 KiB fragments", whole, frag)
}

func BenchmarkSnappyEncode(b *testing.B) {
	var ids []byte
	for i := range 26000 {
		ids = append(ids, 36, 0, 0, 0)
		ids = fmt.Appendf(ids, "019af3c2-1b4d-7a3c-8f21-%012x", 0x3a9b2c4d5e6f+i)
	}
	dst := make([]byte, maxEncodedLen(len(ids)))
	b.Run("fragments", func(b *testing.B) {
		b.SetBytes(int64(len(ids)))
		for range b.N {
			encodeSnappy(dst, ids)
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(len(ids)))
		for range b.N {
			s2.EncodeSnappy(dst, ids)
		}
	})
}
