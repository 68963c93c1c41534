package destination

import (
	"database/sql"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	pqfile "github.com/apache/arrow-go/v18/parquet/file"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
)

// athenaEncodings are the Parquet encodings Athena engine 2 (Presto) and
// every Glue version read.
var athenaEncodings = map[string]bool{"PLAIN": true, "RLE": true, "RLE_DICTIONARY": true, "PLAIN_DICTIONARY": true, "BIT_PACKED": true}

// TestEncodingsReadBack writes the same narrow and store records with the
// default settings and with delta_encoding, in both layouts, then checks that the default
// files use only the encodings every Athena engine reads, that the delta
// files use the delta encodings, that DuckDB reads both to the same
// values, and that the raw ids are version 7 UUIDs, distinct, increasing
// within each row group, with the time of the sync.
func TestEncodingsReadBack(t *testing.T) {
	const narrowRows, storeRows = 200_000, 20_000
	var in strings.Builder
	rng := rand.New(rand.NewPCG(1, 1))
	var b []byte
	var sumA int64
	for i := int64(0); i < narrowRows; i++ {
		b = narrowRecord(b[:0], rng, i)
		in.Write(b)
	}
	rng = rand.New(rand.NewPCG(1, 2))
	for i := 0; i < storeRows; i++ {
		b = s3test.AppendStoreRecord(b[:0], rng, "store", i+1)
		in.Write(b)
	}
	rng = rand.New(rand.NewPCG(1, 1))
	for range narrowRows {
		sumA += rng.Int64N(1_000_000_000_000)
		rng.Int32()
		rng.Int64N(37)
	}
	cat := catalog(catalogStream{name: "narrow", namespace: "bench", schema: narrowSchema}, catalogStream{name: "store", namespace: "radar", schema: s3test.StoreSchema})
	db := s3test.DuckDB(t)
	for _, layout := range []string{"current", "legacy_0_3"} {
		t.Run(layout, func(t *testing.T) { readBack(t, db, cat, in.String(), layout, narrowRows, storeRows, sumA) })
	}
}

func readBack(t *testing.T, db *sql.DB, cat map[string]any, input, layout string, narrowRows, storeRows int, sumA int64) {
	rawID := "_airbyte_raw_id"
	if layout == "legacy_0_3" {
		rawID = "_airbyte_ab_id"
	}
	var tables [2]map[string]string // stream -> read_parquet source
	for k, delta := range []bool{false, true} {
		srv := s3test.Start(t)
		start := time.Now().UnixMilli()
		r := write(t, srv.Config(map[string]any{"format": map[string]any{"format_type": "Parquet", "delta_encoding": delta, "column_layout": layout}}), cat, input)
		end := time.Now().UnixMilli()
		if r.code != 0 {
			t.Fatalf("delta %v: exit %d\n%s", delta, r.code, r.stderr)
		}
		tables[k] = map[string]string{}
		for _, stream := range []string{"bench/narrow", "radar/store"} {
			keys := parquetKeys(t, srv, "airbyte/raw/"+stream+"/")
			local := srv.Download(t, keys)
			var paths []string
			for _, key := range keys {
				paths = append(paths, local[key])
				checkEncodings(t, local[key], delta)
			}
			src := "read_parquet(" + s3test.FileList(paths) + ", file_row_number = true, filename = true)"
			tables[k][stream] = src
			rows := s3test.Query(t, db, strings.ReplaceAll(`SELECT count(*), count(DISTINCT RAWID),
				count(*) FILTER (WHERE uuid_extract_version(CAST(RAWID AS UUID)) = 7 AND RAWID = CAST(CAST(RAWID AS UUID) AS VARCHAR)
					AND substr(RAWID, 20, 1) IN ('8', '9', 'a', 'b')),
				CAST(epoch_ms(min(uuid_extract_timestamp(CAST(RAWID AS UUID)))) AS BIGINT),
				CAST(epoch_ms(max(uuid_extract_timestamp(CAST(RAWID AS UUID)))) AS BIGINT) FROM `, "RAWID", rawID)+src)
			want := narrowRows
			if stream == "radar/store" {
				want = storeRows
			}
			n := strconv.Itoa(want)
			if got := rows[0]; got[0] != n || got[1] != n || got[2] != n {
				t.Errorf("delta %v, %s: %v rows, distinct raw ids, version 7 ids; want %d each", delta, stream, got[:3], want)
			}
			if lo, _ := strconv.ParseInt(rows[0][3], 10, 64); lo < start {
				t.Errorf("delta %v, %s: raw id time %d before the sync (%d)", delta, stream, lo, start)
			}
			if hi, _ := strconv.ParseInt(rows[0][4], 10, 64); hi > end+1 {
				t.Errorf("delta %v, %s: raw id time %d after the sync (%d)", delta, stream, hi, end)
			}
			// Ids increase in file order except where a row group starts.
			down := s3test.Query(t, db, `SELECT count(*) FROM (SELECT `+rawID+` < lag(`+rawID+`) OVER (PARTITION BY filename ORDER BY file_row_number) AS down FROM `+src+`) WHERE down`)
			if d, _ := strconv.Atoi(down[0][0]); d >= rowGroups(t, paths) {
				t.Errorf("delta %v, %s: ids decrease at %d rows, more than row groups start", delta, stream, d)
			}
		}
		got := s3test.Query(t, db, `SELECT count(*), sum(id), sum(a), min(id), max(id) FROM `+tables[k]["bench/narrow"])
		if want := []string{strconv.Itoa(narrowRows), strconv.Itoa(narrowRows * (narrowRows + 1) / 2), strconv.FormatInt(sumA, 10), "1", strconv.Itoa(narrowRows)}; strings.Join(got[0], " ") != strings.Join(want, " ") {
			t.Errorf("delta %v: narrow count, sum(id), sum(a), min, max = %v, want %v", delta, got[0], want)
		}
	}
	// Every value but the raw ids is the same in both.
	for _, stream := range []string{"bench/narrow", "radar/store"} {
		q := func(src string) string {
			return `SELECT * EXCLUDE (` + rawID + `, file_row_number, filename) FROM ` + src
		}
		diff := s3test.Query(t, db, `SELECT count(*) FROM ((`+q(tables[0][stream])+` EXCEPT ALL `+q(tables[1][stream])+`) UNION ALL (`+q(tables[1][stream])+` EXCEPT ALL `+q(tables[0][stream])+`))`)
		if diff[0][0] != "0" {
			t.Errorf("%s: %s rows differ between the default and the delta files", stream, diff[0][0])
		}
	}
}

// checkEncodings checks the encodings of every column chunk of a file.
func checkEncodings(t *testing.T, path string, delta bool) {
	t.Helper()
	r, err := pqfile.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	md := r.MetaData()
	sawDelta := false
	for g := 0; g < md.NumRowGroups(); g++ {
		rg := md.RowGroup(g)
		for c := 0; c < rg.NumColumns(); c++ {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range cc.Encodings() {
				if strings.HasPrefix(e.String(), "DELTA_") {
					sawDelta = true
				}
				if !delta && !athenaEncodings[e.String()] {
					t.Errorf("%s: column %s has encoding %s", path, cc.PathInSchema(), e)
				}
			}
		}
	}
	if delta && !sawDelta {
		t.Errorf("%s: no column has a delta encoding", path)
	}
}

// rowGroups returns the number of row groups of files.
func rowGroups(t *testing.T, paths []string) int {
	n := 0
	for _, p := range paths {
		r, err := pqfile.OpenParquetFile(p, false)
		if err != nil {
			t.Fatal(err)
		}
		n += r.NumRowGroups()
		r.Close()
	}
	return n
}
