// Package appender converts RECORD data (raw JSON) straight into Arrow
// builders: one appender per column, chosen once from the stream's resolved
// schema, and an allocation-free field iterator per record (no maps, no
// reflection, no float64 for integers or decimals).
//
// A value that cannot be converted never fails the record: it becomes null
// and is reported, as an _airbyte_meta.changes entry in the current layout
// (merged after the source's own record.meta.changes), or through
// Options.OnBadValue in the 0.3.x layout, which has no such column. Values
// are never part of what is reported.
package appender

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// Options configure a Record.
type Options struct {
	// GenerationID and SyncID fill _airbyte_generation_id and
	// _airbyte_meta.sync_id (current layout).
	GenerationID int64
	SyncID       int64
	// OnBadValue is called for each value nulled in the 0.3.x layout, with
	// the field path and the reason (never the value).
	OnBadValue func(path string, reason protocol.ChangeReason)
	// OnInvalidUTF8 is called, with the field path, for each text value
	// that held invalid UTF-8: Parquet strings must be UTF-8, so each
	// invalid byte is written as U+FFFD (the rest of the value is kept).
	OnInvalidUTF8 func(path string)
}

// row is the per-record scratch state shared by all appenders.
type row struct {
	reason protocol.ChangeReason
	// inexact is set by an appender whose typed value does not give back
	// the source value exactly (a 0.3.x DOUBLE of a DECIMAL, a list with
	// a nulled element): the field's exact text is then kept in
	// _airbyte_additional_properties too.
	inexact bool
	num     number
	num2    number
	fmtBuf  []byte
	digits  []byte
	str     []byte
	str2    []byte
	bin     []byte
	// plain is set while the value being appended is a string known to
	// hold no escape sequences.
	plain bool
	// ascii is set while the value being appended is a string whose raw
	// content is plain ASCII (so valid UTF-8 once unescaped).
	ascii bool
	bad   func(path string)
	// invalid reports a text value whose invalid UTF-8 was replaced.
	invalid func(path string)
}

// Record appends records of one stream to an Arrow record builder.
type Record struct {
	stream *arrowschema.Stream
	opts   Options
	mem    memory.Allocator
	// The last batch's rows and the text bytes of each top-level string
	// column, to size the builders for the next one (Reserve).
	lastRows int
	lastText []int
	rb       *array.RecordBuilder
	fs       fieldSet
	row      row
	rng      *rand.ChaCha8 // seeds each batch's raw ids; seeded from crypto/rand
	rows     int
	bytes    int64

	id      *array.StringBuilder
	ts      *array.TimestampBuilder
	gen     *array.Int64Builder
	meta    *array.StructBuilder
	syncID  *array.Int64Builder
	changes *array.ListBuilder
	change  *array.StructBuilder
	chField *array.StringBuilder
	chKind  *array.StringBuilder
	chWhy   *array.StringBuilder

	metaIter jsonx.ObjectIter
	chIter   jsonx.ObjectIter
	chText   [3][]byte

	// proto is AppendProto's scratch.
	proto protoState

	// pendingMeta rows (the last ones) have no _airbyte_meta entry and no
	// changes list yet: rows without changes get theirs in bulk
	// (flushMeta), when a row with changes comes or the batch ends.
	pendingMeta int
	trues       [metaChunk]bool
	offsets     [metaChunk]int32
}

// metaChunk is how many pending meta entries flushMeta appends at once.
const metaChunk = 512

// New returns a Record for a resolved stream schema. Call Release when done.
func New(mem memory.Allocator, s *arrowschema.Stream, opts Options) *Record {
	r := &Record{stream: s, opts: opts, mem: mem, rb: array.NewRecordBuilder(mem, s.Schema)}
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	r.rng = rand.NewChaCha8(seed)
	r.id = r.rb.Field(0).(*array.StringBuilder)
	r.ts = r.rb.Field(1).(*array.TimestampBuilder)
	if s.Layout == arrowschema.Current {
		r.gen = r.rb.Field(2).(*array.Int64Builder)
		r.meta = r.rb.Field(3).(*array.StructBuilder)
		r.syncID = r.meta.FieldBuilder(0).(*array.Int64Builder)
		r.changes = r.meta.FieldBuilder(1).(*array.ListBuilder)
		r.change = r.changes.ValueBuilder().(*array.StructBuilder)
		r.chField = r.change.FieldBuilder(0).(*array.StringBuilder)
		r.chKind = r.change.FieldBuilder(1).(*array.StringBuilder)
		r.chWhy = r.change.FieldBuilder(2).(*array.StringBuilder)
		r.row.bad = r.recordChange
	} else {
		r.row.bad = r.reportBad
	}
	r.row.invalid = func(path string) {
		if opts.OnInvalidUTF8 != nil {
			opts.OnInvalidUTF8(path)
		}
	}
	builders := make([]array.Builder, 0, len(s.Root.Fields)+1)
	for i := s.NumMetaColumns(); i < len(s.Schema.Fields()); i++ {
		builders = append(builders, r.rb.Field(i))
	}
	r.fs = newFieldSet(s.Root, builders, "", s.Layout)
	return r
}

func (r *Record) recordChange(path string) {
	if r.pendingMeta > 0 {
		// The current row's entry is pending too: open its list.
		r.flushMeta(r.pendingMeta - 1)
		r.pendingMeta = 0
		r.meta.Append(true)
		r.changes.Append(true)
	}
	r.chField.Append(path)
	r.chKind.Append(string(protocol.ChangeNulled))
	r.chWhy.Append(string(r.row.reason))
	r.change.Append(true)
}

func (r *Record) reportBad(path string) {
	if r.opts.OnBadValue != nil {
		r.opts.OnBadValue(path, r.row.reason)
	}
}

// Append appends one record: data is the raw JSON object of record.data,
// emittedAt the record's emitted_at (ms), meta the raw record.meta or nil.
func (r *Record) Append(data []byte, emittedAt int64, meta []byte) {
	r.appendMeta(emittedAt, meta)
	r.fs.appendObject(data, &r.row)
	r.rows++
	r.bytes += int64(len(data)) + 64
}

// AppendRecord appends a record read by the protocol reader. When the
// reader located data's fields (RecordView.Fields) they are converted
// without scanning data again.
func (r *Record) AppendRecord(rv *protocol.RecordView) {
	if rv.Fields == nil {
		r.Append(rv.Data, rv.EmittedAt, rv.Meta)
		return
	}
	r.appendMeta(rv.EmittedAt, rv.Meta)
	r.fs.appendFields(rv.Fields, &r.row)
	r.rows++
	r.bytes += int64(len(rv.Data)) + 64
}

// appendMeta appends the columns that do not come from data, except those
// that are the same for every record or do not depend on it (the raw id,
// the generation and sync ids), which NewRecordBatch fills in one go.
func (r *Record) appendMeta(emittedAt int64, meta []byte) {
	if r.ts.Len() < r.ts.Cap() {
		r.ts.UnsafeAppend(arrow.Timestamp(emittedAt))
	} else {
		r.ts.Append(arrow.Timestamp(emittedAt))
	}
	if r.stream.Layout == arrowschema.Current {
		if len(meta) == 0 {
			r.pendingMeta++
			return
		}
		r.flushMeta(r.pendingMeta)
		r.pendingMeta = 0
		r.meta.Append(true)
		r.changes.Append(true)
		r.appendSourceChanges(meta)
	}
}

// flushMeta appends n valid _airbyte_meta entries with empty changes lists,
// as n calls of meta.Append(true) and changes.Append(true) would.
func (r *Record) flushMeta(n int) {
	if n == 0 {
		return
	}
	off := int32(r.changes.ValueBuilder().Len())
	for i := range r.offsets {
		r.offsets[i] = off
	}
	if !r.trues[0] {
		for i := range r.trues {
			r.trues[i] = true
		}
	}
	for n > 0 {
		k := min(n, metaChunk)
		r.meta.AppendValues(r.trues[:k])
		r.changes.AppendValues(r.offsets[:k], r.trues[:k])
		n -= k
	}
}

// pendingRowBytes is the Arrow memory per row of the columns NewRecordBatch
// fills: the raw id (36 bytes and an offset), generation and sync ids.
const pendingRowBytes = 36 + 4 + 8 + 8

// uuidLen is the length of a UUID's text.
const uuidLen = 36

// putUUID writes the text of the UUID made of hi and lo (its first and
// last 8 bytes, big-endian) into s[:36], lowercase, as they are: the
// caller sets the version and variant bits.
func putUUID(s []byte, hi, lo uint64) {
	_ = s[uuidLen-1]
	a, b := hex8(uint32(hi>>32)), hex8(uint32(hi))
	c, d := hex8(uint32(lo>>32)), hex8(uint32(lo))
	binary.BigEndian.PutUint64(s[0:], a)
	s[8] = '-'
	binary.BigEndian.PutUint32(s[9:], uint32(b>>32))
	s[13] = '-'
	binary.BigEndian.PutUint32(s[14:], uint32(b))
	s[18] = '-'
	binary.BigEndian.PutUint32(s[19:], uint32(c>>32))
	s[23] = '-'
	binary.BigEndian.PutUint32(s[24:], uint32(c))
	binary.BigEndian.PutUint64(s[28:], d)
}

// hex8 returns the 8 lowercase hex digits of v, the first in the highest
// byte.
func hex8(v uint32) uint64 {
	x := uint64(v)
	// One nibble per byte, most significant first.
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
	// '0'+n below 10, 'a'+n-10 from 10: add 39 more where n+6 carries.
	above9 := (x + 0x0606060606060606) >> 4 & 0x0101010101010101
	return x + 0x3030303030303030 + above9*('a'-'0'-10)
}

// uuidV7 generates the raw ids of one batch: time-ordered UUIDs, version 7
// (RFC 9562 §5.7), by §6.2 "Method 2: Monotonic Random". The 48-bit Unix
// millisecond timestamp and a 74-bit random seed (rand_a, 12 bits, and
// rand_b, 62 bits) are drawn once per batch; each following UUID is the
// one before plus one in those 74 bits, a carry out of them going into the
// timestamp (§6.2: the generator may advance the timestamp on counter
// overflow), so the ids of a batch increase strictly, as text too.
//
// Neighbouring ids then differ in their last characters only, which
// SNAPPY compresses (a version 4 id is 122 random bits that no codec can).
// Ids stay unique: two batches can only collide if they have the same
// millisecond and seeds less than a batch apart, a chance of about
// rows/2^73 per pair of such batches (1M-row batches: 1 in 10^16).
type uuidV7 struct {
	hi uint64 // unix_ts_ms(48) | ver(4) | rand_a(12)
	lo uint64 // var(2) | rand_b(62)
}

const (
	randBMask = 1<<62 - 1
	randAMask = 1<<12 - 1
)

// seed starts a batch at the millisecond ms with the random bits of a
// (rand_a: the low 12) and b (rand_b: the low 62).
func (u *uuidV7) seed(ms int64, a, b uint64) {
	u.hi = uint64(ms)<<16 | 0x7<<12 | a&randAMask
	u.lo = 0x2<<62 | b&randBMask
}

// put writes the current UUID's text into s[:36] and moves to the next.
func (u *uuidV7) put(s []byte) {
	putUUID(s, u.hi, u.lo)
	if u.lo&randBMask != randBMask {
		u.lo++
		return
	}
	u.lo = 0x2 << 62
	if u.hi&randAMask != randAMask {
		u.hi++
		return
	}
	// rand_a is all ones too: on to the next millisecond, version kept.
	u.hi = (u.hi>>16+1)<<16 | 0x7<<12
}

// newIDs returns n UUIDs, version 7, as a string array built in one go.
func (r *Record) newIDs(n int) arrow.Array {
	var gen uuidV7
	gen.seed(time.Now().UnixMilli(), r.rng.Uint64(), r.rng.Uint64())
	if n > math.MaxInt32/uuidLen {
		// Beyond 32-bit string offsets: let the builder report it.
		var u [uuidLen]byte
		for range n {
			gen.put(u[:])
			r.id.BinaryBuilder.Append(u[:])
		}
		return r.id.NewArray()
	}
	offsets := memory.NewResizableBuffer(r.mem)
	offsets.Resize(arrow.Int32Traits.BytesRequired(n + 1))
	data := memory.NewResizableBuffer(r.mem)
	data.Resize(n * uuidLen)
	off := arrow.Int32Traits.CastFromBytes(offsets.Bytes())
	for i := range off {
		off[i] = int32(i * uuidLen)
	}
	text := data.Bytes()
	for i := 0; i < n; i++ {
		gen.put(text[i*uuidLen:])
	}
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{nil, offsets, data}, nil, 0, 0)
	offsets.Release()
	data.Release()
	defer d.Release()
	return array.NewStringData(d)
}

// appendSourceChanges copies record.meta.changes into _airbyte_meta.changes.
func (r *Record) appendSourceChanges(meta []byte) {
	it := &r.metaIter
	it.Reset(meta)
	for it.Next() {
		if string(it.Key()) != "changes" {
			continue
		}
		v := it.Value()
		if len(v) == 0 || v[0] != '[' {
			return
		}
		i := jsonx.SkipSpace(v, 1)
		for i < len(v) && v[i] != ']' {
			end, err := jsonx.SkipValue(v, i)
			if err != nil {
				return
			}
			r.appendSourceChange(v[i:end])
			i = jsonx.SkipSpace(v, end)
			if i < len(v) && v[i] == ',' {
				i = jsonx.SkipSpace(v, i+1)
			}
		}
	}
}

func (r *Record) appendSourceChange(obj []byte) {
	if len(obj) == 0 || obj[0] != '{' {
		return
	}
	// field, change and reason, copied into reused buffers (the text may
	// be in row.str, which the next value overwrites); nil when absent.
	var got [3][]byte
	it := &r.chIter
	it.Reset(obj)
	for it.Next() {
		s, ok := stringContent(it.Value(), &r.row)
		if !ok {
			continue
		}
		k := -1
		switch string(it.Key()) {
		case "field":
			k = 0
		case "change":
			k = 1
		case "reason":
			k = 2
		}
		if k < 0 {
			continue
		}
		r.chText[k] = append(r.chText[k][:0], validText(s, &r.row, "")...)
		got[k] = r.chText[k]
	}
	r.chField.BinaryBuilder.Append(got[0])
	r.chKind.BinaryBuilder.Append(got[1])
	r.chWhy.BinaryBuilder.Append(got[2])
	r.change.Append(true)
}

// Rows returns the number of records appended since the last NewRecordBatch.
func (r *Record) Rows() int { return r.rows }

// PendingBytes is the Arrow memory NewRecordBatch will add for the rows
// appended since the last one (columns filled in one go).
func (r *Record) PendingBytes() int64 { return int64(r.rows) * pendingRowBytes }

// Bytes estimates the memory held by the rows appended since the last
// NewRecordBatch (the size of their JSON data).
func (r *Record) Bytes() int64 { return r.bytes }

// NewRecordBatch returns the appended rows as a record batch and resets the
// builders. The caller releases the batch.
func (r *Record) NewRecordBatch() arrow.RecordBatch {
	n := r.rows
	r.rows, r.bytes = 0, 0
	if r.stream.Layout == arrowschema.Current {
		r.flushMeta(r.pendingMeta)
		r.pendingMeta = 0
		r.gen.Reserve(n)
		r.syncID.Reserve(n)
		for range n {
			r.gen.UnsafeAppend(r.opts.GenerationID)
			r.syncID.UnsafeAppend(r.opts.SyncID)
		}
	}
	fields := r.stream.Schema.NumFields()
	cols := make([]arrow.Array, fields)
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	cols[0] = r.newIDs(n)
	for i := 1; i < fields; i++ {
		cols[i] = r.rb.Field(i).NewArray()
	}
	if n > 0 {
		r.lastRows = n
		r.lastText = r.lastText[:0]
		for _, c := range cols {
			t := 0
			if s, ok := c.(*array.String); ok {
				t = len(s.ValueBytes())
			}
			r.lastText = append(r.lastText, t)
		}
	}
	return array.NewRecordBatch(r.stream.Schema, cols, int64(n))
}

// Reserve sizes the builders for n more rows: the columns of one value per
// row exactly (arrow's own Reserve rounds up to a power of two), the text
// of string columns as the last batch's scaled to n rows, at most maxText
// bytes in all (a batch with a huge value says little about the next).
// Rows appended within the reservation do not grow (copy) buffers. The raw
// id column is sized by NewRecordBatch.
func (r *Record) Reserve(n int, maxText int64) {
	var text int64
	for _, t := range r.lastText {
		text += int64(t)
	}
	text = text * int64(n) / int64(max(r.lastRows, 1))
	for i := 1; i < r.stream.Schema.NumFields(); i++ {
		b := r.rb.Field(i)
		if b.Cap() < b.Len()+n {
			b.Resize(b.Len() + n)
		}
		if i < len(r.lastText) && r.lastText[i] > 0 {
			if sb, ok := b.(*array.StringBuilder); ok {
				want := int64(r.lastText[i]) * int64(n) / int64(r.lastRows)
				if text > maxText {
					want = want * maxText / text
				}
				sb.ReserveData(int(want))
			}
		}
	}
}

// Schema returns the Arrow schema of the batches.
func (r *Record) Schema() *arrow.Schema { return r.stream.Schema }

// Release releases the builders.
func (r *Record) Release() { r.rb.Release() }

// newFieldSet builds the appenders of an object's fields. builders holds
// one builder per field, then the additional-properties map if the node
// has one.
func newFieldSet(n *arrowschema.Node, builders []array.Builder, prefix string, layout arrowschema.Layout) fieldSet {
	fs := fieldSet{index: make(map[string]int, len(n.Fields)), seen: make([]uint32, len(n.Fields))}
	for i, f := range n.Fields {
		path := f.Name
		if prefix != "" {
			path = prefix + "." + f.Name
		}
		fs.cols = append(fs.cols, column{name: []byte(f.Name), column: []byte(f.Column), path: path, app: build(f.Node, builders[i], path, layout)})
		fs.index[f.Name] = i
	}
	fs.extraPath = "_airbyte_additional_properties"
	if prefix != "" {
		fs.extraPath = prefix + "." + fs.extraPath
	}
	if n.AdditionalProperties {
		fs.extra = builders[len(n.Fields)].(*array.MapBuilder)
	}
	return fs
}

// build returns the appender of a node over its builder.
func build(n *arrowschema.Node, b array.Builder, path string, layout arrowschema.Layout) appender {
	switch n.Kind {
	case arrowschema.String:
		return &stringAppender{b: b.(*array.StringBuilder), path: path}
	case arrowschema.JSON:
		return &jsonAppender{b: b.(*array.StringBuilder), path: path}
	case arrowschema.Bool:
		return &boolAppender{b: b.(*array.BooleanBuilder)}
	case arrowschema.Int64:
		return &int64Appender{b: b.(*array.Int64Builder)}
	case arrowschema.Float64:
		if layout == arrowschema.Legacy {
			return &exactFloatAppender{b64: b.(*array.Float64Builder)}
		}
		return &float64Appender{b: b.(*array.Float64Builder)}
	case arrowschema.Float32:
		if layout == arrowschema.Legacy {
			return &exactFloatAppender{b32: b.(*array.Float32Builder)}
		}
		return &float32Appender{b: b.(*array.Float32Builder)}
	case arrowschema.Decimal:
		a := &decimalAppender{precision: n.Precision, scale: n.Scale}
		if n.Precision <= 38 {
			a.b128 = b.(*array.Decimal128Builder)
		} else {
			a.b256 = b.(*array.Decimal256Builder)
		}
		return a
	case arrowschema.Date:
		return &dateAppender{b: b.(*array.Date32Builder)}
	case arrowschema.Time:
		return &timeAppender{b: b.(*array.StringBuilder)}
	case arrowschema.Timestamp:
		return &timestampAppender{b: b.(*array.TimestampBuilder)}
	case arrowschema.Binary:
		return &binaryAppender{b: b.(*array.BinaryBuilder)}
	case arrowschema.Object:
		sb := b.(*array.StructBuilder)
		children := make([]array.Builder, sb.NumField())
		for i := range children {
			children[i] = sb.FieldBuilder(i)
		}
		return &objectAppender{b: sb, fs: newFieldSet(n, children, path, layout)}
	case arrowschema.Array:
		lb := b.(*array.ListBuilder)
		return &listAppender{b: lb, elem: build(n.Items, lb.ValueBuilder(), path+"[]", layout), path: path + "[]", stringify: n.Stringify,
			keepExact: layout == arrowschema.Legacy}
	case arrowschema.Union:
		sb := b.(*array.StructBuilder)
		if layout == arrowschema.Legacy {
			a := &legacyUnionAppender{b: sb}
			for i, o := range n.Options {
				a.members = append(a.members, build(o, sb.FieldBuilder(i), path, layout))
				a.kinds = append(a.kinds, o.Kind)
			}
			return a
		}
		a := &unionAppender{b: sb, typ: sb.FieldBuilder(0).(*array.StringBuilder)}
		for i, o := range n.Options {
			a.opts = append(a.opts, build(o, sb.FieldBuilder(i+1), path, layout))
			a.kinds = append(a.kinds, o.Kind)
			a.names = append(a.names, []byte(n.OptionNames[i]))
		}
		a.order = tryOrder(n.Options)
		return a
	}
	panic(fmt.Sprintf("appender: unknown kind %v", n.Kind))
}

func tryOrder(opts []*arrowschema.Node) []int {
	rank := func(n *arrowschema.Node) int {
		switch n.Kind {
		case arrowschema.Int64:
			return 0
		case arrowschema.Decimal:
			return 1
		case arrowschema.Timestamp, arrowschema.Date, arrowschema.Time, arrowschema.Binary:
			return 2
		case arrowschema.String:
			return 4
		}
		return 3
	}
	var order []int
	for r := 0; r <= 4; r++ {
		for i, o := range opts {
			if rank(o) == r {
				order = append(order, i)
			}
		}
	}
	return order
}
