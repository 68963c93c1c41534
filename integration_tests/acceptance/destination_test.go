package acceptance_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/acceptance"
	"github.com/cognitivo/radar-connectors/integration_tests/duck"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

const acceptanceBucket = "acceptance-bucket"

func destinationConfig(t *testing.T, s3 *harness.S3Server, layout string) string {
	format := map[string]any{"format_type": "Parquet", "compression_codec": "SNAPPY"}
	if layout != "" {
		format["column_layout"] = layout
	}
	return harness.WriteJSON(t, "destination.json", map[string]any{
		"s3_bucket_name": acceptanceBucket, "s3_bucket_path": "acceptance", "s3_bucket_region": "us-east-1",
		"s3_endpoint": s3.Endpoint, "access_key_id": s3.AccessKey, "secret_access_key": s3.SecretKey,
		"s3_path_format": "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}",
		"format":         format,
	})
}

func TestDestinationAcceptance(t *testing.T) {
	_, dst, err := harness.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	s3 := harness.StartS3(t, acceptanceBucket)
	r := &acceptance.Runner{Dir: connectorDir(t, harness.DestinationName), Binary: dst,
		Paths: map[string]string{"secrets/config.json": destinationConfig(t, s3, "")}}
	useImage(t, r, *destinationImage)
	results, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	passed := 0
	for _, res := range results {
		t.Log(res.String())
		if res.Status == acceptance.Failed {
			t.Errorf("%s", res)
		}
		if res.Status == acceptance.Passed {
			passed++
		}
	}
	if passed < 15 {
		t.Errorf("only %d acceptance tests passed", passed)
	}
}

// roundTripSchema has one column of each JSON schema type the destination
// maps, as our source and other Airbyte sources write them.
const roundTripSchema = `{"type":"object","properties":{
 "id":{"type":"number","airbyte_type":"integer"},
 "big":{"type":["null","number"],"airbyte_type":"integer","precision":20,"scale":0},
 "price":{"type":["null","number"],"precision":15,"scale":2},
 "ratio":{"type":["null","number"]},
 "ok":{"type":["null","boolean"]},
 "name":{"type":["null","string"]},
 "day":{"type":["null","string"],"format":"date"},
 "local_ts":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_without_timezone"},
 "utc_ts":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_with_timezone"},
 "at":{"type":["null","string"],"format":"time","airbyte_type":"time_without_timezone"},
 "blob":{"type":["null","string"],"contentEncoding":"base64"},
 "doc":{"type":["null","string"]},
 "address":{"type":["null","object"],"properties":{"city":{"type":["null","string"]},"zip":{"type":["null","string"]}}},
 "tags":{"type":["null","array"],"items":{"type":["null","string"]}}
}}`

var roundTripRows = []string{
	`{"id":1,"big":18446744073709551615,"price":1234567.89,"ratio":0.25,"ok":true,"name":"Farmácia São João ✓","day":"2024-02-29","local_ts":"2024-01-02T03:04:05.123456","utc_ts":"2024-01-02T03:04:05.000001Z","at":"23:59:59.999999","blob":"AAH/","doc":"{\"a\": [1, 2]}","address":{"city":"Curitiba","zip":"80000-000"},"tags":["a","b"]}`,
	`{"id":2,"big":null,"price":-0.01,"ratio":-1e10,"ok":false,"name":"","day":null,"local_ts":null,"utc_ts":"2024-06-30T21:00:00-03:00","at":"00:00:00.000000","blob":null,"doc":null,"address":null,"tags":[]}`,
	`{"id":3,"big":0,"price":null,"ratio":null,"ok":null,"name":null,"day":"1970-01-01","local_ts":"1970-01-01T00:00:00.000000","utc_ts":null,"at":null,"blob":"","doc":"[]","address":{"city":null},"tags":null}`,
}

// want is what DuckDB should read back for each row and column (as text).
var roundTripWant = map[string][]string{
	"id":       {"1", "2", "3"},
	"big":      {"18446744073709551615", "NULL", "0"},
	"price":    {"1234567.89", "-0.01", "NULL"},
	"ratio":    {"0.25", "-10000000000.0", "NULL"},
	"ok":       {"true", "false", "NULL"},
	"name":     {"Farmácia São João ✓", "", "NULL"},
	"day":      {"2024-02-29", "NULL", "1970-01-01"},
	"local_ts": {"2024-01-02 03:04:05.123456", "NULL", "1970-01-01 00:00:00"},
	"utc_ts":   {"2024-01-02 03:04:05.000001+00", "2024-07-01 00:00:00+00", "NULL"},
	"at":       {"23:59:59.999999", "00:00:00.000000", "NULL"},
	"doc":      {`{"a": [1, 2]}`, "NULL", "[]"},
	"address":  {"{'city': Curitiba, 'zip': 80000-000}", "NULL", "{'city': NULL, 'zip': NULL}"},
	"tags":     {"[a, b]", "[]", "NULL"},
}

// TestDestinationRoundTrip writes records of every type through the built
// destination, as the platform would (states with ids), and reads them back
// with DuckDB.
func TestDestinationRoundTrip(t *testing.T) {
	_, dst, err := harness.Binaries()
	if err != nil {
		t.Fatal(err)
	}
	s3 := harness.StartS3(t, acceptanceBucket)
	gen, minGen, syncID := int64(1), int64(0), int64(42)
	cat := protocol.ConfiguredCatalog{Streams: []protocol.ConfiguredStream{{
		Stream:   protocol.Stream{Name: "roundtrip", Namespace: "radar", JSONSchema: json.RawMessage(roundTripSchema), SupportedSyncModes: []protocol.SyncMode{protocol.SyncModeFullRefresh}},
		SyncMode: protocol.SyncModeFullRefresh, DestinationSyncMode: protocol.DestinationAppend,
		GenerationID: &gen, MinimumGenerationID: &minGen, SyncID: &syncID,
	}}}
	var in bytes.Buffer
	for i, row := range roundTripRows {
		fmt.Fprintf(&in, `{"type":"RECORD","record":{"namespace":"radar","stream":"roundtrip","emitted_at":%d,"data":%s}}`+"\n", 1732579200000+int64(i), row)
		if i == 1 {
			in.WriteString(`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"roundtrip","namespace":"radar"},"stream_state":{"pk":"2"}},"sourceStats":{"recordCount":2.0}},"id":101}` + "\n")
		}
	}
	in.WriteString(`{"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1.0,"stream_status":{"stream_descriptor":{"name":"roundtrip","namespace":"radar"},"status":"COMPLETE"}}}` + "\n")
	in.WriteString(`{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"roundtrip","namespace":"radar"},"stream_state":{"pk":"3"}},"sourceStats":{"recordCount":1.0},"unknown_field":[1]},"id":102}` + "\n")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := harness.Command(ctx, dst, in.Bytes(), nil, "write", "--config", destinationConfig(t, s3, ""), "--catalog", harness.WriteJSON(t, "catalog.json", cat))
	if err != nil {
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
	for _, want := range []string{`"id":101`, `"id":102`, `"unknown_field":[1]`, `"destinationStats":{"recordCount":2.0}`, `"destinationStats":{"recordCount":1.0}`} {
		if !bytes.Contains(res.Stdout, []byte(want)) {
			t.Errorf("acknowledged states lack %s: %s", want, res.Stdout)
		}
	}
	checkRoundTrip(ctx, t, s3)
}

// checkRoundTrip reads the round trip's files back with DuckDB.
func checkRoundTrip(ctx context.Context, t *testing.T, s3 *harness.S3Server) {
	t.Helper()
	files, err := s3.Download(ctx, acceptanceBucket, "acceptance/roundtrip/", t.TempDir())
	if err != nil || len(files) == 0 {
		t.Fatalf("download: %v %v", files, err)
	}
	d, err := duck.OpenDuckDB()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.DB.Exec("SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	cols, err := d.Describe(files)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	if !strings.HasPrefix(strings.Join(names, ","), "_airbyte_raw_id,_airbyte_extracted_at,_airbyte_generation_id,_airbyte_meta,id,") {
		t.Errorf("columns %v do not start with Airbyte's meta columns then the data", names)
	}
	for col, want := range roundTripWant {
		rows, err := d.DB.Query(fmt.Sprintf(`SELECT COALESCE(CAST("%s" AS VARCHAR), 'NULL') FROM %s ORDER BY id`, col, duck.ParquetSource(files)))
		if err != nil {
			t.Fatalf("column %s: %v", col, err)
		}
		var got []string
		for rows.Next() {
			var s sql.NullString
			rows.Scan(&s)
			got = append(got, s.String)
		}
		rows.Close()
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("column %s:\n got %q\nwant %q", col, got, want)
		}
	}
	var gens, syncs, extracted string
	if err := d.DB.QueryRow(fmt.Sprintf(`SELECT string_agg(DISTINCT CAST(_airbyte_generation_id AS VARCHAR)), string_agg(DISTINCT CAST(_airbyte_meta.sync_id AS VARCHAR)), CAST(min(_airbyte_extracted_at) AS VARCHAR) FROM %s`, duck.ParquetSource(files))).Scan(&gens, &syncs, &extracted); err != nil {
		t.Fatal(err)
	}
	if gens != "1" || syncs != "42" || !strings.HasPrefix(extracted, "2024-11-26 00:00:00") {
		t.Errorf("meta columns: generation %s, sync_id %s, extracted_at %s", gens, syncs, extracted)
	}
}
