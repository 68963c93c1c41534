package datachannel

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxFrame bounds the size of one message read from a socket.
const MaxFrame = 256 << 20

// FrameReader reads varint-delimited messages from a stream.
type FrameReader struct {
	r   *bufio.Reader
	buf []byte
}

// NewFrameReader reads frames from r with a buffer of size bytes.
func NewFrameReader(r io.Reader, size int) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, size)}
}

// Next returns the next message, valid until the following call. It
// returns io.EOF at a clean end between messages and
// io.ErrUnexpectedEOF inside one.
func (f *FrameReader) Next() ([]byte, error) {
	n, err := binary.ReadUvarint(f.r)
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read frame length: %w", err)
	}
	if n > MaxFrame {
		return nil, fmt.Errorf("frame of %d bytes is larger than %d", n, MaxFrame)
	}
	// A message that fits in the reader's buffer is returned in place.
	if int(n) <= f.r.Size() {
		b, err := f.r.Peek(int(n))
		if err != nil {
			return nil, unexpected(err)
		}
		_, _ = f.r.Discard(int(n))
		return b, nil
	}
	if cap(f.buf) < int(n) {
		f.buf = make([]byte, n)
	}
	f.buf = f.buf[:n]
	if _, err := io.ReadFull(f.r, f.buf); err != nil {
		return nil, unexpected(err)
	}
	return f.buf, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Kind is the member set in a DataChannelMessage.
type Kind int

const (
	KindUnknown Kind = iota
	KindRecord
	KindProtocol
	KindProbe
)

// Message is a parsed DataChannelMessage; its slices point into the frame.
type Message struct {
	Kind Kind
	// Record is set for KindRecord.
	Record RecordView
	// JSON is the Airbyte message text for KindProtocol.
	JSON []byte
}

// ErrMalformed wraps every parse error.
var ErrMalformed = errors.New("malformed data channel message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// field is one parsed protobuf field.
type field struct {
	num  int
	wire int
	u    uint64 // varint, fixed64 and fixed32 values
	b    []byte // length-delimited values
}

// nextField parses the field at the start of b and returns the rest.
func nextField(b []byte) (field, []byte, error) {
	// Nearly every field of a record has a one-byte key and a one-byte
	// varint or length (a value message, a short string, a small integer):
	// read those without the general varint decoding.
	if len(b) >= 2 && b[0] < 0x80 && b[1] < 0x80 && b[0]>>3 != 0 {
		switch num, wire := int(b[0]>>3), int(b[0]&7); {
		case wire == wireVarint:
			return field{num: num, wire: wire, u: uint64(b[1])}, b[2:], nil
		case wire == wireBytes && int(b[1]) <= len(b)-2:
			end := 2 + int(b[1])
			return field{num: num, wire: wire, b: b[2:end:end]}, b[end:], nil
		}
	}
	return nextFieldSlow(b)
}

// nextFieldSlow is nextField for any field.
func nextFieldSlow(b []byte) (field, []byte, error) {
	var f field
	key, n := binary.Uvarint(b)
	if n <= 0 {
		return f, nil, malformed("bad field key")
	}
	b = b[n:]
	f.num, f.wire = int(key>>3), int(key&7)
	if f.num == 0 {
		return f, nil, malformed("field number 0")
	}
	switch f.wire {
	case wireVarint:
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return f, nil, malformed("bad varint in field %d", f.num)
		}
		f.u, b = v, b[n:]
	case wireFixed64:
		if len(b) < 8 {
			return f, nil, malformed("short fixed64 in field %d", f.num)
		}
		f.u, b = binary.LittleEndian.Uint64(b), b[8:]
	case wireFixed32:
		if len(b) < 4 {
			return f, nil, malformed("short fixed32 in field %d", f.num)
		}
		f.u, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
	case wireBytes:
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return f, nil, malformed("bad length in field %d", f.num)
		}
		f.b, b = b[n:n+int(l)], b[n+int(l):]
	default:
		return f, nil, malformed("unsupported wire type %d in field %d", f.wire, f.num)
	}
	return f, b, nil
}

// Parse parses one message. Unknown fields are skipped, as protobuf
// readers do.
func Parse(b []byte) (Message, error) {
	var m Message
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return m, err
		}
		b = rest
		switch {
		case f.num == msgRecord && f.wire == wireBytes:
			m.Kind = KindRecord
			if err := m.Record.parse(f.b); err != nil {
				return m, err
			}
		case f.num == msgProtocol && f.wire == wireBytes:
			m.Kind, m.JSON = KindProtocol, f.b
		case f.num == msgProbe && f.wire == wireBytes:
			m.Kind = KindProbe
		}
	}
	if m.Kind == KindUnknown {
		return m, malformed("no message member set")
	}
	return m, nil
}

// RecordView is a parsed record; its slices point into the frame.
type RecordView struct {
	Namespace    []byte
	HasNamespace bool
	Stream       []byte
	EmittedAtMs  int64
	PartitionID  []byte
	// Fields is the number of data values.
	Fields int
	body   []byte
	meta   []byte
}

func (r *RecordView) parse(b []byte) error {
	*r = RecordView{body: b}
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return err
		}
		b = rest
		switch f.num {
		case recNamespace:
			r.Namespace, r.HasNamespace = f.b, true
		case recStream:
			r.Stream = f.b
		case recEmittedAt:
			r.EmittedAtMs = int64(f.u)
		case recPartitionID:
			r.PartitionID = f.b
		case recData:
			if f.wire != wireBytes {
				return malformed("record data is not a message")
			}
			r.Fields++
		case recMeta:
			r.meta = f.b
		}
	}
	return nil
}

// Values returns an iterator over the record's data values in order.
func (r *RecordView) Values() ValueIter { return ValueIter{rest: r.body} }

// Changes calls fn for each change in the record's meta.
func (r *RecordView) Changes(fn func(field []byte, change ChangeType, reason ChangeReason)) error {
	b := r.meta
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return err
		}
		b = rest
		if f.num != 1 || f.wire != wireBytes {
			continue
		}
		var name []byte
		var ct ChangeType
		var cr ChangeReason
		c := f.b
		for len(c) > 0 {
			g, rest, err := nextField(c)
			if err != nil {
				return err
			}
			c = rest
			switch g.num {
			case 1:
				name = g.b
			case 2:
				ct = ChangeType(g.u)
			case 3:
				cr = ChangeReason(g.u)
			}
		}
		fn(name, ct, cr)
	}
	return nil
}

// ValueKind is the member set in a Value.
type ValueKind uint8

const (
	ValueNull ValueKind = iota
	ValueBool
	ValueString
	ValueInteger
	ValueBigInteger
	ValueNumber
	ValueBigDecimal
	ValueDate
	ValueTimeWithTimezone
	ValueTimeWithoutTimezone
	ValueTimestampWithTimezone
	ValueTimestampWithoutTimezone
	ValueJSON
)

var kindNames = [...]string{"null", "boolean", "string", "integer", "big_integer", "number", "big_decimal", "date",
	"time_with_timezone", "time_without_timezone", "timestamp_with_timezone", "timestamp_without_timezone", "json"}

func (k ValueKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ValueKind(%d)", k)
}

// Value is one decoded value. Which fields hold it depends on Kind:
//
//	Bool: Bool
//	String, BigInteger, BigDecimal, JSON: Bytes
//	Integer: Int; Date: Int (days since epoch)
//	Number: Float
//	TimeWithoutTimezone: Nanos (of day)
//	TimeWithTimezone: Nanos (of day), Offset (seconds)
//	TimestampWithoutTimezone: Int (days since epoch), Nanos (of day)
//	TimestampWithTimezone: Int (epoch second), Nanos (nano of second), Offset
type Value struct {
	Kind   ValueKind
	Bool   bool
	Int    int64
	Nanos  uint64
	Offset int32
	Float  float64
	Bytes  []byte
}

// ValueIter walks the data values of a record.
type ValueIter struct {
	rest []byte
	v    Value
	err  error
}

// Next advances to the next value; it returns false at the end or on an
// error (see Err).
func (it *ValueIter) Next() bool {
	for len(it.rest) > 0 {
		f, rest, err := nextField(it.rest)
		if err != nil {
			it.err, it.rest = err, nil
			return false
		}
		it.rest = rest
		if f.num != recData {
			continue
		}
		if err := it.v.parse(f.b); err != nil {
			it.err, it.rest = err, nil
			return false
		}
		return true
	}
	return false
}

// Value is the current value, overwritten by Next.
func (it *ValueIter) Value() *Value { return &it.v }

// Err is the parse error that stopped the iteration, if any.
func (it *ValueIter) Err() error { return it.err }

func (v *Value) parse(b []byte) error {
	*v = Value{}
	null := false
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return err
		}
		b = rest
		switch f.num {
		case valBoolean:
			v.Kind, v.Bool = ValueBool, f.u != 0
		case valString:
			v.Kind, v.Bytes = ValueString, f.b
		case valInteger:
			v.Kind, v.Int = ValueInteger, unzigzag(f.u)
		case valBigInteger:
			v.Kind, v.Bytes = ValueBigInteger, f.b
		case valNumber:
			if f.wire != wireFixed64 {
				return malformed("number is not a double")
			}
			v.Kind, v.Float = ValueNumber, math.Float64frombits(f.u)
		case valBigDecimal:
			v.Kind, v.Bytes = ValueBigDecimal, f.b
		case valDate:
			v.Kind, v.Int = ValueDate, unzigzag(f.u)
		case valTimeTZ:
			v.Kind = ValueTimeWithTimezone
			if err := v.parseTemporal(f.b, valTimeTZ); err != nil {
				return err
			}
		case valTime:
			v.Kind, v.Nanos = ValueTimeWithoutTimezone, f.u
		case valTimestampTZ:
			v.Kind = ValueTimestampWithTimezone
			if err := v.parseTemporal(f.b, valTimestampTZ); err != nil {
				return err
			}
		case valTimestamp:
			v.Kind = ValueTimestampWithoutTimezone
			if err := v.parseTemporal(f.b, valTimestamp); err != nil {
				return err
			}
		case valJSON:
			v.Kind, v.Bytes = ValueJSON, f.b
		case valNull:
			null = true
		}
	}
	if null {
		*v = Value{}
	}
	return nil
}

func (v *Value) parseTemporal(b []byte, which int) error {
	v.Int, v.Nanos, v.Offset = 0, 0, 0
	for len(b) > 0 {
		f, rest, err := nextField(b)
		if err != nil {
			return err
		}
		b = rest
		switch which {
		case valTimestamp:
			switch f.num {
			case 1:
				v.Int = unzigzag(f.u)
			case 2:
				v.Nanos = f.u
			}
		case valTimeTZ:
			switch f.num {
			case 1:
				v.Nanos = f.u
			case 2:
				v.Offset = int32(unzigzag(f.u))
			}
		case valTimestampTZ:
			switch f.num {
			case 1:
				v.Int = unzigzag(f.u)
			case 2:
				v.Nanos = f.u
			case 3:
				v.Offset = int32(unzigzag(f.u))
			}
		}
	}
	return nil
}
