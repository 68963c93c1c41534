package protocol

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// DefaultReaderBuffer is the stdin buffer size. Lines up to this size are
// parsed in place; longer lines are assembled in a growing buffer, so there
// is no line-length limit.
const DefaultReaderBuffer = 1 << 20

// LineError is an error about one input line. It names the line number and,
// when known, the stream, but never quotes the line (it may hold personal
// data).
type LineError struct {
	Line   int64
	Stream string
	Err    error
}

func (e *LineError) Error() string {
	if e.Stream != "" {
		return fmt.Sprintf("input line %d (stream %s): %v", e.Line, e.Stream, e.Err)
	}
	return fmt.Sprintf("input line %d: %v", e.Line, e.Err)
}

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// Envelope is one message read from stdin. It and every slice in it are only
// valid until the next call to Reader.Next.
type Envelope struct {
	// Type is the message type as written; an unknown type is passed through
	// so callers can ignore it.
	Type Type
	// Line is the 1-based input line number.
	Line int64
	// Raw is the whole line, without the line terminator.
	Raw []byte
	// Payload is the raw JSON of the payload field that matches Type
	// ("record", "state", ...), or nil if absent.
	Payload []byte
	// Record is filled when Type is RECORD.
	Record RecordView
}

// RecordView is a RECORD decoded only as far as routing needs: stream,
// namespace and emitted_at are parsed, data and meta stay raw.
type RecordView struct {
	Stream    []byte
	Namespace []byte
	// Data is the raw JSON object of record.data.
	Data      []byte
	EmittedAt int64
	// Meta is the raw JSON of record.meta, or nil.
	Meta []byte
	// Fields holds the members of Data, in input order, located while
	// Data was validated, when the Reader indexes record data
	// (IndexRecordData); nil otherwise. A caller converting records can
	// read the values from it instead of scanning Data again.
	Fields []jsonx.Field
}

// Decode fully decodes the envelope with encoding/json. Use it for the rare
// message types (STATE, TRACE, ...), not for records on a hot path.
func (e *Envelope) Decode() (*Message, error) {
	var m Message
	if err := json.Unmarshal(e.Raw, &m); err != nil {
		return nil, &LineError{Line: e.Line, Err: fmt.Errorf("decode %s message: %w", e.Type, err)}
	}
	return &m, nil
}

// Reader reads AirbyteMessages, one per line, from a stream such as stdin.
// It tolerates unknown fields and blank lines, has no line-length limit, and
// keeps record data and whole messages as raw JSON.
type Reader struct {
	br      *bufio.Reader
	line    int64
	big     []byte
	env     Envelope
	stream  []byte
	ns      []byte
	payload [9][]byte

	index  bool          // fill RecordView.Fields
	fields []jsonx.Field // RecordView.Fields' storage
	shape  recordShape   // where the last slow-parsed record's parts are
	tmpl   recordTemplate
	noFast bool // tests: always take the slow path
}

// IndexRecordData sets whether Next fills RecordView.Fields with the
// members of every record's data object.
func (r *Reader) IndexRecordData(on bool) {
	r.index = on
	if on && r.fields == nil {
		r.fields = make([]jsonx.Field, 0, 32) // never nil, also for {}
	}
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, DefaultReaderBuffer)}
}

// Line returns the number of the last line read.
func (r *Reader) Line() int64 { return r.line }

// Next reads the next message. It returns io.EOF at the end of input and a
// *LineError for a malformed line; reading may continue after a LineError.
func (r *Reader) Next() (*Envelope, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return nil, err
		}
		// The line terminator (bytes.TrimRight with a cutset builds a set
		// on every call: this is a measurable share of a narrow record).
		for n := len(line); n > 0 && (line[n-1] == '\n' || line[n-1] == '\r'); n-- {
			line = line[:n-1]
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !r.noFast && r.tmpl.valid && r.parseLike(line) {
			return &r.env, nil
		}
		if err := r.parse(line); err != nil {
			r.tmpl.valid = false
			return nil, &LineError{Line: r.line, Stream: string(r.env.Record.Stream), Err: err}
		}
		if r.env.Type == TypeRecord {
			r.learn(line)
		}
		return &r.env, nil
	}
}

func (r *Reader) readLine() ([]byte, error) {
	if cap(r.big) > 16<<20 {
		r.big = nil // do not hold on to the memory of one huge record
	}
	r.big = r.big[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		switch {
		case err == nil:
			r.line++
			if len(r.big) == 0 {
				return chunk, nil
			}
			r.big = append(r.big, chunk...)
			return r.big, nil
		case errors.Is(err, bufio.ErrBufferFull):
			r.big = append(r.big, chunk...)
		case errors.Is(err, io.EOF):
			if len(chunk) == 0 && len(r.big) == 0 {
				return nil, io.EOF
			}
			r.line++
			r.big = append(r.big, chunk...)
			return r.big, nil
		default:
			return nil, fmt.Errorf("read input line %d: %w", r.line+1, err)
		}
	}
}

// payload slots, in the order of payloadNames.
var payloadNames = [9]string{"record", "state", "log", "spec", "connectionStatus", "catalog", "trace", "control", "destination_catalog"}
var payloadTypes = [9]Type{TypeRecord, TypeState, TypeLog, TypeSpec, TypeConnectionStatus, TypeCatalog, TypeTrace, TypeControl, TypeDestinationCatalog}

func (r *Reader) parse(line []byte) error {
	env := &r.env
	*env = Envelope{Line: r.line, Raw: line}
	for i := range r.payload {
		r.payload[i] = nil
	}
	recordParsed := false
	r.shape.records = 0
	var typ []byte
	// One pass over the top-level object; the record payload is parsed in
	// place rather than skipped and re-read.
	i := jsonx.SkipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return errors.New("malformed JSON: a message must be a JSON object")
	}
	i = jsonx.SkipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		i++
	} else {
		for {
			key, escaped, j, err := jsonx.ScanString(line, i)
			if err != nil {
				return fmt.Errorf("malformed JSON: %w", err)
			}
			if escaped {
				key, _ = jsonx.Unescape(nil, key)
			}
			j = jsonx.SkipSpace(line, j)
			if j >= len(line) || line[j] != ':' {
				return fmt.Errorf("malformed JSON: %w", &jsonx.SyntaxError{Offset: j, Msg: "expected ':' after object key"})
			}
			vs := jsonx.SkipSpace(line, j+1)
			var ve int
			switch {
			case string(key) == "type":
				content, esc, e, err := jsonx.ScanString(line, vs)
				if err != nil {
					return errors.New("message type is not a string")
				}
				if esc {
					content, _ = jsonx.Unescape(nil, content)
				}
				typ, ve = content, e
			case string(key) == "record" && vs < len(line) && line[vs] == '{':
				e, err := r.parseRecord(line, vs)
				if err != nil {
					return err
				}
				r.payload[0], ve, recordParsed = line[vs:e], e, true
				r.shape.records++
				r.shape.rs, r.shape.re = vs, e
			default:
				if string(key) == "record" {
					r.shape.records++
				}
				e, err := jsonx.SkipValue(line, vs)
				if err != nil {
					return fmt.Errorf("malformed JSON: %w", err)
				}
				ve = e
				for k, name := range payloadNames {
					if string(key) == name {
						r.payload[k] = line[vs:ve]
						break
					}
				}
			}
			i = jsonx.SkipSpace(line, ve)
			if i < len(line) && line[i] == ',' {
				i = jsonx.SkipSpace(line, i+1)
				continue
			}
			if i < len(line) && line[i] == '}' {
				i++
				break
			}
			return fmt.Errorf("malformed JSON: %w", &jsonx.SyntaxError{Offset: i, Msg: "expected ',' or '}'"})
		}
	}
	if end := jsonx.SkipSpace(line, i); end != len(line) {
		return errors.New("malformed JSON: trailing data after the message")
	}
	if typ == nil {
		return errors.New("message has no type")
	}
	env.Type = ""
	for k, t := range payloadTypes {
		if string(typ) == string(t) {
			env.Type, env.Payload = t, r.payload[k]
			break
		}
	}
	if env.Type == "" {
		env.Type = Type(typ) // an unknown (future) type
	}
	if env.Type != TypeRecord {
		if env.Payload == nil {
			for _, t := range payloadTypes {
				if t == env.Type {
					return fmt.Errorf("%s message has no payload", env.Type)
				}
			}
		}
		return nil
	}
	if !recordParsed {
		return errors.New("RECORD message has no record")
	}
	return r.checkRecord()
}

// parseRecord parses the record object that starts at line[i] and returns
// the index just past it.
func (r *Reader) parseRecord(line []byte, i int) (int, error) {
	rv := &r.env.Record
	*rv = RecordView{EmittedAt: -1 << 63}
	sh := &r.shape
	sh.data, sh.emitted, sh.meta = 0, 0, 0
	i = jsonx.SkipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return i + 1, nil
	}
	for {
		key, escaped, j, err := jsonx.ScanString(line, i)
		if err != nil {
			return 0, fmt.Errorf("malformed JSON: %w", err)
		}
		if escaped {
			key, _ = jsonx.Unescape(nil, key)
		}
		j = jsonx.SkipSpace(line, j)
		if j >= len(line) || line[j] != ':' {
			return 0, fmt.Errorf("malformed JSON: %w", &jsonx.SyntaxError{Offset: j, Msg: "expected ':' after object key"})
		}
		vs := jsonx.SkipSpace(line, j+1)
		var ve int
		if r.index && string(key) == "data" && vs < len(line) && line[vs] == '{' {
			r.fields, ve, err = jsonx.IndexObject(line, vs, r.fields[:0])
		} else {
			ve, err = jsonx.SkipValue(line, vs)
		}
		if err != nil {
			return 0, fmt.Errorf("malformed JSON: %w", err)
		}
		v := line[vs:ve]
		switch string(key) {
		case "stream":
			s, err := r.stringValue(v, &r.stream)
			if err != nil {
				return 0, fmt.Errorf("record.stream: %w", err)
			}
			rv.Stream = s
		case "namespace":
			if string(v) != "null" {
				s, err := r.stringValue(v, &r.ns)
				if err != nil {
					return 0, fmt.Errorf("record.namespace: %w", err)
				}
				rv.Namespace = s
			}
		case "data":
			rv.Data = v
			rv.Fields = nil
			if r.index && v[0] == '{' {
				rv.Fields = r.fields
			}
			sh.data++
			sh.ds, sh.de = vs, ve
		case "emitted_at":
			n, err := parseEmittedAt(v)
			if err != nil {
				return 0, fmt.Errorf("record.emitted_at: %w", err)
			}
			rv.EmittedAt = n
			sh.emitted++
			sh.es, sh.ee = vs, ve
		case "meta":
			if string(v) != "null" {
				rv.Meta = v
			}
			sh.meta++
			sh.ms, sh.me = vs, ve
		}
		i = jsonx.SkipSpace(line, ve)
		if i < len(line) && line[i] == ',' {
			i = jsonx.SkipSpace(line, i+1)
			continue
		}
		if i < len(line) && line[i] == '}' {
			return i + 1, nil
		}
		return 0, fmt.Errorf("malformed JSON: %w", &jsonx.SyntaxError{Offset: i, Msg: "expected ',' or '}'"})
	}
}

func (r *Reader) checkRecord() error {
	rv := &r.env.Record
	switch {
	case rv.Stream == nil:
		return errors.New("record has no stream")
	case rv.Data == nil || rv.Data[0] != '{':
		return errors.New("record.data is not a JSON object")
	case rv.EmittedAt == -1<<63:
		return errors.New("record has no emitted_at")
	}
	return nil
}

func (r *Reader) stringValue(v []byte, scratch *[]byte) ([]byte, error) {
	content, escaped, _, err := jsonx.ScanString(v, 0)
	if err != nil {
		return nil, errors.New("not a string")
	}
	if !escaped {
		return content, nil
	}
	*scratch, err = jsonx.Unescape((*scratch)[:0], content)
	return *scratch, err
}

func parseEmittedAt(v []byte) (int64, error) {
	if n, ok := parseDigits(v); ok {
		return n, nil
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return 0, errors.New("not a number")
	}
	return int64(f), nil
}

// parseDigits parses a non-negative decimal integer of at most 18 digits
// without allocating, eight digits at a time where it can.
func parseDigits(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for len(v) >= 8 {
		x := binary.LittleEndian.Uint64(v)
		const lo, hi = 0x0f0f0f0f0f0f0f0f, 0xf0f0f0f0f0f0f0f0
		// High nibble 3 and low nibble at most 9 in every byte.
		if x&hi != 0x3030303030303030 || ((x&lo)+0x0606060606060606)&hi != 0 {
			return 0, false
		}
		x &= lo
		x = (x * (10<<8 + 1)) >> 8
		x = ((x & 0x00ff00ff00ff00ff) * (100<<16 + 1)) >> 16
		x = ((x & 0x0000ffff0000ffff) * (10000<<32 + 1)) >> 32
		n = n*1e8 + int64(uint32(x))
		v = v[8:]
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
