package protocol

import (
	"bytes"

	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// A source writes its records with the same envelope on every line: only
// emitted_at and data change from one RECORD line to the next. The Reader
// learns that envelope from a line it parsed in full and parses the next
// lines by comparing their constant parts byte for byte, scanning only the
// two values. A line that does not match is parsed in full, so the result,
// and every error, are those of the full parse: JSON is read left to right
// with one token of lookahead, so a line made of the same bytes around two
// valid values of the same kinds parses to the same message.

// recordShape locates the parts of the last record the full parse read.
type recordShape struct {
	records                int // "record" members of the envelope
	rs, re                 int // the record object
	data, emitted, meta    int // members of the record with these names
	ds, de, es, ee, ms, me int // their values
}

// recordTemplate is the envelope learned from a RECORD line: the line is
// seg0, the first value, seg1, the second value, seg2.
type recordTemplate struct {
	valid      bool
	dataFirst  bool // data comes before emitted_at
	seg0, seg1 []byte
	seg2       []byte
	stream, ns []byte // decoded; ns is nil when the record has none
	nsBuf      []byte
	recStart   int // the record object's start (in seg0)
	recEndBack int // len(line) minus the record object's end (in seg2)
	metaSeg    int // segment holding record.meta, -1 when it has none
	metaStart  int // meta's value, relative to its segment
	metaEnd    int
}

// learn records the envelope of line, a RECORD the full parse accepted.
func (r *Reader) learn(line []byte) {
	t, sh, rv := &r.tmpl, &r.shape, &r.env.Record
	t.valid = false
	if sh.records != 1 || sh.data != 1 || sh.emitted != 1 || sh.meta > 1 {
		return
	}
	aS, aE, bS, bE := sh.es, sh.ee, sh.ds, sh.de
	t.dataFirst = sh.ds < sh.es
	if t.dataFirst {
		aS, aE, bS, bE = sh.ds, sh.de, sh.es, sh.ee
	}
	t.seg0 = append(t.seg0[:0], line[:aS]...)
	t.seg1 = append(t.seg1[:0], line[aE:bS]...)
	t.seg2 = append(t.seg2[:0], line[bE:]...)
	t.stream = append(t.stream[:0], rv.Stream...)
	t.ns = nil
	if rv.Namespace != nil {
		t.nsBuf = append(t.nsBuf[:0], rv.Namespace...)
		if t.nsBuf == nil {
			t.nsBuf = []byte{}
		}
		t.ns = t.nsBuf
	}
	t.recStart, t.recEndBack = sh.rs, len(line)-sh.re
	t.metaSeg = -1
	if rv.Meta != nil {
		switch {
		case sh.ms < aS:
			t.metaSeg, t.metaStart, t.metaEnd = 0, sh.ms, sh.me
		case sh.ms < bS:
			t.metaSeg, t.metaStart, t.metaEnd = 1, sh.ms-aE, sh.me-aE
		default:
			t.metaSeg, t.metaStart, t.metaEnd = 2, sh.ms-bE, sh.me-bE
		}
	}
	t.valid = true
}

// parseLike parses line with the learned envelope. It returns false, having
// changed nothing the caller relies on, when line does not have it.
func (r *Reader) parseLike(line []byte) bool {
	t := &r.tmpl
	if len(line) < len(t.seg0)+len(t.seg1)+len(t.seg2)+2 || !bytes.HasPrefix(line, t.seg0) || !bytes.HasSuffix(line, t.seg2) {
		return false
	}
	var emittedAt int64
	var ds, de, firstEnd int
	i := len(t.seg0)
	for slot := 0; slot < 2; slot++ {
		if slot == 1 {
			if !bytes.HasPrefix(line[i:], t.seg1) {
				return false
			}
			i += len(t.seg1)
		}
		var end int
		if (slot == 0) == t.dataFirst {
			if i >= len(line) || line[i] != '{' {
				return false
			}
			var err error
			if r.index {
				r.fields, end, err = jsonx.IndexObject(line, i, r.fields[:0])
			} else {
				end, err = jsonx.SkipValue(line, i)
			}
			if err != nil {
				return false
			}
			ds, de = i, end
		} else {
			e, err := jsonx.ScanNumber(line, i)
			if err != nil {
				return false
			}
			// The minimum is what the full parse takes for "absent".
			if emittedAt, err = parseEmittedAt(line[i:e]); err != nil || emittedAt == -1<<63 {
				return false
			}
			end = e
		}
		if slot == 0 {
			i, firstEnd = end, end
			if len(line)-i < len(t.seg1)+len(t.seg2) {
				return false
			}
		} else if end != len(line)-len(t.seg2) {
			return false
		}
	}
	env := &r.env
	*env = Envelope{Type: TypeRecord, Line: r.line, Raw: line, Payload: line[t.recStart : len(line)-t.recEndBack]}
	rv := &env.Record
	rv.Stream, rv.Namespace, rv.EmittedAt = t.stream, t.ns, emittedAt
	rv.Data = line[ds:de]
	if r.index {
		rv.Fields = r.fields
	}
	if t.metaSeg >= 0 {
		base := 0 // seg0 starts the line
		switch t.metaSeg {
		case 1:
			base = firstEnd
		case 2:
			base = len(line) - len(t.seg2)
		}
		rv.Meta = line[base+t.metaStart : base+t.metaEnd]
	}
	return true
}
