package protocol_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// snapshot is what one Next returned, copied.
type snapshot struct {
	env protocol.Envelope
	err string
}

func copyBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func readSnapshots(in []byte, full, index bool) []snapshot {
	r := protocol.NewReader(bytes.NewReader(in))
	if full {
		protocol.FullParse(r)
	}
	r.IndexRecordData(index)
	var out []snapshot
	for i := 0; i < 1000; i++ {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out = append(out, snapshot{err: err.Error()})
			continue
		}
		cp := *e
		cp.Raw, cp.Payload = copyBytes(e.Raw), copyBytes(e.Payload)
		rv := &cp.Record
		rv.Stream, rv.Namespace, rv.Data, rv.Meta = copyBytes(rv.Stream), copyBytes(rv.Namespace), copyBytes(rv.Data), copyBytes(rv.Meta)
		rv.Fields = nil
		if e.Record.Fields != nil {
			rv.Fields = []jsonx.Field{}
		}
		for _, f := range e.Record.Fields {
			rv.Fields = append(rv.Fields, jsonx.Field{Key: copyBytes(f.Key), Value: copyBytes(f.Value), KeyEscaped: f.KeyEscaped, ValueEscaped: f.ValueEscaped})
		}
		out = append(out, snapshot{env: cp})
	}
	return out
}

func describe(s snapshot) string {
	if s.err != "" {
		return "error: " + s.err
	}
	e := s.env
	rv := e.Record
	var fields strings.Builder
	for _, f := range rv.Fields {
		fmt.Fprintf(&fields, " %q(%v)=%q(%v)", f.Key, f.KeyEscaped, f.Value, f.ValueEscaped)
	}
	return fmt.Sprintf("type=%s line=%d raw=%q payload=%q stream=%q ns=%q(nil=%v) data=%q emitted=%d meta=%q(nil=%v) fields(nil=%v):%s",
		e.Type, e.Line, e.Raw, e.Payload, rv.Stream, rv.Namespace, rv.Namespace == nil, rv.Data, rv.EmittedAt, rv.Meta, rv.Meta == nil, rv.Fields == nil, fields.String())
}

// sameAsFullParse checks that reading in decides exactly as parsing every
// line in full does, with and without indexing record data.
func sameAsFullParse(t *testing.T, in []byte) {
	t.Helper()
	for _, index := range []bool{false, true} {
		want := readSnapshots(in, true, index)
		got := readSnapshots(in, false, index)
		if len(got) != len(want) {
			t.Fatalf("index=%v: %d results with the learned envelope, %d in full\ninput %q", index, len(got), len(want), in)
		}
		for i := range want {
			if g, w := describe(got[i]), describe(want[i]); g != w {
				t.Fatalf("index=%v, result %d:\n got %s\nwant %s\ninput %q", index, i, g, w, in)
			}
		}
	}
}

const tmplLine = `{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1719000000123,"data":{"id":1,"name":"a"}}}`

func TestReaderLearnsTheEnvelope(t *testing.T) {
	lines := []string{
		tmplLine,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1719000000124,"data":{"id":2,"name":"b\"c","x":[1,{"y":null}]}}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1.719e12,"data":{}}}`,
		// Same envelope, broken values: the errors of the full parse.
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":"x","data":{}}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1,"data":{"a":01}}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1,"data":[1]}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1,"data":{"a":1}}} x`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1,"data":{"a":1}},"data":{}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1,"data":{"a":1},"meta":{"changes":[]}}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1,"data":{"a":1}}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1,"data":{"a":"` + "\x01" + `"}}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1,"data":{"a":1}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1,"data":{"a":1}}}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1,"data":{"a":1}}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":12,"data":{"a":1},"stream":"other"}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":12,"data":{"a":1},"stream":"other"}}`,
		`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":-3,"data":{"a":1},"stream":"other"}}`,
		// Another stream, then data before emitted_at, meta in each place,
		// namespaces null, absent and empty, escaped names.
		`{"type":"RECORD","record":{"stream":"s\u00e9","data":{"a":1},"emitted_at":5,"namespace":null}}`,
		`{"type":"RECORD","record":{"stream":"s\u00e9","data":{"a":2,"b":"\u0041"},"emitted_at":6,"namespace":null}}`,
		`{"type":"RECORD","record":{"meta":{"changes":[1]},"stream":"s","data":{"a":1},"emitted_at":5}}`,
		`{"type":"RECORD","record":{"meta":{"changes":[1]},"stream":"s","data":{"a":3},"emitted_at":7}}`,
		`{"type":"RECORD","record":{"stream":"s","emitted_at":5,"meta":{"m":1},"data":{"a":1},"namespace":""}}`,
		`{"type":"RECORD","record":{"stream":"s","emitted_at":8,"meta":{"m":1},"data":{"a":4},"namespace":""}}`,
		`{"type":"RECORD","record":{"stream":"s","emitted_at":5,"data":{"a":1},"meta":null}}`,
		`{"type":"RECORD","record":{"stream":"s","emitted_at":9,"data":{"a":5},"meta":null}}`,
		`{"type":"RECORD","record":{"stream":"s","emitted_at":5,"data":{"a":1},"meta":{"x":2}}}`,
		`{"type":"RECORD","record":{"stream":"s","emitted_at":10,"data":{"a":6},"meta":{"x":2}}}`,
		`{"record":{"stream":"s","emitted_at":10,"data":{"a":6}},"type":"RECORD"}`,
		`{"record":{"stream":"s","emitted_at":11,"data":{"a":7}},"type":"RECORD"}`,
		`{"record":{"stream":"s","emitted_at":11,"data":{"a":7}},"type":"STATE"}`,
		`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s"},"stream_state":{}}}}`,
		`{"record":{"stream":"s","emitted_at":12,"data":{"a":8}},"type":"RECORD"}`,
		`{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"a":1}},"record":{"stream":"t","emitted_at":2,"data":{"b":1}}}`,
		`{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"a":1}},"record":{"stream":"t","emitted_at":3,"data":{"b":1}}}`,
		`{"type":"RECORD","record":{"stream":"s","emitted_at":1,"emitted_at":2,"data":{"a":1}}}`,
		`{"type":"RECORD","record":{"stream":"s","emitted_at":1,"emitted_at":3,"data":{"a":1}}}`,
		`  {"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"a":1}}}  `,
		`  {"type":"RECORD","record":{"stream":"s","emitted_at":2,"data":{ "a" : 1 }}}  `,
		`  {"type":"RECORD","record":{"stream":"s","emitted_at":2 ,"data":{"a":1}}}  `,
	}
	in := []byte(strings.Join(lines, "\r\n") + "\n")
	sameAsFullParse(t, in)

	// The learned envelope is used: a long run of one stream's records
	// gives what the full parse gives, fields included.
	var b bytes.Buffer
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, `{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":%d,"data":{"id":%d,"n\u0061me":"x\\\"%d","z":null}}}`+"\n", 1719000000000+i, i, i)
	}
	sameAsFullParse(t, b.Bytes())
	got := readSnapshots(b.Bytes(), false, true)
	last := got[99].env.Record
	if string(last.Stream) != "store" || string(last.Namespace) != "radar" || last.EmittedAt != 1719000000099 || len(last.Fields) != 3 ||
		string(last.Fields[1].Key) != `n\u0061me` || !last.Fields[1].KeyEscaped || string(last.Fields[1].Value) != `"x\\\"99"` || !last.Fields[1].ValueEscaped ||
		string(last.Fields[2].Value) != "null" || last.Fields[0].ValueEscaped {
		t.Errorf("last record: %s", describe(got[99]))
	}
}

func TestReaderIndexRecordData(t *testing.T) {
	in := `{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{ "a" : 1 , "b\u0041":{"x":[1,2]},"c":"s\n","d":"plain"}}}` + "\n" +
		`{"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{}}}` + "\n"
	got := readSnapshots([]byte(in), false, true)
	f := got[0].env.Record.Fields
	if len(f) != 4 || string(f[0].Key) != "a" || string(f[0].Value) != "1" || string(f[1].Key) != `b\u0041` || !f[1].KeyEscaped ||
		string(f[1].Value) != `{"x":[1,2]}` || string(f[2].Value) != `"s\n"` || !f[2].ValueEscaped || f[3].ValueEscaped || string(f[3].Value) != `"plain"` {
		t.Errorf("fields = %s", describe(got[0]))
	}
	if got[1].env.Record.Fields == nil || len(got[1].env.Record.Fields) != 0 {
		t.Errorf("empty data: fields = %#v", got[1].env.Record.Fields)
	}
	if plain := readSnapshots([]byte(in), false, false); plain[0].env.Record.Fields != nil {
		t.Errorf("fields without IndexRecordData")
	}
}

func FuzzReaderLearnedEnvelope(f *testing.F) {
	f.Add([]byte(tmplLine), []byte(`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1719000000124,"data":{"id":2}}}`))
	f.Add([]byte(tmplLine), []byte(`{"type":"RECORD","record":{"namespace":"radar","stream":"store","emitted_at":1e3,"data":{"id":[}}}`))
	f.Add([]byte(`{"type":"RECORD","record":{"stream":"s","data":{"a":1},"emitted_at":5,"meta":{"c":[]}}}`), []byte(`{"type":"RECORD","record":{"stream":"s","data":{"a":"\u0041"},"emitted_at":6,"meta":{"c":[]}}}`))
	f.Add([]byte(`{"record":{"meta":{},"emitted_at":5,"stream":"s","data":{}},"type":"RECORD"}`), []byte(`{"record":{"meta":{},"emitted_at":5,"stream":"s","data":{"":""}},"type":"RECORD"}`))
	f.Fuzz(func(t *testing.T, first, next []byte) {
		// The first line teaches the envelope; the next lines are read
		// with it, each also twice in a row.
		in := append(append(append([]byte{}, first...), '\n'), next...)
		in = append(append(in, '\n'), next...)
		sameAsFullParse(t, in)
	})
}
