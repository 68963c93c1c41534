package rowcodec

import (
	"testing"

	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
)

// BenchmarkStoreRow encodes one row of the benchmark's store table.
func BenchmarkStoreRow(b *testing.B) {
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
	r := NewRowEncoder(cols)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = r.AppendObject(buf[:0], row)
	}
	b.SetBytes(int64(len(buf)))
}
