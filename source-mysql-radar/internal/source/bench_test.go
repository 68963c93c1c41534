package source

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/testdb"
)

// The benchmark table: the 24-column `store` table of
// shared/reference/test-environment.md section 7, 1,000,000 rows generated
// deterministically once and kept in srcradar_bench between runs.
const (
	benchDB   = "srcradar_bench"
	benchRows = 1_000_000
	benchGen  = "store-v1-1000000"
)

const storeDDL = `CREATE TABLE store (
  Id INT NOT NULL PRIMARY KEY, CNPJ VARCHAR(20) NOT NULL, Company_Name VARCHAR(255) NOT NULL, Name VARCHAR(255) NOT NULL,
  Status INT NOT NULL, Brand INT NOT NULL, Created_At TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, Modified_At DATETIME(6) NOT NULL,
  Email VARCHAR(255) NULL, Phone VARCHAR(50) NULL, Revenue DECIMAL(15,2) NOT NULL, Active TINYINT(1) NOT NULL,
  Address VARCHAR(255) NOT NULL, Neighborhood VARCHAR(100) NOT NULL, City VARCHAR(100) NOT NULL, State CHAR(2) NOT NULL,
  Zip_Code VARCHAR(10) NOT NULL, Latitude DOUBLE NOT NULL, Longitude DOUBLE NOT NULL, Opening_Date DATE NOT NULL,
  Manager_Id INT NULL, External_Code CHAR(36) NOT NULL, Notes TEXT NULL, Deleted_At DATETIME NULL,
  KEY idx_modified (Modified_At)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`

var (
	benchFirst  = []string{"Farmácia", "Drogaria", "Droga", "Nissei", "Pague Menos", "São João", "Panvel", "Raia"}
	benchLast   = []string{"Souza", "Oliveira", "Santos", "Lima", "Pereira", "Ferreira", "Almeida", "Conceição"}
	benchCities = []string{"São Paulo", "Curitiba", "Belo Horizonte", "Porto Alegre", "Goiânia", "Florianópolis", "Maringá", "Ribeirão Preto"}
	benchStates = []string{"SP", "PR", "MG", "RS", "GO", "SC", "PR", "SP"}
	benchHoods  = []string{"Moema", "Centro", "Batel", "Savassi", "Moinhos de Vento", "Setor Bueno", "Trindade", "Jardim Paulista"}
)

// ensureStore creates the benchmark table unless it is already there.
func ensureStore(b *testing.B) {
	root := testdb.Open(b)
	var marker string
	_ = root.QueryRow("SELECT generation FROM `" + benchDB + "`.bench_marker").Scan(&marker)
	if marker == benchGen {
		return
	}
	b.Logf("generating %d rows in %s.store (once)", benchRows, benchDB)
	start := time.Now()
	ctx := context.Background()
	conn, err := root.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			b.Fatalf("%.100s: %v", q, err)
		}
	}
	exec("SET SESSION sql_log_bin = 0")
	exec("SET SESSION unique_checks = 0")
	exec("DROP DATABASE IF EXISTS `" + benchDB + "`")
	exec("CREATE DATABASE `" + benchDB + "`")
	exec("USE `" + benchDB + "`")
	exec(storeDDL)
	rng := rand.New(rand.NewPCG(20261125, 7))
	var sb strings.Builder
	for i := 1; i <= benchRows; {
		sb.Reset()
		sb.WriteString("INSERT INTO store VALUES ")
		for j := 0; j < 1000 && i <= benchRows; j, i = j+1, i+1 {
			if j > 0 {
				sb.WriteByte(',')
			}
			writeStoreRow(&sb, rng, i)
		}
		exec(sb.String())
	}
	exec("CREATE TABLE bench_marker (generation varchar(40))")
	exec("INSERT INTO bench_marker VALUES ('" + benchGen + "')")
	b.Logf("generated in %s", time.Since(start).Round(time.Second))
}

func writeStoreRow(sb *strings.Builder, r *rand.Rand, id int) {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	city := r.IntN(len(benchCities))
	nullable := func(pct int, v string) string {
		if r.IntN(100) < pct {
			return "NULL"
		}
		return v
	}
	first, last := pick(benchFirst), pick(benchLast)
	notes := "NULL"
	if r.IntN(100) < 20 {
		notes = "'" + strings.Repeat("Observação sobre a loja. ", 2+r.IntN(9)) + "'"
	}
	fmt.Fprintf(sb, "(%d,'%02d.%03d.%03d/%04d-%02d','%s %s %s ME','%s %s - Loja %d',%d,%d,'%s','%s',%s,%s,%d.%02d,%d,'Rua %s, %d','%s','%s','%s','%05d-%03d',%.6f,%.6f,'%s',%s,'%08x-%04x-%04x-%04x-%012x',%s,%s)",
		id, r.IntN(100), r.IntN(1000), r.IntN(1000), r.IntN(10000), r.IntN(100),
		first, last, pick(benchLast), first, benchHoods[city], id%50+1,
		r.IntN(5), r.IntN(40),
		time.Unix(1500000000+int64(r.IntN(200000000)), 0).UTC().Format("2006-01-02 15:04:05"),
		time.Unix(1600000000+int64(r.IntN(100000000)), int64(r.IntN(1000000))*1000).UTC().Format("2006-01-02 15:04:05.000000"),
		nullable(5, fmt.Sprintf("'loja%d@%s.com.br'", id, strings.ToLower(strings.ReplaceAll(last, "ç", "c")))),
		nullable(5, fmt.Sprintf("'(%02d) 9%04d-%04d'", 11+r.IntN(80), r.IntN(10000), r.IntN(10000))),
		r.IntN(10000000), r.IntN(100), r.IntN(2),
		pick(benchLast), r.IntN(5000), benchHoods[city], benchCities[city], benchStates[city], r.IntN(100000), r.IntN(1000),
		-33+r.Float64()*30, -73+r.Float64()*38,
		time.Unix(946684800+int64(r.IntN(800000000)), 0).UTC().Format("2006-01-02"),
		nullable(10, fmt.Sprint(1+r.IntN(5000))),
		r.Uint32(), r.IntN(65536), r.IntN(65536), r.IntN(65536), r.Uint64()&0xffffffffffff,
		notes,
		nullable(95, "'"+time.Unix(1700000000+int64(r.IntN(10000000)), 0).UTC().Format("2006-01-02 15:04:05")+"'"))
}

// rawScan reads the table with a plain go-sql-driver RawBytes scan, the
// baseline the source is compared with.
func rawScan(b *testing.B, db *sql.DB) (rows int64, d time.Duration) {
	start := time.Now()
	rs, err := db.Query("SELECT * FROM store")
	if err != nil {
		b.Fatal(err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	vals := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	var bytes int
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			b.Fatal(err)
		}
		for _, v := range vals {
			bytes += len(v)
		}
		rows++
	}
	if err := rs.Err(); err != nil {
		b.Fatal(err)
	}
	return rows, time.Since(start)
}

// BenchmarkReadStore compares `source-mysql-radar read > /dev/null` on the
// 1M-row store table with a plain RawBytes scan of the same table, in the
// same run, and reports the peak RSS of the source process.
//
//	go test ./internal/source -run '^$' -bench ReadStore -benchtime 3x
func BenchmarkReadStore(b *testing.B) {
	ensureStore(b)
	host, port := testdb.HostPort()
	cfg := testdb.Config(benchDB, map[string]any{"host": host, "port": port})
	catalog := map[string]any{"streams": []any{map[string]any{
		"stream":    map[string]any{"name": "store", "namespace": benchDB, "json_schema": map[string]any{}, "supported_sync_modes": []string{"full_refresh"}},
		"sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}}}
	dir := b.TempDir()
	cfgPath := dir + "/config.json"
	catPath := dir + "/catalog.json"
	os.WriteFile(cfgPath, mustJSON(cfg), 0o600)
	os.WriteFile(catPath, mustJSON(catalog), 0o600)
	db := testdb.Open(b)
	if _, err := db.Exec("USE `" + benchDB + "`"); err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()

	// The machine is shared and noisy: the two readers alternate, and the
	// best time of each is compared.
	var rawBest, srcBest time.Duration
	var maxRSS int64
	var rows int64
	runSource := func() {
		d, rss := runSourceRead(b, binary, devnull, "read", "--config", cfgPath, "--catalog", catPath)
		if srcBest == 0 || d < srcBest {
			srcBest = d
		}
		maxRSS = max(maxRSS, rss)
	}
	i := 0
	for b.Loop() {
		if i%2 == 1 {
			runSource()
		}
		n, d := rawScan(b, db)
		rows = n
		if rawBest == 0 || d < rawBest {
			rawBest = d
		}
		if i%2 == 0 {
			runSource()
		}
		i++
	}
	rawRate := float64(rows) / rawBest.Seconds()
	srcRate := float64(rows) / srcBest.Seconds()
	b.ReportMetric(rawRate, "raw_rows/s")
	b.ReportMetric(srcRate, "source_rows/s")
	b.ReportMetric(srcRate/rawRate, "ratio")
	b.ReportMetric(float64(maxRSS)/1024, "source_peak_rss_MB")
}

// runSourceRead runs the built source with args, its output discarded, and
// returns its wall time and peak RSS (ru_maxrss, KiB).
func runSourceRead(b *testing.B, binary string, devnull *os.File, args ...string) (time.Duration, int64) {
	b.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdout = devnull
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("source read: %v\n%s", err, stderr.String())
	}
	d := time.Since(start)
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return d, rss
}
