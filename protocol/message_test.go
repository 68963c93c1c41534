package protocol_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/protocoltest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func i64(v int64) *int64 { return &v }

// goldenMessages has one message of every kind the connectors print or read.
func goldenMessages() []protocol.Message {
	at := protocol.Millis(1719000000123)
	desc := protocol.StreamDescriptor{Name: "store", Namespace: "radar"}
	return []protocol.Message{
		{Type: protocol.TypeSpec, Spec: &protocol.ConnectorSpecification{
			DocumentationURL:              "https://example.com/docs",
			ConnectionSpecification:       json.RawMessage(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","required":["host"],"properties":{"host":{"type":"string","order":0},"password":{"type":"string","airbyte_secret":true,"order":1}}}`),
			SupportedDestinationSyncModes: []protocol.DestinationSyncMode{protocol.DestinationOverwrite, protocol.DestinationAppend},
		}},
		{Type: protocol.TypeConnectionStatus, ConnectionStatus: &protocol.ConnectionStatus{Status: protocol.StatusSucceeded}},
		{Type: protocol.TypeConnectionStatus, ConnectionStatus: &protocol.ConnectionStatus{Status: protocol.StatusFailed, Message: "Access denied for user 'x'; check the password"}},
		{Type: protocol.TypeCatalog, Catalog: &protocol.Catalog{Streams: []protocol.Stream{{
			Name: "store", Namespace: "radar",
			JSONSchema:              json.RawMessage(`{"type":"object","properties":{"Id":{"type":"number","airbyte_type":"integer"},"Modified_At":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_without_timezone"}}}`),
			SupportedSyncModes:      []protocol.SyncMode{protocol.SyncModeFullRefresh, protocol.SyncModeIncremental},
			DefaultCursorField:      []string{"Modified_At"},
			SourceDefinedPrimaryKey: [][]string{{"Id"}},
			IsResumable:             true,
		}}}},
		{Type: protocol.TypeRecord, Record: &protocol.RecordMessage{
			Namespace: "radar", Stream: "store", EmittedAt: 1719000000123,
			Data: json.RawMessage(`{"Id":1,"Name":"Farmácia ✓","Opening_Date":null}`),
			Meta: &protocol.RecordMeta{Changes: []protocol.MetaChange{{Field: "Opening_Date", Change: protocol.ChangeNulled, Reason: protocol.ReasonSourceSerializationError}}},
		}},
		{Type: protocol.TypeState, State: &protocol.StateMessage{
			Type:        protocol.StateStream,
			Stream:      &protocol.StreamState{StreamDescriptor: desc, StreamState: json.RawMessage(`{"cursor":"2024-01-01T10:00:00","cursor_record_count":1}`)},
			SourceStats: protocol.NewStateStats(1000),
		}},
		{Type: protocol.TypeState, State: &protocol.StateMessage{
			Type: protocol.StateGlobal,
			Global: &protocol.GlobalState{
				SharedState:  json.RawMessage(`{"binlog_file":"mysql-bin.000003","binlog_pos":4711}`),
				StreamStates: []protocol.StreamState{{StreamDescriptor: desc, StreamState: json.RawMessage(`{"pk":"1000"}`)}},
			},
			SourceStats:      protocol.NewStateStats(250),
			DestinationStats: protocol.NewStateStats(250),
		}},
		{Type: protocol.TypeLog, Log: &protocol.LogMessage{Level: protocol.LogInfo, Message: "Reading table radar.store"}},
		{Type: protocol.TypeTrace, Trace: &protocol.TraceMessage{Type: protocol.TraceError, EmittedAt: at, Error: &protocol.ErrorTrace{
			Message: "Cannot connect to MySQL", InternalMessage: "dial tcp: i/o timeout", FailureType: protocol.FailureTransient, StreamDescriptor: &desc,
		}}},
		{Type: protocol.TypeTrace, Trace: &protocol.TraceMessage{Type: protocol.TraceEstimate, EmittedAt: at, Estimate: &protocol.EstimateTrace{
			Name: "store", Namespace: "radar", Type: protocol.EstimateStream, RowEstimate: i64(1000000), ByteEstimate: i64(300000000),
		}}},
		{Type: protocol.TypeTrace, Trace: &protocol.TraceMessage{Type: protocol.TraceStreamStatus, EmittedAt: at, StreamStatus: &protocol.StreamStatusTrace{
			StreamDescriptor: desc, Status: protocol.StreamComplete,
		}}},
		{Type: protocol.TypeTrace, Trace: &protocol.TraceMessage{Type: protocol.TraceAnalytics, EmittedAt: at, Analytics: &protocol.AnalyticsTrace{Type: "rows_read", Value: "42"}}},
		{Type: protocol.TypeControl, Control: &protocol.ControlMessage{Type: "CONNECTOR_CONFIG", EmittedAt: at,
			ConnectorConfig: &protocol.ConnectorConfigValue{Config: json.RawMessage(`{"host":"db"}`)}}},
	}
}

func writeAll(t *testing.T, msgs []protocol.Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	for i := range msgs {
		m := &msgs[i]
		var err error
		if m.Type == protocol.TypeRecord {
			r := m.Record
			err = w.WriteRecord(protocol.NewRecordPrefix(r.Namespace, r.Stream), r.EmittedAt, r.Data, r.Meta.Changes)
		} else {
			err = w.Write(m)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGoldenMessagesRoundTrip(t *testing.T) {
	got := writeAll(t, goldenMessages())
	golden := filepath.Join("testdata", "messages.golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s (run with -update if intended)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
	// Every golden line is a valid protocol message, and decoding then
	// re-encoding it gives the same bytes.
	msgs := protocoltest.ValidateOutput(t, want)
	if len(msgs) != len(goldenMessages()) {
		t.Fatalf("validated %d messages, want %d", len(msgs), len(goldenMessages()))
	}
	again := writeAll(t, msgs)
	if !bytes.Equal(again, want) {
		t.Fatalf("round trip changed the output\ngot:\n%s\nwant:\n%s", again, want)
	}
	// Field spellings the platform depends on.
	for _, s := range []string{`"connectionSpecification"`, `"documentationUrl"`, `"connectionStatus"`, `"emitted_at":1719000000123,`,
		`"emitted_at":1719000000123.0`, `"sourceStats":{"recordCount":1000.0}`, `"destinationStats":{"recordCount":250.0}`,
		`"supported_sync_modes"`, `"source_defined_primary_key"`, `"is_resumable":true`, `"failure_type":"transient_error"`,
		`"stream_descriptor"`, `"row_estimate"`, `"connectorConfig"`, `"supported_destination_sync_modes"`} {
		if !bytes.Contains(want, []byte(s)) {
			t.Errorf("golden output lacks %s", s)
		}
	}
}

func TestConfiguredCatalogGolden(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "configured_catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := protocoltest.Default().ValidateConfiguredCatalog(b); err != nil {
		t.Fatal(err)
	}
	cat, err := protocol.ParseConfiguredCatalog(b, true)
	if err != nil {
		t.Fatal(err)
	}
	cs := cat.Streams[0]
	if cs.GenerationID == nil || *cs.GenerationID != 3 || *cs.MinimumGenerationID != 3 || *cs.SyncID != 77 {
		t.Errorf("generation ids not parsed: %+v", cs)
	}
	if cs.SyncMode != protocol.SyncModeIncremental || cs.CursorField[0] != "Modified_At" || cs.PrimaryKey[0][0] != "Id" {
		t.Errorf("stream config not parsed: %+v", cs)
	}
	if cat.Streams[1].SyncMode != protocol.SyncModeFullRefresh || cat.Streams[1].DestinationSyncMode != protocol.DestinationAppend {
		t.Errorf("defaults not applied: %+v", cat.Streams[1])
	}
}

func TestParseConfiguredCatalogErrors(t *testing.T) {
	cases := map[string]string{
		`{"streams":[{"stream":{"name":"x"},"sync_mode":"INVALID"}]}`:   "stream x: sync_mode \"INVALID\"",
		`{"streams":[{"stream":{"name":""}}]}`:                          "stream.name is empty",
		`{"streams":[{"stream":{"name":"a"}},{"stream":{"name":"a"}}]}`: "configured twice",
		`{"streams":[{"stream":{"name":"a"},"sync_mode":7}]}`:           "wrong type",
		`{"streams":[`: "not valid JSON",
		`{}`:           `"streams" is missing`,
		`{"streams":[{"stream":{"name":"a","namespace":"n"},"destination_sync_mode":"upsert"}]}`: "destination_sync_mode \"upsert\"",
	}
	for in, want := range cases {
		forSource := !bytes.Contains([]byte(in), []byte("destination_sync_mode"))
		_, err := protocol.ParseConfiguredCatalog([]byte(in), forSource)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("ParseConfiguredCatalog(%s) = %v, want error containing %q", in, err, want)
		}
	}
}

func TestWriterHelpers(t *testing.T) {
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	w.SetClock(func() time.Time { return time.UnixMilli(1700000000000) })
	d := protocol.StreamDescriptor{Name: "s", Namespace: "n"}
	_ = w.StreamStatus(d, protocol.StreamStarted)
	_ = w.Estimate(d, 10, 2000)
	_ = w.Logf(protocol.LogWarn, "warned %d", 3)
	_ = w.Error(protocol.ConfigError(nil, "bad table %s", "x"))
	_ = w.ConnectionStatus(protocol.StatusFailed, "nope")
	_ = w.Flush()
	msgs := protocoltest.ValidateOutput(t, buf.Bytes())
	if len(msgs) != 5 {
		t.Fatalf("got %d messages: %s", len(msgs), buf.String())
	}
	if msgs[3].Trace.Error.FailureType != protocol.FailureConfig || msgs[3].Trace.Error.Message != "bad table x" {
		t.Errorf("error trace = %+v", msgs[3].Trace.Error)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"emitted_at":1700000000000.0`)) {
		t.Errorf("trace emitted_at not a decimal number: %s", buf.String())
	}
}

// TestLoggerFlushesWarnings: an INFO line waits in the buffer with the
// records; a WARN or ERROR line reaches stdout at once, with everything
// before it.
func TestLoggerFlushesWarnings(t *testing.T) {
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	log := protocol.NewLogger(w, slog.LevelInfo)
	log.Info("reading", "table", "t")
	if buf.Len() != 0 {
		t.Fatalf("an INFO line was flushed: %s", buf.String())
	}
	log.Warn("transient error; retrying in 1s", "attempt", 1)
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 2 {
		t.Fatalf("after a WARN, %d lines reached the output: %s", n, buf.String())
	}
	log.Error("giving up")
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 3 {
		t.Fatalf("after an ERROR, %d lines reached the output: %s", n, buf.String())
	}
	protocoltest.ValidateOutput(t, buf.Bytes())
}
