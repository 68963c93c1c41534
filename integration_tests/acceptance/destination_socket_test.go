package acceptance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
)

// TestDestinationRoundTripSocket writes the round trip's records through
// the built destination in socket mode, the test playing the source's side
// of the data channel: rows 1-2 and their state on one socket, row 3 and
// its state on the other (state ids 1 and 2 of the stream, each with its
// partition's count), stdin empty. In PROTOBUF every value is typed as a
// source types it (big_integer, big_decimal, dates, times and timestamps
// as structured values, objects and arrays as JSON). DuckDB must read back
// the same cells as the STDIO round trip.
func TestDestinationRoundTripSocket(t *testing.T) {
	_, dst, err := harness.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []datachannel.Format{datachannel.FormatProtobuf, datachannel.FormatJSONL} {
		t.Run(string(format), func(t *testing.T) {
			s3 := harness.StartS3(t, acceptanceBucket)
			gen, minGen, syncID := int64(1), int64(0), int64(42)
			cat := protocol.ConfiguredCatalog{Streams: []protocol.ConfiguredStream{{
				Stream:   protocol.Stream{Name: "roundtrip", Namespace: "radar", JSONSchema: json.RawMessage(roundTripSchema), SupportedSyncModes: []protocol.SyncMode{protocol.SyncModeFullRefresh}},
				SyncMode: protocol.SyncModeFullRefresh, DestinationSyncMode: protocol.DestinationAppend,
				GenerationID: &gen, MinimumGenerationID: &minGen, SyncID: &syncID,
			}}}
			dir, err := os.MkdirTemp("", "rt-sk")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			paths := []string{filepath.Join(dir, "airbyte_socket_1.sock"), filepath.Join(dir, "airbyte_socket_2.sock")}
			ls, err := datachannel.Listen(paths)
			if err != nil {
				t.Fatal(err)
			}
			defer ls.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			sent := make(chan error, 1)
			go func() {
				conns, err := ls.Accept(ctx)
				if err != nil {
					sent <- err
					return
				}
				parts := [][]int{{0, 1}, {2}}
				for i, conn := range conns {
					var b []byte
					part := fmt.Sprintf("p%d", i)
					for _, row := range parts[i] {
						b = appendRoundTripRecord(t, b, format, row, part)
					}
					state := fmt.Sprintf(`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"roundtrip","namespace":"radar"},"stream_state":{"part":%d}},"sourceStats":{"recordCount":%d.0},"id":%d,"partition_id":%q}}`, i, len(parts[i]), i+1, part)
					b = appendProtocol(b, format, state)
					if i == 1 {
						b = appendProtocol(b, format, `{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1.0,"stream_status":{"stream_descriptor":{"name":"roundtrip","namespace":"radar"},"status":"COMPLETE"}}}`)
					}
					if _, err := conn.Write(b); err != nil {
						sent <- err
						return
					}
					conn.Close()
				}
				sent <- nil
			}()
			env := datachannel.Config{Medium: datachannel.MediumSocket, Format: format, SocketPaths: paths}.Environ()
			res, err := harness.Command(ctx, dst, nil, env, "write", "--config", destinationConfig(t, s3, ""), "--catalog", harness.WriteJSON(t, "catalog.json", cat))
			if err != nil {
				t.Fatal(err)
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
			for _, inv := range res.Invalid {
				t.Errorf("invalid output line: %s", inv)
			}
			if res.Code != 0 {
				t.Fatalf("write exited %d: %s %s", res.Code, res.Stdout, res.Stderr)
			}
			states := res.OfType(protocol.TypeState)
			if len(states) != 2 {
				t.Fatalf("%d states acknowledged, want 2: %s", len(states), res.Stdout)
			}
			for i, m := range states {
				st := m.State
				if st.ID == nil || *st.ID != int64(i+1) || st.PartitionID != fmt.Sprintf("p%d", i) || st.DestinationStats == nil {
					t.Errorf("acknowledged state %d: id %v partition %q destinationStats %v", i, st.ID, st.PartitionID, st.DestinationStats)
				}
			}
			if !bytes.Contains(res.Stdout, []byte(`"committedRecordsCount":3`)) {
				t.Errorf("the last state does not count 3 committed records: %s", res.Stdout)
			}
			checkRoundTrip(ctx, t, s3)
		})
	}
}

func appendProtocol(b []byte, format datachannel.Format, msg string) []byte {
	if format == datachannel.FormatJSONL {
		return append(append(b, msg...), '\n')
	}
	return datachannel.AppendProtocolFrame(b, []byte(msg))
}

// appendRoundTripRecord appends roundTripRows[row] in partition part: a JSON
// line with its partition_id, or a protobuf record typed from the schema.
func appendRoundTripRecord(t *testing.T, b []byte, format datachannel.Format, row int, part string) []byte {
	emitted := 1732579200000 + int64(row)
	if format == datachannel.FormatJSONL {
		return fmt.Appendf(b, `{"type":"RECORD","record":{"namespace":"radar","stream":"roundtrip","partition_id":%q,"emitted_at":%d,"data":%s}}`+"\n", part, emitted, roundTripRows[row])
	}
	var sch struct {
		Properties map[string]struct {
			Type            any    `json:"type"`
			Format          string `json:"format"`
			AirbyteType     string `json:"airbyte_type"`
			Precision       int    `json:"precision"`
			ContentEncoding string `json:"contentEncoding"`
		} `json:"properties"`
	}
	if err := json.Unmarshal([]byte(roundTripSchema), &sch); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range sch.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	var data map[string]json.RawMessage
	if err := json.Unmarshal([]byte(roundTripRows[row]), &data); err != nil {
		t.Fatal(err)
	}
	var e datachannel.RecordEncoder
	e.Begin(datachannel.NewStreamPrefix("radar", "roundtrip"), emitted, []byte(part))
	for _, name := range names {
		p, raw := sch.Properties[name], data[name]
		if len(raw) == 0 || string(raw) == "null" {
			e.Null()
			continue
		}
		typ := fmt.Sprint(p.Type)
		var s string
		_ = json.Unmarshal(raw, &s)
		switch {
		case strings.Contains(typ, "object") || strings.Contains(typ, "array"):
			e.JSON(raw)
		case p.AirbyteType == "integer":
			if v, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
				e.Integer(v)
			} else {
				e.BigInteger(raw)
			}
		case strings.Contains(typ, "boolean"):
			e.Bool(string(raw) == "true")
		case strings.Contains(typ, "number") && p.Precision > 0:
			e.BigDecimal(raw)
		case strings.Contains(typ, "number"):
			v, _ := strconv.ParseFloat(string(raw), 64)
			e.Number(v)
		case p.Format == "date":
			d, _ := time.Parse("2006-01-02", s)
			e.Date(d.Unix() / 86400)
		case p.AirbyteType == "timestamp_without_timezone":
			ts, _ := time.Parse("2006-01-02T15:04:05.999999", s)
			days := ts.Unix() / 86400
			e.TimestampWithoutTimezone(days, uint64(ts.Sub(time.Unix(days*86400, 0).UTC())))
		case p.AirbyteType == "timestamp_with_timezone":
			ts, _ := time.Parse(time.RFC3339Nano, s)
			_, off := ts.Zone()
			e.TimestampWithTimezone(ts.Unix(), uint32(ts.Nanosecond()), int32(off))
		case p.AirbyteType == "time_without_timezone":
			c, _ := time.Parse("15:04:05.999999", s)
			e.TimeWithoutTimezone(uint64(c.Hour()*3600+c.Minute()*60+c.Second())*1e9 + uint64(c.Nanosecond()))
		default:
			e.String([]byte(s))
		}
	}
	return append(b, e.Finish()...)
}
