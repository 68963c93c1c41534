package destination

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	pqfile "github.com/apache/arrow-go/v18/parquet/file"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
)

// TestSizeReport writes SIZE_ROWS (default 1M) records of the bench's
// narrow table (integration_tests/bench/tables.go: id sequential, a, b, c
// random, as the source emits them, about 1,000 records per emitted_at ms),
// or with SIZE_TABLE=store of its 24-column store table (100 records per
// ms), through the whole write path (protocol reader, appenders, the Parquet
// writer with the default config: SNAPPY, dictionaries, row groups sized
// by the memory budget) into the fake S3, then prints each column's
// compressed size (column chunk total_compressed_size summed over row
// groups) and encodings, and the file size. It is a measurement, skipped
// under -short, and fails if the raw ids take more than 8 bytes a row:
//
//	go test ./internal/destination/ -run TestSizeReport -count=1 -v
//
// SIZE_FORMAT adds format settings as JSON, e.g. {"delta_encoding":true}.
func TestSizeReport(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	rows := 1_000_000
	if v := os.Getenv("SIZE_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	format := map[string]any{"format_type": "Parquet"}
	if v := os.Getenv("SIZE_FORMAT"); v != "" {
		if err := json.Unmarshal([]byte(v), &format); err != nil {
			t.Fatal(err)
		}
	}
	table, schema, record := "narrow", narrowSchema, narrowRecord
	if os.Getenv("SIZE_TABLE") == "store" {
		table, schema, record = "store", benchStoreSchema, benchStoreRecord
	}
	srv := s3test.Start(t)
	dir := t.TempDir()
	cfg := writeJSON(t, dir, "config.json", srv.Config(map[string]any{"format": format}))
	cat := writeJSON(t, dir, "catalog.json", catalog(catalogStream{name: table, namespace: "bench", schema: schema}))
	pr, pw := io.Pipe()
	go func() {
		rng := rand.New(rand.NewPCG(1, 1))
		var b []byte
		for i := int64(0); i < int64(rows); i++ {
			b = record(b[:0], rng, i)
			if _, err := pw.Write(b); err != nil {
				return
			}
		}
		pw.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	code := airbytecli.RunDestination(ctx, New("test"), airbytecli.Options{Name: "destination-s3-parquet"},
		[]string{"destination-s3-parquet", "write", "--config", cfg, "--catalog", cat}, pr, io.Discard, &stderr)
	pr.Close()
	if code != 0 {
		t.Fatalf("write exit %d: %s", code, stderr.Bytes())
	}
	keys := parquetKeys(t, srv, "airbyte/raw/bench/"+table+"/")
	if len(keys) == 0 {
		t.Fatal("no file written")
	}
	local := srv.Download(t, keys)
	var paths []string
	for _, k := range keys {
		paths = append(paths, local[k])
	}
	_, cols := reportSizes(t, paths)
	// Random (version 4) raw ids took 37.7 bytes a row, time-ordered ones
	// take about 5 with the default settings.
	if cols[0].path != "_airbyte_raw_id" || float64(cols[0].bytes)/float64(rows) > 8 {
		t.Errorf("%s takes %.1f bytes a row, want at most 8", cols[0].path, float64(cols[0].bytes)/float64(rows))
	}
}

// narrowRecord appends row i of the bench's narrow table as a RECORD line.
func narrowRecord(b []byte, rng *rand.Rand, i int64) []byte {
	b = append(b, `{"type":"RECORD","record":{"namespace":"bench","stream":"narrow","emitted_at":`...)
	b = strconv.AppendInt(b, 1764123456789+i/1000, 10)
	b = append(b, `,"data":{"id":`...)
	b = strconv.AppendInt(b, i+1, 10)
	b = append(b, `,"a":`...)
	b = strconv.AppendInt(b, rng.Int64N(1_000_000_000_000), 10)
	b = append(b, `,"b":`...)
	b = strconv.AppendInt(b, int64(rng.Int32()), 10)
	b = append(b, `,"c":`...)
	b = strconv.AppendInt(b, 1_600_000_000_000+i*37+rng.Int64N(37), 10)
	return append(b, "}}}\n"...)
}

// benchStoreSchema is the bench's store table as the source describes it
// (examples/local/catalog.json).
const benchStoreSchema = `{"type":"object","properties":{"Id":{"type":"number","airbyte_type":"integer","x-mysql-type":"int(11)"},"CNPJ":{"type":"string","maxLength":20,"x-mysql-type":"varchar(20)"},"Company_Name":{"type":"string","maxLength":255,"x-mysql-type":"varchar(255)"},"Name":{"type":"string","maxLength":255,"x-mysql-type":"varchar(255)"},"Status":{"type":"number","airbyte_type":"integer","x-mysql-type":"int(11)"},"Brand":{"type":"number","airbyte_type":"integer","x-mysql-type":"int(11)"},"Created_At":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_with_timezone","x-mysql-type":"timestamp"},"Modified_At":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_without_timezone","x-mysql-type":"datetime(6)"},"Email":{"type":["null","string"],"maxLength":255,"x-mysql-type":"varchar(255)"},"Phone":{"type":["null","string"],"maxLength":50,"x-mysql-type":"varchar(50)"},"Revenue":{"type":"number","precision":15,"scale":2,"x-mysql-type":"decimal(15,2)"},"Active":{"type":"boolean","x-mysql-type":"tinyint(1)"},"Address":{"type":"string","maxLength":255,"x-mysql-type":"varchar(255)"},"Neighborhood":{"type":"string","maxLength":100,"x-mysql-type":"varchar(100)"},"City":{"type":"string","maxLength":100,"x-mysql-type":"varchar(100)"},"State":{"type":"string","maxLength":2,"x-mysql-type":"char(2)"},"Zip_Code":{"type":"string","maxLength":10,"x-mysql-type":"varchar(10)"},"Latitude":{"type":"number","x-mysql-type":"double"},"Longitude":{"type":"number","x-mysql-type":"double"},"Opening_Date":{"type":["null","string"],"format":"date","x-mysql-type":"date"},"Manager_Id":{"type":["null","number"],"airbyte_type":"integer","x-mysql-type":"int(11)"},"External_Code":{"type":"string","maxLength":36,"x-mysql-type":"char(36)"},"Notes":{"type":["null","string"],"x-mysql-type":"text"},"Deleted_At":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_without_timezone","x-mysql-type":"datetime"}}}`

var (
	benchCities  = []string{"São Paulo", "Curitiba", "Porto Alegre", "Belo Horizonte", "Florianópolis", "Londrina", "Maringá", "Joinville", "Ribeirão Preto", "Goiânia", "Campinas", "Cascavel"}
	benchStates  = []string{"SP", "PR", "RS", "MG", "SC", "PR", "PR", "SC", "SP", "GO", "SP", "PR"}
	benchBrands  = []string{"Nissei", "Raia", "Drogasil", "Pague Menos", "Panvel", "São João", "Venâncio", "Droga Leste"}
	benchStreets = []string{"Rua das Flores", "Av. Brasil", "Rua XV de Novembro", "Av. Paulista", "Rua Marechal Deodoro", "Av. Sete de Setembro", "Rua Barão do Rio Branco", "Av. Getúlio Vargas"}
	benchHoods   = []string{"Centro", "Vila Mariana", "Batel", "Moema", "Água Verde", "Savassi", "Boa Vista", "Jardim Botânico", "Cabral"}
	benchSurname = []string{"Silva", "Souza", "Oliveira", "Santos", "Pereira", "Costa", "Rodrigues", "Almeida", "Nascimento", "Lima", "Araújo", "Ferreira"}
	benchDomains = []string{"nissei", "raia", "drogasil", "paguemenos", "panvel", "saojoao", "venancio", "drogaleste"}
	benchWords   = []string{"comprimido", "revestido", "uso", "adulto", "pediátrico", "indicado", "para", "alívio", "dor", "febre", "tratamento", "hipertensão",
		"arterial", "colesterol", "embalagem", "contém", "frasco", "com", "ml", "de", "solução", "oral", "gotas", "cápsulas", "não", "utilizar", "em", "caso",
		"hipersensibilidade", "aos", "componentes", "da", "fórmula", "consulte", "o", "médico", "farmacêutico", "mantenha", "fora", "do", "alcance", "das",
		"crianças", "armazenar", "temperatura", "ambiente", "proteger", "luz", "umidade", "registro", "MS", "lote", "validade", "meses", "após", "fabricação",
		"princípio", "ativo", "excipientes", "q.s.p.", "posologia", "via", "administração", "sabor", "morango", "laranja", "sem", "açúcar", "glúten", "lactose"}
)

// benchStoreRecord appends row i of the bench's store table as the source
// writes it: the generator of integration_tests/bench/tables.go (the same
// random draws in the same order), values in the source's JSON forms
// (TIMESTAMP "…T….000000Z", DATETIME "…T….ffffff", DECIMAL and DOUBLE as
// MySQL's text, TINYINT(1) as a boolean).
func benchStoreRecord(b []byte, r *rand.Rand, i int64) []byte {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	digits := func(b []byte, n int) []byte {
		for range n {
			b = append(b, byte('0'+r.IntN(10)))
		}
		return b
	}
	two := func(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	dateTime := func(b []byte, micros, utc bool) []byte {
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(2015+r.IntN(15)), 10)
		b = append(b, '-')
		b = two(b, 1+r.IntN(12))
		b = append(b, '-')
		b = two(b, 1+r.IntN(28))
		b = append(b, 'T')
		b = two(b, r.IntN(24))
		b = append(b, ':')
		b = two(b, r.IntN(60))
		b = append(b, ':')
		b = two(b, r.IntN(60))
		b = append(b, '.')
		if micros {
			b = digits(b, 6)
		} else {
			b = append(b, "000000"...)
		}
		if utc {
			b = append(b, 'Z')
		}
		return append(b, '"')
	}
	id := i + 1
	brand := r.IntN(len(benchBrands))
	city := r.IntN(len(benchCities))
	b = append(b, `{"type":"RECORD","record":{"namespace":"bench","stream":"store","emitted_at":`...)
	b = strconv.AppendInt(b, 1764123456789+i/100, 10)
	b = append(b, `,"data":{"Id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"CNPJ":"`...)
	b = digits(b, 2)
	b = append(b, '.')
	b = digits(b, 3)
	b = append(b, '.')
	b = digits(b, 3)
	b = append(b, "/0"...)
	b = digits(b, 3)
	b = append(b, '-')
	b = digits(b, 2)
	b = append(b, `","Company_Name":"Farmácia `...)
	b = append(b, pick(benchSurname)...)
	b = append(b, ' ')
	b = append(b, pick(benchSurname)...)
	b = append(b, ` ME","Name":"`...)
	b = append(b, benchBrands[brand]...)
	b = append(b, ' ')
	b = append(b, pick(benchHoods)...)
	b = append(b, " - Loja "...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `","Status":`...)
	b = strconv.AppendInt(b, int64(r.IntN(4)), 10)
	b = append(b, `,"Brand":`...)
	b = strconv.AppendInt(b, int64(brand+1), 10)
	b = append(b, `,"Created_At":`...)
	b = dateTime(b, false, true)
	b = append(b, `,"Modified_At":`...)
	b = dateTime(b, true, false)
	b = append(b, `,"Email":`...)
	if r.IntN(100) < 5 {
		b = append(b, "null"...)
	} else {
		b = append(b, `"loja`...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '@')
		b = append(b, benchDomains[brand]...)
		b = append(b, `.com.br"`...)
	}
	b = append(b, `,"Phone":`...)
	if r.IntN(100) < 5 {
		b = append(b, "null"...)
	} else {
		b = append(b, `"(`...)
		b = strconv.AppendInt(b, int64(11+r.IntN(89)), 10)
		b = append(b, ") 9"...)
		b = digits(b, 4)
		b = append(b, '-')
		b = digits(b, 4)
		b = append(b, '"')
	}
	b = append(b, `,"Revenue":`...)
	b = strconv.AppendInt(b, r.Int64N(1_000_000_000), 10)
	b = append(b, '.')
	b = digits(b, 2)
	b = append(b, `,"Active":`...)
	b = strconv.AppendBool(b, r.IntN(10) > 1)
	b = append(b, `,"Address":"`...)
	b = append(b, pick(benchStreets)...)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, int64(1+r.IntN(4999)), 10)
	b = append(b, `","Neighborhood":"`...)
	b = append(b, pick(benchHoods)...)
	b = append(b, `","City":"`...)
	b = append(b, benchCities[city]...)
	b = append(b, `","State":"`...)
	b = append(b, benchStates[city]...)
	b = append(b, `","Zip_Code":"`...)
	b = digits(b, 5)
	b = append(b, '-')
	b = digits(b, 3)
	b = append(b, `","Latitude":`...)
	b = strconv.AppendFloat(b, -23.5+r.Float64()*2, 'g', -1, 64)
	b = append(b, `,"Longitude":`...)
	b = strconv.AppendFloat(b, -46.6+r.Float64()*2, 'g', -1, 64)
	b = append(b, `,"Opening_Date":"`...)
	b = strconv.AppendInt(b, int64(2000+r.IntN(28)), 10)
	b = append(b, '-')
	b = two(b, 1+r.IntN(12))
	b = append(b, '-')
	b = two(b, 1+r.IntN(28))
	b = append(b, `","Manager_Id":`...)
	if r.IntN(100) < 10 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(1+r.IntN(5000)), 10)
	}
	b = append(b, `,"External_Code":"`...)
	for k := range 32 {
		if k == 8 || k == 12 || k == 16 || k == 20 {
			b = append(b, '-')
		}
		b = append(b, "0123456789abcdef"[r.IntN(16)])
	}
	b = append(b, `","Notes":`...)
	if r.IntN(100) < 80 {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		n, start := 40+r.IntN(200), len(b)
		for len(b)-start < n {
			if len(b) > start {
				switch r.IntN(12) {
				case 0:
					b = append(b, ". "...)
				case 1:
					b = append(b, ", "...)
				default:
					b = append(b, ' ')
				}
			}
			b = append(b, pick(benchWords)...)
		}
		b = append(b, '"')
	}
	b = append(b, `,"Deleted_At":`...)
	if r.IntN(100) < 95 {
		b = append(b, "null"...)
	} else {
		b = dateTime(b, false, false)
	}
	return append(b, "}}}\n"...)
}

// columnSize is one column's share of the files.
type columnSize struct {
	path      string
	bytes     int64
	encodings map[string]bool
}

// reportSizes prints the per-column compressed sizes of Parquet files.
func reportSizes(t *testing.T, paths []string) (total int64, cols []columnSize) {
	t.Helper()
	var rowsN int64
	groups := 0
	for _, p := range paths {
		r, err := pqfile.OpenParquetFile(p, false)
		if err != nil {
			t.Fatal(err)
		}
		md := r.MetaData()
		rowsN += md.NumRows
		for g := 0; g < md.NumRowGroups(); g++ {
			groups++
			rg := md.RowGroup(g)
			for c := 0; c < rg.NumColumns(); c++ {
				cc, err := rg.ColumnChunk(c)
				if err != nil {
					t.Fatal(err)
				}
				if c >= len(cols) {
					cols = append(cols, columnSize{path: cc.PathInSchema().String(), encodings: map[string]bool{}})
				}
				cols[c].bytes += cc.TotalCompressedSize()
				for _, e := range cc.Encodings() {
					cols[c].encodings[e.String()] = true
				}
			}
		}
		r.Close()
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		total += st.Size()
	}
	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "column\tMiB\tbytes/row\tencodings\t\n")
	for _, c := range cols {
		var enc []string
		for e := range c.encodings {
			enc = append(enc, e)
		}
		sort.Strings(enc)
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%s\t\n", c.path, float64(c.bytes)/(1<<20), float64(c.bytes)/float64(max(rowsN, 1)), strings.Join(enc, ","))
	}
	fmt.Fprintf(tw, "file(s)\t%.2f\t%.2f\t%d rows, %d row groups, %d file(s), %.1f MB\t\n", float64(total)/(1<<20), float64(total)/float64(max(rowsN, 1)),
		rowsN, groups, len(paths), float64(total)/1e6)
	tw.Flush()
	t.Logf("%s:\n%s", filepath.Base(paths[0]), sb.String())
	return total, cols
}
