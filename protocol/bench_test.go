package protocol_test

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/cognitivo/radar-connectors/protocol"
)

// storeRow is a 24-column row shaped like the team's store table (~700 B).
var storeRow = []byte(`{"Id":123456,"CNPJ":"00.485.780/0014-30","Company_Name":"Farmácia Souza Oliveira ME","Name":"Nissei Moema - Loja 1","Status":1,"Brand":42,"Created_At":"2023-03-30T12:34:56.000000Z","Modified_At":"2024-01-02T03:04:05.123456","Email":"contato@farmaciasouza.com.br","Phone":"(56) 97295-1138","Revenue":1234567.89,"Active":true,"Address":"Rua das Flores, 1234","Neighborhood":"Vila Mariana","City":"São Paulo","State":"SP","Zip_Code":"04001-000","Latitude":-23.5874162,"Longitude":-46.6576336,"Opening_Date":"2015-06-01","Manager_Id":null,"External_Code":"6f1c3a2e-9b7d-4e21-8f5a-2c9d1e0b7a44","Notes":null,"Deleted_At":null}`)

// BenchmarkWriteRecord measures the source's RECORD write path: the
// envelope around pre-encoded data, into a buffered writer.
func BenchmarkWriteRecord(b *testing.B) {
	w := protocol.NewWriter(io.Discard)
	p := protocol.NewRecordPrefix("radar", "store")
	b.SetBytes(int64(len(storeRow)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := w.WriteRecord(p, 1719000000123, storeRow, nil); err != nil {
			b.Fatal(err)
		}
	}
	_ = w.Flush()
}

// BenchmarkWriteRecordEncodingJSON is the reflection baseline for comparison.
func BenchmarkWriteRecordEncodingJSON(b *testing.B) {
	w := protocol.NewWriter(io.Discard)
	b.SetBytes(int64(len(storeRow)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m := &protocol.Message{Type: protocol.TypeRecord, Record: &protocol.RecordMessage{Namespace: "radar", Stream: "store", EmittedAt: 1719000000123, Data: json.RawMessage(storeRow)}}
		if err := w.Write(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReaderRecord measures the destination's read path: line split,
// envelope parse, record routing fields, data kept raw ("learned": with
// the envelope learned from the first line; "full": every line parsed in
// full; "indexed": learned, and data's fields located).
func BenchmarkReaderRecord(b *testing.B) {
	b.Run("learned", func(b *testing.B) { benchmarkReaderRecord(b, false, false) })
	b.Run("full", func(b *testing.B) { benchmarkReaderRecord(b, true, false) })
	b.Run("indexed", func(b *testing.B) { benchmarkReaderRecord(b, false, true) })
}

func benchmarkReaderRecord(b *testing.B, full, index bool) {
	var line bytes.Buffer
	w := protocol.NewWriter(&line)
	_ = w.WriteRecord(protocol.NewRecordPrefix("radar", "store"), 1719000000123, storeRow, nil)
	_ = w.Flush()
	const n = 4096
	input := bytes.Repeat(line.Bytes(), n)
	b.SetBytes(int64(line.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	var r *protocol.Reader
	for i := 0; i < b.N; i++ {
		if i%n == 0 {
			b.StopTimer()
			r = protocol.NewReader(bytes.NewReader(input))
			if full {
				protocol.FullParse(r)
			}
			r.IndexRecordData(index)
			b.StartTimer()
		}
		e, err := r.Next()
		if err != nil {
			b.Fatal(err)
		}
		if len(e.Record.Data) != len(storeRow) {
			b.Fatal("bad record")
		}
	}
}

// BenchmarkReaderEncodingJSON is the reflection baseline for comparison.
func BenchmarkReaderEncodingJSON(b *testing.B) {
	var line bytes.Buffer
	w := protocol.NewWriter(&line)
	_ = w.WriteRecord(protocol.NewRecordPrefix("radar", "store"), 1719000000123, storeRow, nil)
	_ = w.Flush()
	b.SetBytes(int64(line.Len()))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var m protocol.Message
		if err := json.Unmarshal(line.Bytes(), &m); err != nil {
			b.Fatal(err)
		}
	}
}
