package protocol_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

func readAll(t *testing.T, in string) ([]protocol.Envelope, []error) {
	t.Helper()
	r := protocol.NewReader(strings.NewReader(in))
	var envs []protocol.Envelope
	var errs []error
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return envs, errs
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cp := *e
		cp.Raw = append([]byte(nil), e.Raw...)
		cp.Payload = append([]byte(nil), e.Payload...)
		cp.Record.Stream = append([]byte(nil), e.Record.Stream...)
		cp.Record.Namespace = append([]byte(nil), e.Record.Namespace...)
		cp.Record.Data = append([]byte(nil), e.Record.Data...)
		cp.Record.Meta = append([]byte(nil), e.Record.Meta...)
		envs = append(envs, cp)
	}
}

func TestReaderRecords(t *testing.T) {
	in := `{"record":{"emitted_at":1719000000123,"data":{"a":1,"b":"x\"y"},"stream":"st\u00f6re","namespace":"radar","unknown":[1,{"z":null}]},"type":"RECORD","extra":true}` + "\r\n" +
		"\n   \n" +
		`{"type":"RECORD","record":{"stream":"s","data":{},"emitted_at":1.719000000123e12,"namespace":null,"meta":{"changes":[]}}}` + "\n" +
		`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s"},"stream_state":{"k":1}}},"id":17}` + "\n" +
		`{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1.0,"stream_status":{"stream_descriptor":{"name":"s"},"status":"COMPLETE"}}}` + "\n" +
		`{"type":"FUTURE_TYPE","future":{}}` // last line without a newline
	envs, errs := readAll(t, in)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(envs) != 5 {
		t.Fatalf("got %d envelopes", len(envs))
	}
	r0 := envs[0].Record
	if envs[0].Type != protocol.TypeRecord || string(r0.Stream) != "störe" || string(r0.Namespace) != "radar" ||
		r0.EmittedAt != 1719000000123 || string(r0.Data) != `{"a":1,"b":"x\"y"}` || envs[0].Line != 1 {
		t.Errorf("record 0 = %+v stream=%q data=%s", envs[0], r0.Stream, r0.Data)
	}
	r1 := envs[1].Record
	if r1.EmittedAt != 1719000000123 || len(r1.Namespace) != 0 || string(r1.Meta) != `{"changes":[]}` || envs[1].Line != 4 {
		t.Errorf("record 1 = %+v", envs[1])
	}
	if envs[2].Type != protocol.TypeState || !bytes.HasPrefix(envs[2].Payload, []byte(`{"type":"STREAM"`)) {
		t.Errorf("state = %+v", envs[2])
	}
	m, err := envs[3].Decode()
	if err != nil || m.Trace.StreamStatus.Status != protocol.StreamComplete {
		t.Errorf("decode trace: %v %+v", err, m)
	}
	if envs[4].Type != "FUTURE_TYPE" || envs[4].Line != 7 {
		t.Errorf("unknown type not passed through: %+v", envs[4])
	}
}

func TestReaderMalformedLines(t *testing.T) {
	cases := []struct {
		line string
		want string
	}{
		{`{"type":"RECORD","record":{"stream":"s","data":{"a":1}`, "malformed JSON"},
		{`not json at all`, "malformed JSON"},
		{`{"type":"RECORD","record":{"stream":"s","data":{"a":01},"emitted_at":1}}`, "malformed JSON"},
		{`{"type":"RECORD","record":{"stream":"s","data":[1],"emitted_at":1}}`, "record.data is not a JSON object"},
		{`{"type":"RECORD","record":{"data":{},"emitted_at":1}}`, "record has no stream"},
		{`{"type":"RECORD","record":{"stream":"s","data":{}}}`, "record has no emitted_at"},
		{`{"type":"RECORD","record":{"stream":"s","data":{},"emitted_at":"x"}}`, "record.emitted_at"},
		{`{"type":"RECORD"}`, "RECORD message has no record"},
		{`{"type":"STATE"}`, "STATE message has no payload"},
		{`{"record":{}}`, "message has no type"},
		{`{"type":7}`, "message type is not a string"},
		{`{"type":"LOG","log":{"level":"INFO","message":"x"}} trailing`, "trailing data"},
		{`{"type":"RECORD","record":{"stream":"s","data":{"a":"` + "\x01" + `"},"emitted_at":1}}`, "control character"},
		{`{"type":"RECORD","record":{"stream":"s","data":{"a":"\q"},"emitted_at":1}}`, "invalid escape"},
		{`{"type":"RECORD","record":{"stream":"s","data":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `,"emitted_at":1}}`, "nesting deeper"},
	}
	var in strings.Builder
	for _, c := range cases {
		in.WriteString(c.line)
		in.WriteString("\n")
		in.WriteString(`{"type":"LOG","log":{"level":"INFO","message":"ok"}}` + "\n")
	}
	envs, errs := readAll(t, in.String())
	if len(envs) != len(cases) {
		t.Errorf("reading did not continue after errors: %d good lines, want %d", len(envs), len(cases))
	}
	if len(errs) != len(cases) {
		t.Fatalf("got %d errors, want %d: %v", len(errs), len(cases), errs)
	}
	for i, c := range cases {
		err := errs[i]
		var le *protocol.LineError
		if !errors.As(err, &le) {
			t.Errorf("case %d: not a LineError: %v", i, err)
			continue
		}
		if le.Line != int64(2*i+1) {
			t.Errorf("case %d: line = %d, want %d", i, le.Line, 2*i+1)
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "input line") {
			t.Errorf("case %d: error %q does not contain %q", i, err, c.want)
		}
		if strings.Contains(err.Error(), `"a"`) {
			t.Errorf("case %d: error quotes the input: %v", i, err)
		}
	}
}

func TestReaderHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("100 MB line")
	}
	const size = 100 << 20
	payload := strings.Repeat("x", size)
	line := `{"type":"RECORD","record":{"stream":"big","emitted_at":1,"data":{"blob":"` + payload + `"}}}` + "\n"
	in := io.MultiReader(strings.NewReader(line), strings.NewReader(`{"type":"RECORD","record":{"stream":"small","emitted_at":2,"data":{"a":1}}}`+"\n"))
	r := protocol.NewReader(in)
	e, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Record.Stream) != "big" || len(e.Record.Data) != size+len(`{"blob":""}`) {
		t.Fatalf("huge record: stream %q, data %d bytes", e.Record.Stream, len(e.Record.Data))
	}
	e, err = r.Next()
	if err != nil || string(e.Record.Stream) != "small" || e.Line != 2 {
		t.Fatalf("line after the huge one: %v %+v", err, e)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("want EOF, got %v", err)
	}
}

func TestAckStatePreservesBytes(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{
			`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s","namespace":"n"},"stream_state":{"cursor":"9"}},"sourceStats":{"recordCount":3.0},"future":[1,2]},"id":17}`,
			`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s","namespace":"n"},"stream_state":{"cursor":"9"}},"sourceStats":{"recordCount":3.0},"future":[1,2],"destinationStats":{"recordCount":3.0}},"id":17}`,
		},
		{
			`{"id":9007199254740993, "type" : "STATE" , "state" : { "type":"GLOBAL", "global":{"stream_states":[]} } }`,
			`{"id":9007199254740993, "type" : "STATE" , "state" : { "type":"GLOBAL", "global":{"stream_states":[]} ,"destinationStats":{"recordCount":3.0}} }`,
		},
		{
			`{"type":"STATE","state":{"destinationStats":{"recordCount":99.0},"type":"STREAM","stream":{"stream_descriptor":{"name":"s"},"stream_state":null}}}`,
			`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s"},"stream_state":null},"destinationStats":{"recordCount":3.0}}}`,
		},
		{
			`{"type":"STATE","state":{"type":"STREAM","destinationStats":{"recordCount":1.0},"stream":{"stream_descriptor":{"name":"s"}}}}`,
			`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s"}},"destinationStats":{"recordCount":3.0}}}`,
		},
		{
			`{"type":"STATE","state":{}}`,
			`{"type":"STATE","state":{"destinationStats":{"recordCount":3.0}}}`,
		},
	}
	for _, c := range cases {
		got, err := protocol.AckState([]byte(c.in), 3)
		if err != nil {
			t.Fatalf("AckState(%s): %v", c.in, err)
		}
		if string(got) != c.want {
			t.Errorf("AckState(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
		if !json.Valid(got) {
			t.Errorf("AckState produced invalid JSON: %s", got)
		}
	}
	// The id must stay an integer literal, byte for byte.
	got, _ := protocol.AckState([]byte(cases[1].in), 3)
	if !bytes.Contains(got, []byte(`"id":9007199254740993`)) {
		t.Errorf("id changed: %s", got)
	}
	if _, err := protocol.AckState([]byte(`{"type":"STATE"}`), 1); err == nil {
		t.Errorf("AckState without state object: want error")
	}
	line, _ := protocol.AckState([]byte(`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s"},"stream_state":{"a":1}},"sourceStats":{"recordCount":3.0}},"id":1}`), 3)
	protocoltest.ValidateLine(t, 1, line)
}

func TestParseInputState(t *testing.T) {
	cases := []struct {
		in        string
		messages  int
		legacy    bool
		wantError string
	}{
		{"", 0, false, ""},
		{"null", 0, false, ""},
		{"[]", 0, false, ""},
		{`[{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},"stream_state":{"c":1}},"sourceStats":{"recordCount":1.0},"id":4}]`, 1, false, ""},
		{`[{"type":"GLOBAL","global":{"shared_state":{"pos":1},"stream_states":[{"stream_descriptor":{"name":"a","namespace":"n"},"stream_state":{"x":1}}]}}]`, 1, false, ""},
		{`{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},"stream_state":{}}}`, 1, false, ""},
		{`{"cdc":false,"streams":[{"stream_name":"a","cursor":"1"}]}`, 0, true, ""},
		{`[{"type":"LEGACY","data":{"x":1}}]`, 0, true, ""},
		{`[{"type":"STREAM"}]`, 0, false, `state[0]: type STREAM without "stream"`},
		{`[{"type":"STREAM","stream":{"stream_descriptor":{}}}]`, 0, false, "name is empty"},
		{`[{"type":"WHAT"}]`, 0, false, "unknown state type"},
		{`[1`, 0, false, "not valid JSON"},
		{`"x"`, 0, false, "must be a JSON array"},
	}
	for _, c := range cases {
		st, err := protocol.ParseInputState([]byte(c.in))
		if c.wantError != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantError) {
				t.Errorf("ParseInputState(%s) = %v, want error %q", c.in, err, c.wantError)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseInputState(%s): %v", c.in, err)
			continue
		}
		if len(st.Messages) != c.messages || (st.Legacy != nil) != c.legacy {
			t.Errorf("ParseInputState(%s) = %d messages, legacy %v", c.in, len(st.Messages), st.Legacy != nil)
		}
	}
	st, _ := protocol.ParseInputState([]byte(`[{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},"stream_state":{"c":1}}},{"type":"STREAM","stream":{"stream_descriptor":{"name":"b","namespace":"other"},"stream_state":{"c":2}}},{"type":"STREAM","stream":{"stream_descriptor":{"name":"r"},"stream_state":null}}]`))
	if got := st.StreamState(protocol.StreamDescriptor{Name: "a", Namespace: "radar"}); string(got) != `{"c":1}` {
		t.Errorf("state saved without namespace should match by name: %s", got)
	}
	if got := st.StreamState(protocol.StreamDescriptor{Name: "b", Namespace: "radar"}); got != nil {
		t.Errorf("state of another namespace matched: %s", got)
	}
	if got := st.StreamState(protocol.StreamDescriptor{Name: "r"}); got != nil {
		t.Errorf("null (reset) state should read as no state: %s", got)
	}
	g, _ := protocol.ParseInputState([]byte(`[{"type":"GLOBAL","global":{"shared_state":{"pos":1},"stream_states":[{"stream_descriptor":{"name":"a","namespace":"n"},"stream_state":{"x":1}}]}}]`))
	if g.Global() == nil || string(g.Global().SharedState) != `{"pos":1}` || string(g.StreamState(protocol.StreamDescriptor{Name: "a", Namespace: "n"})) != `{"x":1}` {
		t.Errorf("global state not found")
	}
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{
		`{"type":"RECORD","record":{"stream":"s","namespace":"n","emitted_at":1,"data":{"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00"}}}`,
		`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"s"},"stream_state":{}}},"id":1}`,
		`{"type":"LOG","log":{"level":"INFO","message":"x"}}` + "\n" + `{"type":"RECORD"`,
		`{"type":"RECORD","record":{"stream":"s","data":{"x":1e400},"emitted_at":-1}}`,
		"\xff\xfe{}",
		`[[[[[[[[[[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := protocol.NewReader(bytes.NewReader(in))
		for i := 0; i < 1000; i++ {
			e, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var le *protocol.LineError
				if !errors.As(err, &le) {
					t.Fatalf("error is not a LineError: %v", err)
				}
				continue
			}
			if e.Type == protocol.TypeRecord {
				// The scanner may only accept data encoding/json rejects when
				// the difference is invalid UTF-8, which it passes through.
				if !json.Valid(e.Record.Data) && utf8.Valid(e.Record.Data) {
					t.Fatalf("accepted invalid data %q", e.Record.Data)
				}
			}
			if e.Type == protocol.TypeState && e.Payload != nil && e.Payload[0] == '{' {
				out, err := protocol.AckState(e.Raw, 1)
				if err != nil {
					t.Fatalf("AckState on a parsed state: %v", err)
				}
				if json.Valid(e.Raw) && !json.Valid(out) {
					t.Fatalf("AckState broke valid JSON: %q -> %q", e.Raw, out)
				}
			}
		}
	})
}
