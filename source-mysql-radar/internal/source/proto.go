package source

import (
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/rowcodec"
)

// names returns the names of the selected metadata columns, in the order
// of metaNames.
func (m metaFields) names() []string {
	var out []string
	for _, mn := range metaNames {
		if m&mn.f != 0 {
			out = append(out, mn.name)
		}
	}
	return out
}

// protoMeta holds the CDC metadata values of the record being encoded as
// protobuf, and fills them in at their sorted positions (ProtoRow's extra
// fields).
type protoMeta struct {
	sel []metaFields // the metadata column of each extra field

	updated  time.Time
	deleted  bool
	file     string
	fileText []byte
	pos      uint32
	cursor   int64
}

func newProtoMeta(sel metaFields) *protoMeta {
	m := &protoMeta{}
	for _, mn := range metaNames {
		if sel&mn.f != 0 {
			m.sel = append(m.sel, mn.f)
		}
	}
	return m
}

func (m *protoMeta) setFile(f string) {
	if f != m.file || m.fileText == nil {
		m.file = f
		m.fileText = append(m.fileText[:0], f...)
	}
}

// fill adds the value of extra field i. Times are UTC instants with
// microsecond precision, as the JSON records write them.
func (m *protoMeta) fill(e *datachannel.RecordEncoder, i int) {
	switch m.sel[i] {
	case metaUpdatedAt:
		e.TimestampWithTimezone(m.updated.Unix(), uint32(m.updated.Nanosecond()/1000*1000), 0)
	case metaDeletedAt:
		if m.deleted {
			e.TimestampWithTimezone(m.updated.Unix(), uint32(m.updated.Nanosecond()/1000*1000), 0)
		} else {
			e.Null()
		}
	case metaLogFile:
		e.String(m.fileText)
	case metaLogPos:
		e.Integer(int64(m.pos))
	case metaCursor:
		e.Integer(m.cursor)
	default:
		e.Null()
	}
}

// protoChange maps a record change onto the data channel's enums.
func protoChange(c protocol.MetaChange) (datachannel.ChangeType, datachannel.ChangeReason) {
	t := datachannel.ChangeNulled
	if c.Change == protocol.ChangeTruncated {
		t = datachannel.ChangeTruncated
	}
	r := datachannel.ReasonSourceSerializationError
	switch c.Reason {
	case protocol.ReasonSourceRecordSizeLimitation:
		r = datachannel.ReasonSourceRecordSizeLimitation
	case protocol.ReasonSourceFieldSizeLimitation:
		r = datachannel.ReasonSourceFieldSizeLimitation
	case protocol.ReasonSourceRetrievalError:
		r = datachannel.ReasonSourceRetrievalError
	}
	return t, r
}

// writeProto encodes one row as a protobuf record frame and writes it to
// the socket. meta is nil when the stream has no metadata columns.
func (o *output) writeProto(row *rowcodec.ProtoRow, prefix *datachannel.StreamPrefix, emittedAt int64, partition []byte, values [][]byte, meta *protoMeta) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.enc.Begin(prefix, emittedAt, partition)
	if meta != nil {
		row.Encode(&o.enc, values, meta.fill)
	} else {
		row.Encode(&o.enc, values, nil)
	}
	for _, c := range row.Changes() {
		t, r := protoChange(c)
		o.enc.Change(c.Field, t, r)
	}
	if err := o.frame(o.enc.Finish()); err != nil {
		return &outputError{err}
	}
	return nil
}

// protoRecord writes a snapshot row as a protobuf record.
func (s *streamRun) protoRecord(values [][]byte) error {
	var meta *protoMeta
	if c := s.r.cdc; c != nil && s.p.meta != 0 {
		c.cursor++
		pos := c.shared.Position
		if s.since != nil {
			pos = *s.since
		}
		if s.pmeta == nil {
			s.pmeta = newProtoMeta(s.p.meta)
		}
		meta = s.pmeta
		meta.updated, meta.deleted, meta.pos, meta.cursor = c.now, false, pos.Pos, c.cursor
		meta.setFile(pos.File)
	}
	return s.r.out.writeProto(s.proto, s.protoPrefix, s.now.UnixMilli(), s.partBytes, values, meta)
}

// writeProto writes a binary log row as a protobuf record. The row's
// columns are those of its table map (the table's schema at the event), so
// each row encoder gets its own ProtoRow.
func (k *binlogSink) writeProto(row sinkRow, values [][]byte, now time.Time) error {
	s := row.run
	pr := k.protoRows[row.enc]
	if pr == nil {
		if k.protoRows == nil {
			k.protoRows = map[*rowcodec.RowEncoder]*rowcodec.ProtoRow{}
		}
		pr = rowcodec.NewProtoRow(row.enc.Columns(), s.p.meta.names())
		k.protoRows[row.enc] = pr
	}
	var meta *protoMeta
	if s.p.meta != 0 {
		if s.pmeta == nil {
			s.pmeta = newProtoMeta(s.p.meta)
		}
		meta = s.pmeta
		meta.updated, meta.deleted, meta.pos, meta.cursor = time.Unix(int64(row.time), 0), row.del, row.pos.Pos, k.r.cdc.cursor
		meta.setFile(row.pos.File)
	}
	return k.r.out.writeProto(pr, s.protoPrefix, now.UnixMilli(), s.partBytes, values, meta)
}
