package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// DefaultWriterBuffer is the stdout buffer size: large enough that a pipe
// sees few writes per thousand records.
const DefaultWriterBuffer = 256 << 10

// Writer owns stdout. It writes one message per line, buffers output, and is
// safe for concurrent use. LOG, TRACE and CONNECTION_STATUS messages are
// passed through the Redactor; RECORD, STATE, SPEC and CATALOG are not (they
// carry data and schemas, never config values).
//
// After a write error the Writer keeps returning that error, so a broken
// pipe stops the connector promptly.
type Writer struct {
	mu      sync.Mutex
	bw      *bufio.Writer
	redact  *Redactor
	scratch []byte
	err     error
	now     func() time.Time
}

// NewWriter returns a Writer over w with a DefaultWriterBuffer buffer.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, DefaultWriterBuffer), now: time.Now}
}

// SetRedactor sets the secrets removed from LOG, TRACE and CONNECTION_STATUS
// messages.
func (w *Writer) SetRedactor(r *Redactor) {
	w.mu.Lock()
	w.redact = r
	w.mu.Unlock()
}

// Redactor returns the writer's redactor (possibly nil).
func (w *Writer) Redactor() *Redactor {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.redact
}

// SetClock replaces time.Now, for tests.
func (w *Writer) SetClock(now func() time.Time) { w.now = now }

// Now returns the writer's clock reading.
func (w *Writer) Now() time.Time { return w.now() }

// Write marshals m and writes it as one line.
func (w *Writer) Write(m *Message) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return fmt.Errorf("encode %s message: %w", m.Type, err)
	}
	line := buf.Bytes() // Encode appends '\n'
	w.mu.Lock()
	defer w.mu.Unlock()
	switch m.Type {
	case TypeLog, TypeTrace, TypeConnectionStatus:
		line = w.redact.Bytes(line)
	}
	return w.writeLocked(line)
}

// WriteLine writes a pre-encoded message; a newline is added if missing.
// It is how a destination echoes a STATE byte for byte.
func (w *Writer) WriteLine(line []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writeLocked(line); err != nil {
		return err
	}
	if len(line) == 0 || line[len(line)-1] != '\n' {
		return w.writeLocked([]byte{'\n'})
	}
	return nil
}

func (w *Writer) writeLocked(b []byte) error {
	if w.err != nil {
		return w.err
	}
	if _, err := w.bw.Write(b); err != nil {
		w.err = fmt.Errorf("write to stdout: %w", err)
	}
	return w.err
}

// Flush writes buffered output.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = fmt.Errorf("write to stdout: %w", err)
	}
	return w.err
}

// RecordPrefix is the constant start of every RECORD line of one stream,
// encoded once so that writing a record needs no reflection.
type RecordPrefix struct {
	b []byte
}

// NewRecordPrefix encodes the envelope start for a stream.
func NewRecordPrefix(namespace, stream string) *RecordPrefix {
	b := []byte(`{"type":"RECORD","record":{`)
	if namespace != "" {
		b = append(b, `"namespace":`...)
		b = jsonx.AppendString(b, namespace)
		b = append(b, ',')
	}
	b = append(b, `"stream":`...)
	b = jsonx.AppendString(b, stream)
	b = append(b, `,"emitted_at":`...)
	return &RecordPrefix{b: b}
}

// NewPartitionRecordPrefix encodes the envelope start of a stream's records
// in one partition of a socket-mode read: the record carries its
// "partition_id" as the Bulk CDK's RecordTemplate writes it (an additional
// property of the record), which ties it to the partition's STATE.
func NewPartitionRecordPrefix(namespace, stream, partitionID string) *RecordPrefix {
	p := NewRecordPrefix(namespace, stream)
	b := p.b[:len(p.b)-len(`"emitted_at":`)]
	b = append(b, `"partition_id":`...)
	b = jsonx.AppendString(b, partitionID)
	b = append(b, `,"emitted_at":`...)
	return &RecordPrefix{b: b}
}

// WriteRecord writes one RECORD line around data, which must be a complete
// JSON object encoded by the caller. changes, if any, become record.meta.
func (w *Writer) WriteRecord(p *RecordPrefix, emittedAt int64, data []byte, changes []MetaChange) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	bw := w.bw
	bw.Write(p.b)
	w.scratch = strconv.AppendInt(w.scratch[:0], emittedAt, 10)
	bw.Write(w.scratch)
	bw.WriteString(`,"data":`)
	bw.Write(data)
	if len(changes) > 0 {
		w.scratch = appendMeta(w.scratch[:0], changes)
		bw.Write(w.scratch)
	}
	if _, err := bw.WriteString("}}\n"); err != nil {
		w.err = fmt.Errorf("write to stdout: %w", err)
	}
	return w.err
}

func appendMeta(s []byte, changes []MetaChange) []byte {
	s = append(s, `,"meta":{"changes":[`...)
	for i, c := range changes {
		if i > 0 {
			s = append(s, ',')
		}
		s = append(s, `{"field":`...)
		s = jsonx.AppendString(s, c.Field)
		s = append(s, `,"change":`...)
		s = jsonx.AppendString(s, string(c.Change))
		s = append(s, `,"reason":`...)
		s = jsonx.AppendString(s, string(c.Reason))
		s = append(s, '}')
	}
	return append(s, ']', '}')
}

// Log writes a LOG message.
func (w *Writer) Log(level LogLevel, msg string) error {
	return w.Write(&Message{Type: TypeLog, Log: &LogMessage{Level: level, Message: msg}})
}

// Logf writes a formatted LOG message.
func (w *Writer) Logf(level LogLevel, format string, args ...any) error {
	return w.Log(level, fmt.Sprintf(format, args...))
}

// State writes a STATE message.
func (w *Writer) State(s *StateMessage) error {
	return w.Write(&Message{Type: TypeState, State: s})
}

// StreamStatus writes a TRACE STREAM_STATUS message.
func (w *Writer) StreamStatus(d StreamDescriptor, status StreamStatus) error {
	return w.Write(&Message{Type: TypeTrace, Trace: &TraceMessage{
		Type: TraceStreamStatus, EmittedAt: MillisOf(w.now()),
		StreamStatus: &StreamStatusTrace{StreamDescriptor: d, Status: status},
	}})
}

// Estimate writes a TRACE ESTIMATE message for one stream.
func (w *Writer) Estimate(d StreamDescriptor, rows, bytes int64) error {
	return w.Write(&Message{Type: TypeTrace, Trace: &TraceMessage{
		Type: TraceEstimate, EmittedAt: MillisOf(w.now()),
		Estimate: &EstimateTrace{Name: d.Name, Namespace: d.Namespace, Type: EstimateStream, RowEstimate: &rows, ByteEstimate: &bytes},
	}})
}

// Error writes a TRACE ERROR message for err.
func (w *Writer) Error(err error) error {
	return w.Write(&Message{Type: TypeTrace, Trace: &TraceMessage{
		Type: TraceError, EmittedAt: MillisOf(w.now()), Error: ErrorTraceOf(err),
	}})
}

// ConnectionStatus writes a CONNECTION_STATUS message.
func (w *Writer) ConnectionStatus(status ConnectionStatusValue, msg string) error {
	return w.Write(&Message{Type: TypeConnectionStatus, ConnectionStatus: &ConnectionStatus{Status: status, Message: msg}})
}
