package datachannel

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/cognitivo/radar-connectors/protocol/datachannel/pb"
)

// unframe strips the varint length of one frame.
func unframe(t *testing.T, frame []byte) []byte {
	t.Helper()
	n, k := binary.Uvarint(frame)
	if k <= 0 || int(n) != len(frame)-k {
		t.Fatalf("frame length %d does not match %d bytes", n, len(frame)-k)
	}
	return frame[k:]
}

func TestRecordEncoderMatchesGenerated(t *testing.T) {
	var e RecordEncoder
	long := strings.Repeat("x", 300)
	e.Begin(NewStreamPrefix("radar", "users"), 1733420000123, []byte("p-1"))
	e.Null()
	e.Bool(true)
	e.Bool(false)
	e.Integer(0)
	e.Integer(-1)
	e.Integer(math.MaxInt64)
	e.Integer(math.MinInt64)
	e.BigInteger([]byte("18446744073709551615"))
	e.Number(1.5)
	e.BigDecimal([]byte("-12.340"))
	e.Date(-719162)
	e.TimeWithoutTimezone(86399999999999)
	e.TimeWithTimezone(3600e9, -18000)
	e.TimestampWithoutTimezone(20000, 0)
	e.TimestampWithTimezone(1733420000, 123456000, 0)
	e.String([]byte("héllo"))
	e.String([]byte(long))
	e.JSON([]byte(`{"a":[1,2]}`))
	e.TimestampWithoutTimezone(0, 0)
	b := e.BeginString(100)
	b = append(b, "built in place"...)
	e.EndString(b, 100)
	e.Change("bad_date", ChangeNulled, ReasonSourceSerializationError)
	frame := e.Finish()

	var got pb.DataChannelMessage
	if err := proto.Unmarshal(unframe(t, frame), &got); err != nil {
		t.Fatal(err)
	}
	ns := "radar"
	v := func(x *pb.Value) *pb.Value { return x }
	want := &pb.DataChannelMessage{Message: &pb.DataChannelMessage_Record{Record: &pb.Record{
		Namespace: &ns, Stream: "users", EmittedAtMs: 1733420000123, PartitionId: "p-1",
		Data: []*pb.Value{
			v(&pb.Value{IsNull: true}),
			{Value: &pb.Value_Boolean{Boolean: true}},
			{Value: &pb.Value_Boolean{Boolean: false}},
			{Value: &pb.Value_Integer{Integer: 0}},
			{Value: &pb.Value_Integer{Integer: -1}},
			{Value: &pb.Value_Integer{Integer: math.MaxInt64}},
			{Value: &pb.Value_Integer{Integer: math.MinInt64}},
			{Value: &pb.Value_BigInteger{BigInteger: "18446744073709551615"}},
			{Value: &pb.Value_Number{Number: 1.5}},
			{Value: &pb.Value_BigDecimal{BigDecimal: "-12.340"}},
			{Value: &pb.Value_Date{Date: -719162}},
			{Value: &pb.Value_TimeWithoutTimezone{TimeWithoutTimezone: 86399999999999}},
			{Value: &pb.Value_TimeWithTimezone{TimeWithTimezone: &pb.TimeWithTimezone{NanosOfDay: 3600e9, OffsetSeconds: -18000}}},
			{Value: &pb.Value_TimestampWithoutTimezone{TimestampWithoutTimezone: &pb.TimestampWithoutTimezone{DaysSinceEpoch: 20000}}},
			{Value: &pb.Value_TimestampWithTimezone{TimestampWithTimezone: &pb.TimestampWithTimezone{EpochSecond: 1733420000, Nano: 123456000}}},
			{Value: &pb.Value_String_{String_: "héllo"}},
			{Value: &pb.Value_String_{String_: long}},
			{Value: &pb.Value_Json{Json: []byte(`{"a":[1,2]}`)}},
			{Value: &pb.Value_TimestampWithoutTimezone{TimestampWithoutTimezone: &pb.TimestampWithoutTimezone{}}},
			{Value: &pb.Value_String_{String_: "built in place"}},
		},
		Meta: &pb.RecordMeta{Changes: []*pb.Change{{Field: "bad_date", Change: pb.ChangeType_NULLED, Reason: pb.ChangeReason_SOURCE_SERIALIZATION_ERROR}}},
	}}}
	if !proto.Equal(&got, want) {
		t.Fatalf("decoded by the generated code:\n%v\nwant\n%v", &got, want)
	}

	// And our own decoder reads the same frame back.
	m, err := Parse(unframe(t, frame))
	if err != nil {
		t.Fatal(err)
	}
	r := m.Record
	if m.Kind != KindRecord || string(r.Namespace) != "radar" || !r.HasNamespace || string(r.Stream) != "users" || r.EmittedAtMs != 1733420000123 || string(r.PartitionID) != "p-1" || r.Fields != 20 {
		t.Fatalf("record view %+v", r)
	}
	it := r.Values()
	var kinds []string
	for it.Next() {
		kinds = append(kinds, it.Value().Kind.String())
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	wantKinds := "null boolean boolean integer integer integer integer big_integer number big_decimal date time_without_timezone time_with_timezone timestamp_without_timezone timestamp_with_timezone string string json timestamp_without_timezone string"
	if got := strings.Join(kinds, " "); got != wantKinds {
		t.Fatalf("kinds\n%s\nwant\n%s", got, wantKinds)
	}
	var changes []string
	_ = r.Changes(func(f []byte, c ChangeType, reason ChangeReason) {
		changes = append(changes, string(f))
		if c != ChangeNulled || reason != ReasonSourceSerializationError {
			t.Errorf("change %d %d", c, reason)
		}
	})
	if len(changes) != 1 || changes[0] != "bad_date" {
		t.Fatalf("changes %v", changes)
	}
}

// TestParseGenerated decodes messages written by the generated code,
// including the forms our encoder never writes (a value with no member,
// non-canonical zero fields), as another writer may send them.
func TestParseGenerated(t *testing.T) {
	rec := &pb.Record{Stream: "s", Data: []*pb.Value{
		{},
		{Value: &pb.Value_Integer{Integer: -42}},
		{Value: &pb.Value_TimestampWithTimezone{TimestampWithTimezone: &pb.TimestampWithTimezone{EpochSecond: -1, Nano: 5, OffsetSeconds: 3600}}},
		{Value: &pb.Value_TimeWithTimezone{TimeWithTimezone: &pb.TimeWithTimezone{NanosOfDay: 7, OffsetSeconds: -60}}},
		{Value: &pb.Value_TimestampWithoutTimezone{TimestampWithoutTimezone: &pb.TimestampWithoutTimezone{DaysSinceEpoch: -3, NanosOfDay: 9}}},
		{Value: &pb.Value_Number{Number: -0.25}},
		{Value: &pb.Value_String_{String_: "x"}, IsNull: true},
	}}
	b, err := proto.Marshal(&pb.DataChannelMessage{Message: &pb.DataChannelMessage_Record{Record: rec}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Record.HasNamespace {
		t.Fatal("namespace set")
	}
	want := []Value{
		{Kind: ValueNull},
		{Kind: ValueInteger, Int: -42},
		{Kind: ValueTimestampWithTimezone, Int: -1, Nanos: 5, Offset: 3600},
		{Kind: ValueTimeWithTimezone, Nanos: 7, Offset: -60},
		{Kind: ValueTimestampWithoutTimezone, Int: -3, Nanos: 9},
		{Kind: ValueNumber, Float: -0.25},
		{Kind: ValueNull},
	}
	it := m.Record.Values()
	i := 0
	for ; it.Next(); i++ {
		got := *it.Value()
		if got.Kind != want[i].Kind || got.Int != want[i].Int || got.Nanos != want[i].Nanos || got.Offset != want[i].Offset || got.Float != want[i].Float {
			t.Errorf("value %d: %+v, want %+v", i, got, want[i])
		}
	}
	if i != len(want) || it.Err() != nil {
		t.Fatalf("%d values, err %v", i, it.Err())
	}

	for _, msg := range []*pb.DataChannelMessage{
		{Message: &pb.DataChannelMessage_ProtocolJson{ProtocolJson: `{"type":"STATE"}`}},
		{Message: &pb.DataChannelMessage_Probe{Probe: &pb.Probe{}}},
	} {
		b, _ := proto.Marshal(msg)
		m, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := msg.Message.(*pb.DataChannelMessage_ProtocolJson); ok && (m.Kind != KindProtocol || string(m.JSON) != `{"type":"STATE"}`) {
			t.Fatalf("protocol message %+v", m)
		}
		if _, ok := msg.Message.(*pb.DataChannelMessage_Probe); ok && m.Kind != KindProbe {
			t.Fatalf("probe %+v", m)
		}
	}
}

func TestFrames(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(AppendProtocolFrame(nil, []byte(`{"type":"STATE"}`)))
	buf.Write(AppendProbeFrame(nil))
	big := bytes.Repeat([]byte("y"), 100000)
	var e RecordEncoder
	e.Begin(NewStreamPrefix("", "s"), 1, nil)
	e.String(big)
	buf.Write(e.Finish())
	buf.Write([]byte{5, 1}) // a truncated frame

	fr := NewFrameReader(&buf, 4096)
	var kinds []Kind
	for {
		b, err := fr.Next()
		if err != nil {
			if err != io.ErrUnexpectedEOF {
				t.Fatalf("got %v, want unexpected EOF", err)
			}
			break
		}
		m, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, m.Kind)
		if m.Kind == KindRecord {
			it := m.Record.Values()
			if !it.Next() || !bytes.Equal(it.Value().Bytes, big) {
				t.Fatal("big value lost")
			}
		}
	}
	if len(kinds) != 3 || kinds[0] != KindProtocol || kinds[1] != KindProbe || kinds[2] != KindRecord {
		t.Fatalf("kinds %v", kinds)
	}
	if _, err := NewFrameReader(bytes.NewReader(nil), 64).Next(); err != io.EOF {
		t.Fatalf("empty input: %v", err)
	}
}

func TestParseMalformed(t *testing.T) {
	for _, b := range [][]byte{
		{},
		{0x0a, 5, 1},       // record longer than the frame
		{0x0a, 2, 0x2a, 9}, // value longer than the record
		{0x07},             // wire type 7
		{0x00, 0x01},       // field 0
	} {
		m, err := Parse(b)
		if err == nil && m.Kind == KindRecord {
			it := m.Record.Values()
			for it.Next() {
			}
			err = it.Err()
		}
		if err == nil {
			t.Errorf("%x: no error", b)
		}
	}
}

func TestEncoderAllocs(t *testing.T) {
	var e RecordEncoder
	p := NewStreamPrefix("db", "t")
	pid := []byte("p")
	s := []byte("some text")
	n := testing.AllocsPerRun(1000, func() {
		e.Begin(p, 123, pid)
		e.Integer(1)
		e.String(s)
		e.TimestampWithoutTimezone(1, 2)
		e.Null()
		_ = e.Finish()
	})
	if n != 0 {
		t.Fatalf("%v allocations per record", n)
	}
}

func TestParseEnv(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, tc := range []struct {
		name string
		env  func(string) (string, bool)
		want string
		err  string
	}{
		{"unset", env(), "STDIO/JSONL", ""},
		{"socket protobuf", env(EnvMedium, "socket", EnvFormat, "protobuf", EnvSocketPaths, "/var/run/sockets/a.sock, /var/run/sockets/b.sock"), "SOCKET/PROTOBUF over 2 sockets", ""},
		{"socket jsonl", env(EnvMedium, "SOCKET", EnvSocketPaths, "/s"), "SOCKET/JSONL over 1 sockets", ""},
		{"stdio ignores paths", env(EnvMedium, "STDIO", EnvSocketPaths, "/s"), "STDIO/JSONL", ""},
		{"bad medium", env(EnvMedium, "PIPE"), "", "expected STDIO or SOCKET"},
		{"bad format", env(EnvFormat, "AVRO"), "", "expected JSONL or PROTOBUF"},
		{"no paths", env(EnvMedium, "SOCKET"), "", "needs DATA_CHANNEL_SOCKET_PATHS"},
		{"protobuf on stdio", env(EnvFormat, "PROTOBUF"), "", "needs DATA_CHANNEL_MEDIUM=SOCKET"},
		{"duplicate", env(EnvMedium, "SOCKET", EnvSocketPaths, "/s,/s"), "", "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseEnv(tc.env)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.String() != tc.want {
				t.Fatalf("%s, want %s", c, tc.want)
			}
			var kv []string
			for _, e := range c.Environ() {
				k, v, _ := strings.Cut(e, "=")
				kv = append(kv, k, v)
			}
			back, err := ParseEnv(env(kv...))
			if err != nil || back.String() != c.String() {
				t.Fatalf("Environ round trip: %v %v", back, err)
			}
		})
	}
}

func TestSockets(t *testing.T) {
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "a.sock"), filepath.Join(dir, "b.sock")}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The destination starts first and waits for the sockets.
	got := make(chan string, len(paths))
	for _, p := range paths {
		go func() {
			c, err := Dial(ctx, p)
			if err != nil {
				got <- "error: " + err.Error()
				return
			}
			defer c.Close()
			b, _ := io.ReadAll(c)
			got <- string(b)
		}()
	}
	time.Sleep(3 * DialRetry)
	l, err := Listen(paths)
	if err != nil {
		t.Fatal(err)
	}
	conns, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range conns {
		_, _ = c.Write([]byte{'0' + byte(i)})
		c.Close()
	}
	l.Close()
	seen := map[string]bool{}
	for range paths {
		seen[<-got] = true
	}
	if !seen["0"] || !seen["1"] {
		t.Fatalf("received %v", seen)
	}

	// A stale socket file is replaced; a regular file is refused.
	l, err = Listen(paths[:1])
	if err != nil {
		t.Fatalf("listen again: %v", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if _, err := l.Accept(ctx2); err == nil {
		t.Fatal("accept without a client succeeded")
	}
	l.Close()
	reg := filepath.Join(dir, "file")
	if err := writeFile(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen([]string{reg}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("listen on a regular file: %v", err)
	}
	ctx3, cancel3 := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel3()
	if _, err := Dial(ctx3, filepath.Join(dir, "none.sock")); err == nil || !strings.Contains(err.Error(), "none.sock") {
		t.Fatalf("dial a missing socket: %v", err)
	}
}

func TestAppendDataJSON(t *testing.T) {
	var e RecordEncoder
	e.Begin(NewStreamPrefix("ns", "s"), 1, []byte("p"))
	e.Integer(-42)
	e.Null()
	e.String([]byte("a\"b\n"))
	e.BigDecimal([]byte("12.50"))
	e.Number(1.5)
	e.Bool(true)
	e.Date(19723) // 2024-01-01
	e.TimestampWithoutTimezone(19723, 3723_000_004_000)
	e.TimestampWithTimezone(1704067200, 5000, 0)
	e.TimeWithoutTimezone(3723_000_004_000)
	e.JSON([]byte(`{"k":[1]}`))
	frame, err := NewFrameReader(bytes.NewReader(e.Finish()), 1024).Next()
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(frame)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}
	got, err := AppendDataJSON(nil, &m.Record, names)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a":-42,"b":null,"c":"a\"b\n","d":12.50,"e":1.5,"f":true,"g":"2024-01-01","h":"2024-01-01T01:02:03.000004","i":"2024-01-01T00:00:00.000005Z","j":"01:02:03.000004","k":{"k":[1]}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, err := AppendDataJSON(nil, &m.Record, names[:3]); err == nil {
		t.Error("more values than names: no error")
	}
}
