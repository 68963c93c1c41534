package datachannel

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// Field numbers and wire types of pb/datachannel.proto.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5

	msgRecord   = 1
	msgProtocol = 2
	msgProbe    = 3

	recNamespace   = 1
	recStream      = 2
	recEmittedAt   = 3
	recPartitionID = 4
	recData        = 5
	recMeta        = 6

	valBoolean     = 1
	valString      = 2
	valInteger     = 3
	valBigInteger  = 4
	valNumber      = 5
	valBigDecimal  = 6
	valDate        = 7
	valTimeTZ      = 8
	valTime        = 9
	valTimestampTZ = 10
	valTimestamp   = 11
	valJSON        = 12
	valNull        = 13
)

func tag(field, wire int) byte { return byte(field<<3 | wire) }

// varintLen is the encoded size of v.
func varintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func unzigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }

// headerRoom is room for the largest frame header of a record: the
// frame length (varint32, 5 bytes), the record's tag and its length.
const headerRoom = 5 + 1 + 5

// RecordEncoder builds framed record messages into a reused buffer. The
// values of a record are added in the order of the stream's sorted
// property names, one call per property (Null for a missing one):
//
//	e.Begin(prefix, emittedAtMs, partitionID)
//	e.Integer(42); e.String(name); e.Null()
//	frame := e.Finish() // valid until the next Begin
//
// Nothing allocates once the buffer has grown to the largest record.
type RecordEncoder struct {
	buf  []byte
	meta []byte
}

// StreamPrefix is the encoded namespace and stream name of a stream,
// computed once.
type StreamPrefix struct{ b []byte }

// NewStreamPrefix encodes the stream fields of a record. An empty
// namespace is left out (unset).
func NewStreamPrefix(namespace, name string) *StreamPrefix {
	var b []byte
	if namespace != "" {
		b = appendBytesField(b, recNamespace, []byte(namespace))
	}
	b = appendBytesField(b, recStream, []byte(name))
	return &StreamPrefix{b: b}
}

// Begin starts a record.
func (e *RecordEncoder) Begin(p *StreamPrefix, emittedAtMs int64, partitionID []byte) {
	if cap(e.buf) < 4096 {
		e.buf = make([]byte, 0, 4096)
	}
	b := e.buf[:headerRoom]
	b = append(b, p.b...)
	if emittedAtMs != 0 {
		b = append(b, tag(recEmittedAt, wireVarint))
		b = binary.AppendUvarint(b, uint64(emittedAtMs))
	}
	if len(partitionID) > 0 {
		b = appendBytesField(b, recPartitionID, partitionID)
	}
	e.buf = b
	e.meta = e.meta[:0]
}

// Finish closes the record and returns its frame: the varint length and
// the DataChannelMessage bytes. The frame is valid until the next Begin.
func (e *RecordEncoder) Finish() []byte {
	if len(e.meta) > 0 {
		e.buf = append(e.buf, tag(recMeta, wireBytes))
		e.buf = binary.AppendUvarint(e.buf, uint64(len(e.meta)))
		e.buf = append(e.buf, e.meta...)
	}
	recLen := uint64(len(e.buf) - headerRoom)
	msgLen := 1 + uint64(varintLen(recLen)) + recLen
	hl := varintLen(msgLen) + 1 + varintLen(recLen)
	start := headerRoom - hl
	h := e.buf[start:start]
	h = binary.AppendUvarint(h, msgLen)
	h = append(h, tag(msgRecord, wireBytes))
	binary.AppendUvarint(h, recLen)
	return e.buf[start:]
}

// valueHead appends the data field's tag and the value's length.
func (e *RecordEncoder) valueHead(n int) {
	e.buf = append(e.buf, tag(recData, wireBytes))
	e.buf = binary.AppendUvarint(e.buf, uint64(n))
}

// Null adds a null value.
func (e *RecordEncoder) Null() {
	e.buf = append(e.buf, tag(recData, wireBytes), 2, tag(valNull, wireVarint), 1)
}

// Bool adds a boolean.
func (e *RecordEncoder) Bool(v bool) {
	var x byte
	if v {
		x = 1
	}
	e.buf = append(e.buf, tag(recData, wireBytes), 2, tag(valBoolean, wireVarint), x)
}

// Integer adds an integer that fits in 63 bits.
func (e *RecordEncoder) Integer(v int64) { e.varintValue(valInteger, zigzag(v)) }

// Date adds a date as days since 1970-01-01.
func (e *RecordEncoder) Date(days int64) { e.varintValue(valDate, zigzag(days)) }

// TimeWithoutTimezone adds a time of day in nanoseconds.
func (e *RecordEncoder) TimeWithoutTimezone(nanos uint64) { e.varintValue(valTime, nanos) }

func (e *RecordEncoder) varintValue(field int, u uint64) {
	e.valueHead(1 + varintLen(u))
	e.buf = append(e.buf, tag(field, wireVarint))
	e.buf = binary.AppendUvarint(e.buf, u)
}

// Number adds a floating-point number.
func (e *RecordEncoder) Number(v float64) {
	e.valueHead(9)
	e.buf = append(e.buf, tag(valNumber, wireFixed64))
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
}

// String adds text, which must be valid UTF-8.
func (e *RecordEncoder) String(v []byte) { e.bytesValue(valString, v) }

// BigInteger adds an integer as decimal text.
func (e *RecordEncoder) BigInteger(text []byte) { e.bytesValue(valBigInteger, text) }

// BigDecimal adds a decimal number as plain text.
func (e *RecordEncoder) BigDecimal(text []byte) { e.bytesValue(valBigDecimal, text) }

// JSON adds the JSON text of a value that has no typed member (arrays,
// objects, unions).
func (e *RecordEncoder) JSON(text []byte) { e.bytesValue(valJSON, text) }

func (e *RecordEncoder) bytesValue(field int, v []byte) {
	e.valueHead(1 + varintLen(uint64(len(v))) + len(v))
	e.buf = appendBytesField(e.buf, field, v)
}

// BeginString starts a text value whose bytes the caller appends to the
// returned buffer (for example while unescaping or converting them); pass
// the buffer back to EndString. max bounds the length the value can have,
// so that room for its length is reserved up front.
func (e *RecordEncoder) BeginString(max int) []byte {
	inner := 1 + varintLen(uint64(max)) + max
	// data tag, value length, string tag, string length: with the value
	// length and string length written at their largest size.
	e.buf = append(e.buf, tag(recData, wireBytes))
	e.buf = appendFixedVarint(e.buf, uint64(inner), varintLen(uint64(inner)))
	e.buf = append(e.buf, tag(valString, wireBytes))
	e.buf = appendFixedVarint(e.buf, uint64(max), varintLen(uint64(max)))
	return e.buf
}

// EndString completes a value begun with BeginString.
func (e *RecordEncoder) EndString(b []byte, max int) {
	// Find the heads written by BeginString: they end where the caller's
	// bytes start, len(e.buf) of the buffer returned.
	start := len(e.buf)
	n := len(b) - start
	sl := varintLen(uint64(max))
	inner := 1 + varintLen(uint64(max)) + max
	il := varintLen(uint64(inner))
	putFixedVarint(b[start-sl:start], uint64(n))
	putFixedVarint(b[start-sl-1-il:start-sl-1], uint64(1+sl+n))
	e.buf = b
}

// appendFixedVarint appends v as a varint padded to exactly n bytes
// (continuation bits on the padding), which every protobuf parser reads.
func appendFixedVarint(b []byte, v uint64, n int) []byte {
	for i := 0; i < n-1; i++ {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func putFixedVarint(b []byte, v uint64) {
	n := len(b)
	for i := 0; i < n-1; i++ {
		b[i] = byte(v) | 0x80
		v >>= 7
	}
	b[n-1] = byte(v)
}

// TimestampWithoutTimezone adds a local date-time.
func (e *RecordEncoder) TimestampWithoutTimezone(days int64, nanosOfDay uint64) {
	n := 0
	if days != 0 {
		n += 1 + varintLen(zigzag(days))
	}
	if nanosOfDay != 0 {
		n += 1 + varintLen(nanosOfDay)
	}
	e.valueHead(1 + varintLen(uint64(n)) + n)
	e.buf = append(e.buf, tag(valTimestamp, wireBytes), byte(n))
	if days != 0 {
		e.buf = append(e.buf, tag(1, wireVarint))
		e.buf = binary.AppendUvarint(e.buf, zigzag(days))
	}
	if nanosOfDay != 0 {
		e.buf = append(e.buf, tag(2, wireVarint))
		e.buf = binary.AppendUvarint(e.buf, nanosOfDay)
	}
}

// TimestampWithTimezone adds an instant with the offset it was given in.
func (e *RecordEncoder) TimestampWithTimezone(epochSecond int64, nano uint32, offsetSeconds int32) {
	n := 0
	if epochSecond != 0 {
		n += 1 + varintLen(zigzag(epochSecond))
	}
	if nano != 0 {
		n += 1 + varintLen(uint64(nano))
	}
	if offsetSeconds != 0 {
		n += 1 + varintLen(zigzag(int64(offsetSeconds)))
	}
	e.valueHead(1 + varintLen(uint64(n)) + n)
	e.buf = append(e.buf, tag(valTimestampTZ, wireBytes), byte(n))
	if epochSecond != 0 {
		e.buf = append(e.buf, tag(1, wireVarint))
		e.buf = binary.AppendUvarint(e.buf, zigzag(epochSecond))
	}
	if nano != 0 {
		e.buf = append(e.buf, tag(2, wireVarint))
		e.buf = binary.AppendUvarint(e.buf, uint64(nano))
	}
	if offsetSeconds != 0 {
		e.buf = append(e.buf, tag(3, wireVarint))
		e.buf = binary.AppendUvarint(e.buf, zigzag(int64(offsetSeconds)))
	}
}

// TimeWithTimezone adds a time of day with its offset.
func (e *RecordEncoder) TimeWithTimezone(nanosOfDay uint64, offsetSeconds int32) {
	n := 0
	if nanosOfDay != 0 {
		n += 1 + varintLen(nanosOfDay)
	}
	if offsetSeconds != 0 {
		n += 1 + varintLen(zigzag(int64(offsetSeconds)))
	}
	e.valueHead(1 + varintLen(uint64(n)) + n)
	e.buf = append(e.buf, tag(valTimeTZ, wireBytes), byte(n))
	if nanosOfDay != 0 {
		e.buf = append(e.buf, tag(1, wireVarint))
		e.buf = binary.AppendUvarint(e.buf, nanosOfDay)
	}
	if offsetSeconds != 0 {
		e.buf = append(e.buf, tag(2, wireVarint))
		e.buf = binary.AppendUvarint(e.buf, zigzag(int64(offsetSeconds)))
	}
}

// Change records that the source changed a field (record meta).
func (e *RecordEncoder) Change(field string, change ChangeType, reason ChangeReason) {
	n := 1 + varintLen(uint64(len(field))) + len(field)
	if change != 0 {
		n += 1 + varintLen(uint64(change))
	}
	if reason != 0 {
		n += 1 + varintLen(uint64(reason))
	}
	m := append(e.meta, tag(1, wireBytes))
	m = binary.AppendUvarint(m, uint64(n))
	m = appendBytesField(m, 1, []byte(field))
	if change != 0 {
		m = append(m, tag(2, wireVarint))
		m = binary.AppendUvarint(m, uint64(change))
	}
	if reason != 0 {
		m = append(m, tag(3, wireVarint))
		m = binary.AppendUvarint(m, uint64(reason))
	}
	e.meta = m
}

// ChangeType is pb.ChangeType: what the source did to a field.
type ChangeType int32

// ChangeReason is pb.ChangeReason: why.
type ChangeReason int32

const (
	ChangeNulled    ChangeType = 0
	ChangeTruncated ChangeType = 1

	ReasonSourceRecordSizeLimitation ChangeReason = 0
	ReasonSourceFieldSizeLimitation  ChangeReason = 3
	ReasonSourceSerializationError   ChangeReason = 6
	ReasonSourceRetrievalError       ChangeReason = 9
	ReasonDestinationTypecastError   ChangeReason = 10
)

func appendBytesField(b []byte, field int, v []byte) []byte {
	b = append(b, tag(field, wireBytes))
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// AppendProtocolFrame appends the frame of a non-record message (STATE,
// TRACE) given as its JSON text.
func AppendProtocolFrame(dst, json []byte) []byte {
	n := uint64(1 + varintLen(uint64(len(json))) + len(json))
	dst = binary.AppendUvarint(dst, n)
	return appendBytesField(dst, msgProtocol, json)
}

// AppendProbeFrame appends the frame of a probe (heartbeat).
func AppendProbeFrame(dst []byte) []byte {
	return append(dst, 2, tag(msgProbe, wireBytes), 0)
}
