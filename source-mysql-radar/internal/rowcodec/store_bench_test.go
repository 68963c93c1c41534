package rowcodec

import (
	"testing"

	"github.com/cognitivo/radar-connectors/protocol/datachannel"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

// storeTable returns the columns and one row of the benchmark's store table.
func storeTable() ([]*column.Column, [][]byte) {
	defs := [][2]string{{"int", "int(11)"}, {"varchar", "varchar(20)"}, {"varchar", "varchar(255)"}, {"varchar", "varchar(255)"},
		{"int", "int(11)"}, {"int", "int(11)"}, {"timestamp", "timestamp"}, {"datetime", "datetime(6)"},
		{"varchar", "varchar(255)"}, {"varchar", "varchar(50)"}, {"decimal", "decimal(15,2)"}, {"tinyint", "tinyint(1)"},
		{"varchar", "varchar(255)"}, {"varchar", "varchar(100)"}, {"varchar", "varchar(100)"}, {"char", "char(2)"},
		{"varchar", "varchar(10)"}, {"double", "double"}, {"double", "double"}, {"date", "date"},
		{"int", "int(11)"}, {"char", "char(36)"}, {"text", "text"}, {"datetime", "datetime"}}
	var cols []*column.Column
	for i, d := range defs {
		c := col(d[0], d[1])
		c.Name = "Column_" + string(rune('A'+i))
		cols = append(cols, c)
	}
	row := [][]byte{[]byte("123456"), []byte("72.892.679/8925-27"), []byte("Raia Pereira Conceição ME"), []byte("Raia Centro - Loja 2"),
		[]byte("1"), []byte("19"), []byte("2018-01-18 07:17:07"), []byte("2023-03-12 19:36:41.889204"),
		[]byte("loja1@pereira.com.br"), []byte("(79) 98907-4286"), []byte("154257.29"), []byte("1"),
		[]byte("Rua Ferreira, 2122"), []byte("Centro"), []byte("Curitiba"), []byte("PR"), []byte("84176-697"),
		[]byte("-10.967056"), []byte("-67.453712"), []byte("2011-08-09"), []byte("3850"),
		[]byte("6d1adc0c-6203-b1b0-8791-fb31cff7d6d6"), nil, nil}
	return cols, row
}

// BenchmarkStoreRow encodes one row of the benchmark's store table.
func BenchmarkStoreRow(b *testing.B) {
	cols, row := storeTable()
	r := NewRowEncoder(cols)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = r.AppendObject(buf[:0], row)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkProtoRowStore encodes the same row as a data-channel record
// frame, with the CDC metadata fields of an incremental sync.
func BenchmarkProtoRowStore(b *testing.B) {
	cols, row := storeTable()
	p := NewProtoRow(cols, []string{"_ab_cdc_cursor", "_ab_cdc_deleted_at", "_ab_cdc_log_file", "_ab_cdc_log_pos", "_ab_cdc_updated_at"})
	prefix := datachannel.NewStreamPrefix("radar", "store")
	logFile, updated := []byte("mysql-bin.000042"), []byte("2024-01-02T03:04:05.000000Z")
	fill := func(e *datachannel.RecordEncoder, i int) {
		switch i {
		case 0:
			e.Integer(1704164645000000)
		case 2:
			e.String(logFile)
		case 3:
			e.Integer(123456789)
		case 4:
			e.String(updated)
		default:
			e.Null()
		}
	}
	var e datachannel.RecordEncoder
	var frame []byte
	b.ReportAllocs()
	for b.Loop() {
		e.Begin(prefix, 1700000000000, nil)
		p.Encode(&e, row, fill)
		frame = e.Finish()
	}
	b.SetBytes(int64(len(frame)))
}
