package appender_test

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/appender"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/protocol/datachannel"
	"github.com/cognitivo/radar-connectors/protocol/jsonx"
)

// pv is one field of a test record: its name, the JSON text the source's
// JSON path writes for it, and the typed value its protobuf path sends.
type pv struct {
	name string
	json string
	enc  func(e *datachannel.RecordEncoder)
}

type change struct {
	field  string
	change datachannel.ChangeType
	reason datachannel.ChangeReason
	// json is the change as record.meta.changes holds it.
	json string
}

type protoCase struct {
	fields  []pv
	changes []change
	// extra values past the stream's properties (protobuf only).
	extra int
}

func jstr(raw string) string { return string(jsonx.AppendBytesString(nil, []byte(raw))) }

func str(name, raw string) pv {
	return pv{name, jstr(raw), func(e *datachannel.RecordEncoder) { e.String([]byte(raw)) }}
}

func integer(name string, v int64, text string) pv {
	return pv{name, text, func(e *datachannel.RecordEncoder) { e.Integer(v) }}
}

func number(name string, v float64, text string) pv {
	return pv{name, text, func(e *datachannel.RecordEncoder) { e.Number(v) }}
}

func bigInt(name, text string) pv {
	return pv{name, text, func(e *datachannel.RecordEncoder) { e.BigInteger([]byte(text)) }}
}

func bigDec(name, text string) pv {
	return pv{name, text, func(e *datachannel.RecordEncoder) { e.BigDecimal([]byte(text)) }}
}

func boolean(name string, v bool) pv {
	t := "false"
	if v {
		t = "true"
	}
	return pv{name, t, func(e *datachannel.RecordEncoder) { e.Bool(v) }}
}

func js(name, text string) pv {
	return pv{name, text, func(e *datachannel.RecordEncoder) { e.JSON([]byte(text)) }}
}

func null(name string) pv {
	return pv{name, "null", func(e *datachannel.RecordEncoder) { e.Null() }}
}

func days(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func date(name string, y int, m time.Month, d int, text string) pv {
	n := days(y, m, d)
	return pv{name, `"` + text + `"`, func(e *datachannel.RecordEncoder) { e.Date(n) }}
}

func clock(h, m, s, nanos int) uint64 {
	return uint64(h*3600+m*60+s)*1e9 + uint64(nanos)
}

func timeNoTZ(name string, nanos uint64, text string) pv {
	return pv{name, `"` + text + `"`, func(e *datachannel.RecordEncoder) { e.TimeWithoutTimezone(nanos) }}
}

func tsNoTZ(name string, t time.Time, text string) pv {
	d := t.Unix() / 86400
	if t.Unix() < 0 && t.Unix()%86400 != 0 {
		d--
	}
	n := uint64(t.Unix()-d*86400)*1e9 + uint64(t.Nanosecond())
	return pv{name, `"` + text + `"`, func(e *datachannel.RecordEncoder) { e.TimestampWithoutTimezone(d, n) }}
}

func tsTZ(name string, t time.Time, text string) pv {
	_, off := t.Zone()
	return pv{name, `"` + text + `"`, func(e *datachannel.RecordEncoder) {
		e.TimestampWithTimezone(t.Unix(), uint32(t.Nanosecond()), int32(off))
	}}
}

func protoCases() []protoCase {
	at := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	ist := time.FixedZone("", 5*3600+30*60)
	west := time.FixedZone("", -3*3600)
	return []protoCase{
		{}, // every value missing
		{fields: []pv{
			str("s", "plain"), boolean("b", true), integer("i", -5, "-5"), bigInt("u", "18446744073709551615"),
			number("n", 1.5, "1.5"), number("f", 0.1, "0.1"), bigDec("d", "12.34"), bigDec("w", "-0.000000000000000000000000000001"),
			bigInt("big", "123456789012345678901234567890"),
			tsTZ("ts", at, "2024-01-02T03:04:05.123456Z"), tsNoTZ("tn", at, "2024-01-02T03:04:05.123456"),
			date("dt", 2024, 2, 29, "2024-02-29"), timeNoTZ("tm", clock(23, 59, 59, 999999000), "23:59:59.999999"),
			str("bin", "aGVsbG8="), js("j", `{"a":[1,2,{"b":null}]}`),
			js("o", `{"city":"Asunción","zip":1209,"deep":{"x":[1,2.5,null]},"extra":[1]}`),
			js("oo", `{"k":[1,{"z":null}]}`), js("a", `[1,2,3]`), js("ad", `["2024-01-01","nope"]`),
			js("ao", `[{"k":"v","x":1},null]`), js("any", `[1,"x",{"y":2}]`),
			integer("un", 7, "7"), number("one", 2.25, "2.25"), str("none", "free text"),
		}},
		// Reverse order in JSON, escapes, unicode, invalid UTF-8, zones.
		{fields: []pv{
			str("none", "tab\there \"quoted\" back\\slash\nnewline \u0001"), str("un", "text in a union"),
			js("one", `{"q":true}`), str("s", "héllo wörld ✓ 𝄞"), str("j", "a\xffb\xc3"),
			tsTZ("ts", at.In(ist), "2024-01-02T08:34:05.123456+05:30"),
			tsNoTZ("tn", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), "1969-12-31T23:59:59.000000"),
			date("dt", 1000, 1, 1, "1000-01-01"), timeNoTZ("tm", 0, "00:00:00.000000"),
			integer("i", 9223372036854775807, "9223372036854775807"), number("n", 1e300, "1e+300"),
			number("f", -1e-8, "-1e-08"), boolean("b", false), bigDec("d", "-99999.99"),
			str("o", "not an object"), js("a", `[1,"2",3.5,null]`),
		}, changes: []change{
			{"s", datachannel.ChangeTruncated, datachannel.ReasonSourceFieldSizeLimitation,
				`{"field":"s","change":"TRUNCATED","reason":"SOURCE_FIELD_SIZE_LIMITATION"}`},
			{"x\"y", datachannel.ChangeNulled, datachannel.ReasonSourceSerializationError,
				`{"field":"x\"y","change":"NULLED","reason":"SOURCE_SERIALIZATION_ERROR"}`},
		}},
		// Values that do not fit their columns, nulls, trailing extras.
		{fields: []pv{
			str("i", "12"), str("b", "yes"), number("d", 1.125, "1.125"), str("dt", "2024-13-01"),
			tsTZ("ts", time.Date(2000, 6, 1, 12, 0, 0, 0, west), "2000-06-01T12:00:00.000000-03:00"),
			null("s"), null("o"), bigDec("w", "1e5"), str("tm", "25:61:00"), integer("u", -1, "-1"),
			str("bin", "not base64!"), number("one", 3, "3"), integer("un", -42, "-42"),
		}, changes: []change{
			{"i", datachannel.ChangeNulled, datachannel.ReasonSourceRetrievalError,
				`{"field":"i","change":"NULLED","reason":"SOURCE_RETRIEVAL_ERROR"}`},
		}, extra: 3},
		{fields: []pv{str("s", ""), js("oo", `{}`), js("a", `[]`), str("big", "12345")}},
		// Values the direct paths leave to the text path: nanoseconds, a
		// clock past the day, years the date parser does not read, an
		// offset with seconds.
		{fields: []pv{
			tsTZ("ts", time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC), "2024-01-02T03:04:05.123456789Z"),
			pv{"tn", `"2024-01-02T24:00:00.000000"`, func(e *datachannel.RecordEncoder) { e.TimestampWithoutTimezone(days(2024, 1, 2), 86400e9) }},
			pv{"dt", `"10000-01-01"`, func(e *datachannel.RecordEncoder) { e.Date(days(10000, 1, 1)) }},
			integer("i", -9223372036854775808, "-9223372036854775808"),
		}},
		{fields: []pv{
			tsTZ("ts", time.Date(1900, 1, 1, 0, 0, 0, 0, time.FixedZone("", 5*3600+30*60+15)), "1900-01-01T00:00:00.000000+05:30:15"),
			pv{"tn", `"-0001-12-31T00:00:00.000000"`, func(e *datachannel.RecordEncoder) { e.TimestampWithoutTimezone(days(0, 1, 1)-1, 0) }},
			pv{"dt", `"0000-01-01"`, func(e *datachannel.RecordEncoder) { e.Date(days(0, 1, 1)) }},
		}},
	}
}

// propertyNames returns the stream's property names in byte order.
func propertyNames(s *arrowschema.Stream) []string {
	var names []string
	for _, f := range s.Root.Fields {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	return names
}

// TestAppendProtoMatchesJSON: a record sent as protobuf (one typed value
// per property, in sorted property order) gives the same cells as the
// same record sent as JSON by the source (fields in schema order, as the
// source writes them), in both layouts, with the same reports. With the
// JSON fields in another order only the order of the destination's
// changes differs.
func TestAppendProtoMatchesJSON(t *testing.T) {
	for _, layout := range []arrowschema.Layout{arrowschema.Current, arrowschema.Legacy} {
		for _, schemaOrder := range []bool{true, false} {
			testAppendProto(t, layout, schemaOrder)
		}
	}
}

func testAppendProto(t *testing.T, layout arrowschema.Layout, schemaOrder bool) {
	{
		schema, err := arrowschema.Resolve([]byte(fuzzSchema), layout)
		if err != nil {
			t.Fatal(err)
		}
		names := propertyNames(schema)
		order := map[string]int{}
		for i, f := range schema.Root.Fields {
			order[f.Name] = i
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		var badJ, badP, invJ, invP []string
		optsJ := appender.Options{SyncID: 9, GenerationID: 4,
			OnBadValue:    func(p string, r protocol.ChangeReason) { badJ = append(badJ, p+":"+string(r)) },
			OnInvalidUTF8: func(p string) { invJ = append(invJ, p) }}
		optsP := optsJ
		optsP.OnBadValue = func(p string, r protocol.ChangeReason) { badP = append(badP, p+":"+string(r)) }
		optsP.OnInvalidUTF8 = func(p string) { invP = append(invP, p) }
		recJ := appender.New(mem, schema, optsJ)
		recP := appender.New(mem, schema, optsP)
		// recX stages the protobuf records as ProtoJSON gives them.
		recX := appender.New(mem, schema, appender.Options{SyncID: 9, GenerationID: 4})
		var staged []byte
		prefix := datachannel.NewStreamPrefix("ns", "st")
		var enc datachannel.RecordEncoder
		cases := protoCases()
		for round := 0; round < 3; round++ { // several rounds: scratch reuse
			for ci, c := range cases {
				emitted := int64(1700000000000 + ci)
				fields := append([]pv(nil), c.fields...)
				if schemaOrder {
					sort.SliceStable(fields, func(a, b int) bool { return order[fields[a].name] < order[fields[b].name] })
				}
				var b strings.Builder
				b.WriteByte('{')
				for k, f := range fields {
					if k > 0 {
						b.WriteByte(',')
					}
					b.WriteString(jstr(f.name) + ":" + f.json)
				}
				b.WriteByte('}')
				var meta []byte
				if len(c.changes) > 0 {
					var parts []string
					for _, ch := range c.changes {
						parts = append(parts, ch.json)
					}
					meta = []byte(`{"changes":[` + strings.Join(parts, ",") + `]}`)
				}
				recJ.Append([]byte(b.String()), emitted, meta)

				enc.Begin(prefix, emitted, []byte("p0"))
				for _, name := range names {
					var found *pv
					for k := range c.fields {
						if c.fields[k].name == name {
							found = &c.fields[k]
						}
					}
					if found == nil {
						enc.Null()
					} else {
						found.enc(&enc)
					}
				}
				for x := 0; x < c.extra; x++ {
					enc.Integer(int64(x))
				}
				for _, ch := range c.changes {
					enc.Change(ch.field, ch.change, ch.reason)
				}
				frame := enc.Finish()
				fr := datachannel.NewFrameReader(strings.NewReader(string(frame)), 1<<16)
				body, err := fr.Next()
				if err != nil {
					t.Fatal(err)
				}
				msg, err := datachannel.Parse(body)
				if err != nil || msg.Kind != datachannel.KindRecord {
					t.Fatalf("parse: %v %v", msg.Kind, err)
				}
				if err := recP.AppendProto(&msg.Record); err != nil {
					t.Fatalf("case %d: AppendProto: %v", ci, err)
				}
				data, meta, err := recX.ProtoJSON(staged[:0], &msg.Record)
				if err != nil || jsonx.Valid(data) != nil || (meta != nil && jsonx.Valid(meta) != nil) {
					t.Fatalf("case %d: ProtoJSON %s %s: %v", ci, data, meta, err)
				}
				staged = data
				recX.Append(data, msg.Record.EmittedAtMs, meta)
			}
		}
		bj, bp, bx := recJ.NewRecordBatch(), recP.NewRecordBatch(), recX.NewRecordBatch()
		compareBatches(t, layout, bj, bp, !schemaOrder)
		compareBatches(t, layout, bp, bx, false)
		bx.Release()
		recX.Release()
		if !schemaOrder {
			sort.Strings(badJ)
			sort.Strings(badP)
		}
		if strings.Join(badJ, ",") != strings.Join(badP, ",") || strings.Join(invJ, ",") != strings.Join(invP, ",") {
			t.Errorf("layout %v: reports differ: JSON %v %v, protobuf %v %v", layout, badJ, invJ, badP, invP)
		}
		if layout == arrowschema.Legacy && len(badJ) == 0 {
			t.Errorf("layout %v: the cases null no value", layout)
		}
		bj.Release()
		bp.Release()
		recJ.Release()
		recP.Release()
		mem.AssertSize(t, 0)
	}
}

// compareBatches compares two batches cell for cell, except the random
// raw id; with anyChangeOrder, the changes of _airbyte_meta as sets.
func compareBatches(t *testing.T, layout arrowschema.Layout, bj, bp arrow.RecordBatch, anyChangeOrder bool) {
	t.Helper()
	if bj.NumRows() != bp.NumRows() || bj.NumRows() == 0 {
		t.Fatalf("layout %v: %d rows from JSON, %d from protobuf", layout, bj.NumRows(), bp.NumRows())
	}
	for i := 1; i < int(bj.NumCols()); i++ { // column 0: the random raw id
		cj, cp := bj.Column(i), bp.Column(i)
		name := bj.Schema().Field(i).Name
		for r := 0; r < cj.Len(); r++ {
			if anyChangeOrder && name == arrowschema.ColMeta {
				if mj, mp := changeSet(cj, r), changeSet(cp, r); mj != mp {
					t.Errorf("layout %v row %d: changes %s from JSON, %s from protobuf", layout, r, mj, mp)
				}
				continue
			}
			if !array.SliceApproxEqual(cj, int64(r), int64(r+1), cp, int64(r), int64(r+1), array.WithNaNsEqual(true), array.WithAbsTolerance(0)) {
				sj, sp := array.NewSlice(cj, int64(r), int64(r+1)), array.NewSlice(cp, int64(r), int64(r+1))
				t.Errorf("layout %v column %s row %d: JSON %v, protobuf %v", layout, name, r, sj, sp)
				sj.Release()
				sp.Release()
			}
		}
	}
}

// changeSet describes row r of an _airbyte_meta column with its changes
// sorted.
func changeSet(col arrow.Array, r int) string {
	m := col.(*array.Struct)
	if m.IsNull(r) {
		return "null"
	}
	l := m.Field(1).(*array.List)
	ch := l.ListValues().(*array.Struct)
	start, end := l.ValueOffsets(r)
	var out []string
	for k := start; k < end; k++ {
		var parts []string
		for f := 0; f < 3; f++ {
			parts = append(parts, ch.Field(f).(*array.String).Value(int(k)))
		}
		out = append(out, strings.Join(parts, "/"))
	}
	sort.Strings(out)
	return m.Field(0).(*array.Int64).ValueStr(r) + ":" + strings.Join(out, ",")
}

// TestAppendProtoAllocs: once the scratch buffers have grown, a record
// costs no allocation beyond the builders' own growth (reserved here).
func TestAppendProtoAllocs(t *testing.T) {
	schema, err := arrowschema.Resolve([]byte(fuzzSchema), arrowschema.Current)
	if err != nil {
		t.Fatal(err)
	}
	names := propertyNames(schema)
	c := protoCases()[1]
	var enc datachannel.RecordEncoder
	enc.Begin(datachannel.NewStreamPrefix("", "st"), 1, nil)
	for _, name := range names {
		found := false
		for _, f := range c.fields {
			if f.name == name {
				f.enc(&enc)
				found = true
			}
		}
		if !found {
			enc.Null()
		}
	}
	enc.Change("s", datachannel.ChangeNulled, datachannel.ReasonSourceSerializationError)
	frame := append([]byte(nil), enc.Finish()...)
	fr := datachannel.NewFrameReader(strings.NewReader(string(frame)), 1<<16)
	body, _ := fr.Next()
	msg, err := datachannel.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	rec := appender.New(memory.NewGoAllocator(), schema, appender.Options{})
	defer rec.Release()
	for range 50 {
		_ = rec.AppendProto(&msg.Record)
	}
	rec.NewRecordBatch().Release()
	rec.Reserve(4000, 64<<20)
	allocs := testing.AllocsPerRun(1000, func() { _ = rec.AppendProto(&msg.Record) })
	if allocs > 0.5 {
		t.Errorf("%.2f allocations per record", allocs)
	}
}
