package parquetfile

import (
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/s2"
)

// fastSnappy writes Snappy pages with s2's standard Snappy encoder instead
// of the "better" one arrow-go registers: the same format (any Snappy
// reader decodes it), about twice as fast to encode, pages a few percent
// larger. Decoding is the registered codec's.
type fastSnappy struct {
	compress.Codec
}

func (f fastSnappy) Encode(dst, src []byte) []byte { return s2.EncodeSnappy(dst, src) }

func (f fastSnappy) EncodeLevel(dst, src []byte, _ int) []byte { return s2.EncodeSnappy(dst, src) }

func init() {
	if c, err := compress.GetCodec(compress.Codecs.Snappy); err == nil {
		compress.RegisterCodec(compress.Codecs.Snappy, fastSnappy{c})
	}
}
