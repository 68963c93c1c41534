package reliability

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/integration_tests/duck"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"github.com/cognitivo/radar-connectors/protocol"
)

// badSchema has a column of every type family the destination converts.
const badSchema = `{"type":"object","properties":{
 "id":{"type":"integer"},
 "s":{"type":["null","string"]},
 "b":{"type":["null","boolean"]},
 "i":{"type":["null","integer"]},
 "n":{"type":["null","number"]},
 "d":{"type":["null","number"],"precision":12,"scale":2},
 "u":{"type":"number","airbyte_type":"integer","precision":20,"scale":0},
 "ts":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_with_timezone"},
 "tn":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_without_timezone"},
 "dt":{"type":["null","string"],"format":"date"},
 "tm":{"type":["null","string"],"format":"time","airbyte_type":"time_without_timezone"},
 "bin":{"type":["null","string"],"contentEncoding":"base64"},
 "o":{"type":["null","object"],"properties":{"zip":{"type":"integer"}}},
 "a":{"type":["null","array"],"items":{"type":"integer"}},
 "j":{"type":["null","string"],"x-mysql-type":"json"}
}}`

// marker is a value that must never be printed: every bad input carries
// it in its data.
const marker = "PII-MARKER-7741"

func badCatalog(t *testing.T) string {
	t.Helper()
	return harness.WriteJSON(t, "catalog.json", `{"streams":[{"stream":{"name":"t","namespace":"radar","json_schema":`+badSchema+
		`,"supported_sync_modes":["full_refresh"]},"sync_mode":"full_refresh","destination_sync_mode":"append","generation_id":1,"minimum_generation_id":0,"sync_id":5}]}`)
}

func recLine(stream, data string) string {
	return `{"type":"RECORD","record":{"namespace":"radar","stream":"` + stream + `","emitted_at":1700000000000,"data":` + data + "}}\n"
}

func stateLine(id, pos int) string {
	return `{"type":"STATE","id":` + strconv.Itoa(id) + `,"state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"t","namespace":"radar"},"stream_state":{"pos":` + strconv.Itoa(pos) + `}},"sourceStats":{"recordCount":1.0}}}` + "\n"
}

func goodLines(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		b.WriteString(recLine("t", fmt.Sprintf(`{"id":%d,"s":"row %d"}`, i, i)))
	}
	return b.String()
}

// writeResult is one destination write run on an input.
type writeResult struct {
	*harness.Result
	took   time.Duration
	prefix string
}

// runWrite feeds input to the built destination writing under its own
// bucket path, and checks what must hold for any input: valid protocol
// output, no panic, and the marker value never printed.
func runWrite(t *testing.T, s3 *harness.S3Server, input string) *writeResult {
	t.Helper()
	prefix := "bad/" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	cfg := destinationConfig(t, targetOf(s3), map[string]any{"s3_bucket_path": prefix, "format": map[string]any{"format_type": "Parquet"}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	r, err := harness.Command(ctx, dstBin, []byte(input), nil, "write", "--config", cfg, "--catalog", badCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range r.Invalid {
		t.Errorf("invalid output line: %.300s", inv)
	}
	for name, out := range map[string][]byte{"stdout": r.Stdout, "stderr": r.Stderr} {
		if bytes.Contains(out, []byte(marker)) {
			t.Errorf("a record value was printed on %s", name)
		}
		if bytes.Contains(out, []byte("panic")) || bytes.Contains(out, []byte("goroutine ")) {
			t.Errorf("%s shows a panic:\n%.2000s", name, out)
		}
	}
	return &writeResult{Result: r, took: time.Since(start), prefix: prefix}
}

// expectLineError checks a run that must fail: exit 1, one TRACE ERROR of
// type ft naming the line (and the stream, if given), no state after the
// bad line acknowledged, no object holding the bad line, no open upload.
func expectLineError(t *testing.T, s3 *harness.S3Server, r *writeResult, ft protocol.FailureType, line int, stream string) {
	t.Helper()
	errs := r.Errors()
	if r.Code != 1 || len(errs) != 1 {
		t.Fatalf("exit %d with %d TRACE ERRORs, want 1 and 1:\n%.2000s", r.Code, len(errs), r.Stdout)
	}
	te := errs[0]
	if te.FailureType != ft {
		t.Errorf("failure_type %s, want %s (%s)", te.FailureType, ft, te.Message)
	}
	if !strings.Contains(te.Message, fmt.Sprintf("line %d", line)) {
		t.Errorf("message %q does not name line %d", te.Message, line)
	}
	if stream != "" && !strings.Contains(te.Message, stream) {
		t.Errorf("message %q does not name stream %s", te.Message, stream)
	}
	for _, m := range r.OfType(protocol.TypeState) {
		if pos := string(m.State.Stream.StreamState); strings.Contains(pos, `"pos":9`) {
			t.Errorf("a state after the bad line was acknowledged: %s", pos)
		}
	}
	ups, err := s3.MultipartUploads(context.Background(), bucket)
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) > 0 {
		t.Errorf("multipart uploads left: %v", ups)
	}
	t.Logf("line %d: %s: %s", line, te.FailureType, te.Message)
}

// readBack returns the Parquet files the run wrote.
func readBack(t *testing.T, s3 *harness.S3Server, r *writeResult) []string {
	t.Helper()
	var files []string
	root := filepath.Join(s3.Dir, bucket, filepath.FromSlash(r.prefix))
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".parquet") {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// TestDestinationBadInput feeds the built destination every kind of bad
// input. Each has a defined result: an error naming the line (and the
// stream when the line says it) or a nulled value recorded in
// _airbyte_meta.changes; never a panic, never a value in the output,
// never a state acknowledged past the bad line.
func TestDestinationBadInput(t *testing.T) {
	s3 := harness.StartS3(t, bucket)
	secret := `"s":"` + marker + `"`
	before := goodLines(1, 3) + stateLine(1, 3) // lines 1-4
	after := goodLines(10, 2) + stateLine(9, 99)

	errorCases := []struct {
		name   string
		bad    string
		ft     protocol.FailureType
		stream string
	}{
		{"malformed JSON", `{"type":"RECORD","record":{"namespace":"radar","stream":"t","emitted_at":1,"data":{` + secret + `,}}}` + "\n", protocol.FailureSystem, "t"},
		{"truncated line mid-input", `{"type":"RECORD","record":{"namespace":"radar","stream":"t","emitted_at":1,"data":{"id":5,` + secret + "\n", protocol.FailureSystem, "t"},
		{"not JSON", "hello " + marker + "\n", protocol.FailureSystem, ""},
		{"record for a stream not in the catalog", recLine("secrets", `{"id":1,`+secret+`}`), protocol.FailureConfig, "radar.secrets"},
		{"record for a stream with invalid UTF-8 in its name", recLine("t\xff\xfe", `{"id":1,`+secret+`}`), protocol.FailureConfig, ""},
		{"data not an object", recLine("t", `["`+marker+`"]`), protocol.FailureSystem, "t"},
		{"record without emitted_at", `{"type":"RECORD","record":{"namespace":"radar","stream":"t","data":{` + secret + `}}}` + "\n", protocol.FailureSystem, "t"},
		{"nested deeper than the reader allows", recLine("t", `{"id":1,`+secret+`,"j":`+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+`}`), protocol.FailureSystem, "t"},
		{"state that is not an object", `{"type":"STATE","state":"` + marker + `"}` + "\n", protocol.FailureSystem, ""},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			r := runWrite(t, s3, before+tc.bad+after)
			expectLineError(t, s3, r, tc.ft, 5, tc.stream)
		})
	}

	t.Run("truncated last line", func(t *testing.T) {
		r := runWrite(t, s3, before+`{"type":"RECORD","record":{"namespace":"radar","stream":"t","emitted_at":1,"data":{"id":5,`+secret)
		expectLineError(t, s3, r, protocol.FailureSystem, 5, "t")
	})

	d, err := duck.OpenDuckDB()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	t.Run("wrong type in every column", func(t *testing.T) {
		bad := `{"id":1,"s":{"k":"` + marker + `"},"b":"` + marker + `","i":"` + marker + `","n":{"x":1},"d":"12.345` + marker + `","u":true,"ts":"` + marker + `","tn":[1],"dt":"2024-13-45","tm":"25:61:00","bin":"!` + marker + `","o":"` + marker + `","a":{"x":"` + marker + `"},"j":"` + marker + `"}`
		r := runWrite(t, s3, recLine("t", bad)+stateLine(1, 1))
		if r.Code != 0 {
			t.Fatalf("exit %d: %s", r.Code, errorsText(r.Errors()))
		}
		files := readBack(t, s3, r)
		rows := queryStrings(t, d.DB, `SELECT CAST(s AS VARCHAR), CAST(b AS VARCHAR), CAST(i AS VARCHAR), CAST(n AS VARCHAR), CAST(d AS VARCHAR), CAST(u AS VARCHAR),
			CAST(ts AS VARCHAR), CAST(tn AS VARCHAR), CAST(dt AS VARCHAR), CAST(tm AS VARCHAR), CAST(bin AS VARCHAR), CAST(o AS VARCHAR), CAST(a AS VARCHAR), j,
			list_transform(_airbyte_meta.changes, c -> c.field || ':' || c.change || ':' || c.reason)::VARCHAR
			FROM `+duck.ParquetSource(files))
		if len(rows) != 1 {
			t.Fatalf("%d rows, want 1", len(rows))
		}
		row := rows[0]
		// A string column keeps any JSON value as its text; the JSON-text
		// column keeps the string; every other column is nulled.
		if row[0] != `{"k":"`+marker+`"}` || row[13] != marker {
			t.Errorf("text columns: s=%q j=%q", row[0], row[13])
		}
		for i, name := range []string{"b", "i", "n", "d", "u", "ts", "tn", "dt", "tm", "bin", "o", "a"} {
			if v := row[i+1]; v != "NULL" {
				t.Errorf("column %s = %s, want NULL", name, v)
			}
			if !strings.Contains(row[14], name+":NULLED:DESTINATION_") {
				t.Errorf("no change recorded for column %s: %s", name, row[14])
			}
		}
		t.Logf("changes: %s", row[14])
	})

	t.Run("invalid UTF-8 in values", func(t *testing.T) {
		r := runWrite(t, s3, recLine("t", "{\"id\":1,\"s\":\"caf\xe9 "+marker+"\",\"j\":\"\xff\"}")+stateLine(1, 1))
		if r.Code != 0 {
			t.Fatalf("exit %d: %s", r.Code, errorsText(r.Errors()))
		}
		rows := queryStrings(t, d.DB, `SELECT s, j FROM `+duck.ParquetSource(readBack(t, s3, r)))
		if len(rows) != 1 || rows[0][0] != "caf\uFFFD "+marker || rows[0][1] != "\uFFFD" {
			t.Errorf("rows %q, want the invalid bytes as U+FFFD", rows)
		}
		for _, f := range []string{"field s holds invalid UTF-8", "field j holds invalid UTF-8"} {
			if !bytes.Contains(r.Stdout, []byte(f)) {
				t.Errorf("no LOG saying %q", f)
			}
		}
	})

	t.Run("deep nesting within the limit", func(t *testing.T) {
		deep := strings.Repeat(`{"a":`, 9000) + `"` + marker + `"` + strings.Repeat("}", 9000)
		r := runWrite(t, s3, recLine("t", `{"id":1,"j":`+deep+`,"o":`+deep+`}`)+stateLine(1, 1))
		if r.Code != 0 {
			t.Fatalf("exit %d: %s", r.Code, errorsText(r.Errors()))
		}
		rows := queryStrings(t, d.DB, `SELECT length(j), CAST(o AS VARCHAR), list_transform(_airbyte_meta.changes, c -> c.field)::VARCHAR FROM `+duck.ParquetSource(readBack(t, s3, r)))
		if len(rows) != 1 || rows[0][0] != strconv.Itoa(len(deep)) || rows[0][1] != `{'zip': NULL}` {
			t.Errorf("rows %q: want the JSON text kept whole and the object's undeclared fields dropped", rows)
		}
	})

	t.Run("blank lines and unknown message types are skipped", func(t *testing.T) {
		r := runWrite(t, s3, "\n  \n"+`{"type":"FUTURE_TYPE","future":{}}`+"\n"+goodLines(1, 2)+"\r\n"+stateLine(1, 2))
		if r.Code != 0 || len(r.OfType(protocol.TypeState)) != 1 {
			t.Fatalf("exit %d, %d states: %s", r.Code, len(r.OfType(protocol.TypeState)), errorsText(r.Errors()))
		}
	})

	t.Run("100 MB record", func(t *testing.T) {
		if testing.Short() {
			t.Skip("100 MB of input")
		}
		huge := strings.Repeat("x", 100<<20)
		r := runWrite(t, s3, goodLines(1, 2)+recLine("t", `{"id":3,"s":"`+huge+`","j":"`+marker+`"}`)+goodLines(4, 2)+stateLine(1, 5))
		if r.Code != 0 {
			t.Fatalf("exit %d: %s", r.Code, errorsText(r.Errors()))
		}
		rows := queryStrings(t, d.DB, `SELECT id, length(s) FROM `+duck.ParquetSource(readBack(t, s3, r))+` ORDER BY id`)
		if len(rows) != 5 || rows[2][1] != strconv.Itoa(len(huge)) {
			t.Errorf("rows %v: want 5 rows, the third with the 100 MB value whole", rows)
		}
		t.Logf("100 MB record written in %s, destination peak RSS %d MB", r.took.Round(time.Millisecond), r.PeakRSS>>20)
		if r.PeakRSS > 1<<30 {
			t.Errorf("peak RSS %d MB for one 100 MB record", r.PeakRSS>>20)
		}
	})
}

// queryStrings runs a DuckDB query and returns its rows as strings.
func queryStrings(t *testing.T, db *sql.DB, q string) [][]string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("duckdb: %v", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
