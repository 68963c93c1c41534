package cdc

import (
	"fmt"
	"strconv"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/pingcap/tidb/pkg/parser/charset"

	"github.com/cognitivo/radar-connectors/protocol"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/binlog"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/column"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/ddl"
	"github.com/cognitivo/radar-connectors/source-mysql-radar/internal/rowcodec"
)

// mapping decodes the row events of one table map: which column each
// binlog column is, how to turn it into text, and the encoder of the
// record fields.
type mapping struct {
	capture *Capture
	// version is the schema version the mapping was built for; types and
	// metas are copies of the table map's, to notice a changed table map.
	version int
	types   []byte
	metas   []uint16
	dec     *binlog.RowDecoder
	enc     *rowcodec.RowEncoder
	// idx[j] is the binlog column of the encoder's column j.
	idx  []int
	vals [][]byte
}

// matches reports whether a table map event has the mapping's layout.
func (m *mapping) matches(tme *replication.TableMapEvent, version int) bool {
	if m.version != version || len(m.types) != len(tme.ColumnType) {
		return false
	}
	for i := range m.types {
		if m.types[i] != tme.ColumnType[i] || m.metas[i] != tme.ColumnMeta[i] {
			return false
		}
	}
	return true
}

// values gathers the encoder's values from the decoded row.
func (m *mapping) values(row [][]byte) [][]byte {
	for j, i := range m.idx {
		m.vals[j] = row[i]
	}
	return m.vals
}

// realType resolves the real type of a MYSQL_TYPE_STRING column (ENUM and
// SET are logged as STRING with the real type in the metadata).
func realType(typ byte, meta uint16) byte {
	if typ == gomysql.MYSQL_TYPE_STRING && meta >= 256 {
		b0 := byte(meta >> 8)
		if b0&0x30 != 0x30 {
			return b0 | 0x30
		}
		return b0
	}
	if typ == gomysql.MYSQL_TYPE_DATE {
		return gomysql.MYSQL_TYPE_NEWDATE
	}
	return typ
}

// compatible reports whether a binlog column can be the column c: the
// binlog type matches c's type, and the metadata its precision.
func compatible(c *column.Column, typ byte, meta uint16, flavor string) bool {
	rt := realType(typ, meta)
	fsp := func() bool { return c.DatetimePrecision < 0 || int(meta) == int(c.DatetimePrecision) }
	switch c.DataType {
	case "tinyint", "bool", "boolean":
		return rt == gomysql.MYSQL_TYPE_TINY
	case "smallint":
		return rt == gomysql.MYSQL_TYPE_SHORT
	case "mediumint":
		return rt == gomysql.MYSQL_TYPE_INT24
	case "int", "integer":
		return rt == gomysql.MYSQL_TYPE_LONG
	case "bigint":
		return rt == gomysql.MYSQL_TYPE_LONGLONG
	case "float":
		return rt == gomysql.MYSQL_TYPE_FLOAT
	case "double", "real", "double precision":
		return rt == gomysql.MYSQL_TYPE_DOUBLE
	case "decimal", "numeric":
		return rt == gomysql.MYSQL_TYPE_NEWDECIMAL && int64(meta>>8) == c.Precision && int64(meta&0xff) == max(c.Scale, 0)
	case "bit":
		return rt == gomysql.MYSQL_TYPE_BIT && int64(meta>>8)*8+int64(meta&0xff) == c.Bits()
	case "date":
		return rt == gomysql.MYSQL_TYPE_NEWDATE
	case "time":
		return rt == gomysql.MYSQL_TYPE_TIME || rt == gomysql.MYSQL_TYPE_TIME2 && fsp()
	case "datetime":
		return rt == gomysql.MYSQL_TYPE_DATETIME || rt == gomysql.MYSQL_TYPE_DATETIME2 && fsp()
	case "timestamp":
		return rt == gomysql.MYSQL_TYPE_TIMESTAMP || rt == gomysql.MYSQL_TYPE_TIMESTAMP2 && fsp()
	case "year":
		return rt == gomysql.MYSQL_TYPE_YEAR
	case "char", "binary":
		return rt == gomysql.MYSQL_TYPE_STRING
	case "varchar", "varbinary":
		return rt == gomysql.MYSQL_TYPE_VARCHAR || rt == gomysql.MYSQL_TYPE_VAR_STRING
	case "tinytext", "tinyblob":
		return rt == gomysql.MYSQL_TYPE_BLOB && meta == 1
	case "text", "blob":
		return rt == gomysql.MYSQL_TYPE_BLOB && meta == 2
	case "mediumtext", "mediumblob":
		return rt == gomysql.MYSQL_TYPE_BLOB && meta == 3
	case "longtext", "longblob":
		return rt == gomysql.MYSQL_TYPE_BLOB && meta == 4
	case "json":
		if flavor == binlog.MariaDB {
			return rt == gomysql.MYSQL_TYPE_BLOB
		}
		return rt == gomysql.MYSQL_TYPE_JSON
	case "enum":
		return rt == gomysql.MYSQL_TYPE_ENUM
	case "set":
		return rt == gomysql.MYSQL_TYPE_SET
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		return rt == gomysql.MYSQL_TYPE_GEOMETRY
	}
	return true // types the connector does not know
}

// describeTypes lists a table map's column types for error messages.
func describeTypes(tme *replication.TableMapEvent) string {
	var parts []string
	for i, t := range tme.ColumnType {
		parts = append(parts, binlogTypeName(realType(t, tme.ColumnMeta[i])))
	}
	return strings.Join(parts, ", ")
}

func describeColumns(cols []*column.Column) string {
	var parts []string
	for _, c := range cols {
		parts = append(parts, c.Name+" "+c.ColumnType)
	}
	return strings.Join(parts, ", ")
}

func binlogTypeName(t byte) string {
	switch t {
	case gomysql.MYSQL_TYPE_TINY:
		return "tinyint"
	case gomysql.MYSQL_TYPE_SHORT:
		return "smallint"
	case gomysql.MYSQL_TYPE_INT24:
		return "mediumint"
	case gomysql.MYSQL_TYPE_LONG:
		return "int"
	case gomysql.MYSQL_TYPE_LONGLONG:
		return "bigint"
	case gomysql.MYSQL_TYPE_FLOAT:
		return "float"
	case gomysql.MYSQL_TYPE_DOUBLE:
		return "double"
	case gomysql.MYSQL_TYPE_NEWDECIMAL:
		return "decimal"
	case gomysql.MYSQL_TYPE_BIT:
		return "bit"
	case gomysql.MYSQL_TYPE_NEWDATE, gomysql.MYSQL_TYPE_DATE:
		return "date"
	case gomysql.MYSQL_TYPE_TIME, gomysql.MYSQL_TYPE_TIME2:
		return "time"
	case gomysql.MYSQL_TYPE_DATETIME, gomysql.MYSQL_TYPE_DATETIME2:
		return "datetime"
	case gomysql.MYSQL_TYPE_TIMESTAMP, gomysql.MYSQL_TYPE_TIMESTAMP2:
		return "timestamp"
	case gomysql.MYSQL_TYPE_YEAR:
		return "year"
	case gomysql.MYSQL_TYPE_STRING:
		return "char"
	case gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_VAR_STRING:
		return "varchar"
	case gomysql.MYSQL_TYPE_BLOB:
		return "blob"
	case gomysql.MYSQL_TYPE_JSON:
		return "json"
	case gomysql.MYSQL_TYPE_ENUM:
		return "enum"
	case gomysql.MYSQL_TYPE_SET:
		return "set"
	case gomysql.MYSQL_TYPE_GEOMETRY:
		return "geometry"
	}
	return "type " + strconv.Itoa(int(t))
}

// columnsFor picks the column of every binlog column of a table map:
// the tracked schema when its columns match the event's (by name when the
// event carries names, by type otherwise); else, with column names in the
// event, the tracked column of that name when its type matches and a
// column derived from the event's metadata when not. Without names and
// without a matching schema it fails: values are never assigned by guess.
func (r *Reader) columnsFor(tme *replication.TableMapEvent, t *Table) ([]*column.Column, []string, error) {
	n := int(tme.ColumnCount)
	names := tme.ColumnNameString()
	hasNames := len(names) == n && n > 0
	fits := t != nil && !t.Unknown && len(t.Columns) == n
	for i := 0; fits && i < n; i++ {
		fits = compatible(t.Columns[i], tme.ColumnType[i], tme.ColumnMeta[i], r.schemas.Flavor) && (!hasNames || names[i] == t.Columns[i].Name)
	}
	if fits {
		return t.Columns, nil, nil
	}
	table := string(tme.Table)
	if !hasNames {
		if t == nil || t.Unknown {
			return nil, nil, protocol.ConfigError(nil, "the schema of table %s is not known at binary log position %s (after a DDL statement the connector could not follow), and the binary log does not carry column names: set binlog_row_metadata=FULL on the server (MariaDB 10.5+, MySQL 8.0.1+), then reset the stream %s", table, r.eventPos, table)
		}
		return nil, nil, protocol.ConfigError(nil, "the row events of table %s at binary log position %s have %d columns (%s) but the schema tracked for it has %d (%s); the binary log does not carry column names to tell them apart: set binlog_row_metadata=FULL on the server (MariaDB 10.5+, MySQL 8.0.1+), then reset the stream %s",
			table, r.eventPos, n, describeTypes(tme), len(t.Columns), describeColumns(t.Columns), table)
	}
	var warn []string
	unsigned := tme.UnsignedMap()
	collations := tme.CollationMap()
	enums, sets := tme.EnumStrValueMap(), tme.SetStrValueMap()
	cols := make([]*column.Column, n)
	for i, name := range names {
		if t != nil {
			if c := t.Column(name); c != nil && compatible(c, tme.ColumnType[i], tme.ColumnMeta[i], r.schemas.Flavor) {
				cols[i] = c
				continue
			}
		}
		c := r.schemas.fromMetadata(name, tme.ColumnType[i], tme.ColumnMeta[i], unsigned[i], collations[i], enums[i], sets[i])
		warn = append(warn, fmt.Sprintf("column %s of table %s decoded as %s from the binary log's metadata (its tracked schema differs)", name, table, c.ColumnType))
		cols[i] = c
	}
	return cols, warn, nil
}

// fromMetadata derives a column from a table map's metadata (with
// binlog_row_metadata=FULL). TINYINT(1) cannot be told from TINYINT here:
// it is read as an integer.
func (s *Schemas) fromMetadata(name string, typ byte, meta uint16, unsigned bool, collation uint64, enum, set []string) *column.Column {
	cs := "utf8mb4"
	if collation != 0 {
		if c, err := charset.GetCollationByID(int(collation)); err == nil {
			cs = c.CharsetName
		} else if collation == 63 {
			cs = "binary"
		}
	}
	bin := cs == "binary"
	u := ""
	if unsigned {
		u = " unsigned"
	}
	var ts string
	switch rt := realType(typ, meta); rt {
	case gomysql.MYSQL_TYPE_TINY, gomysql.MYSQL_TYPE_SHORT, gomysql.MYSQL_TYPE_INT24, gomysql.MYSQL_TYPE_LONG,
		gomysql.MYSQL_TYPE_LONGLONG, gomysql.MYSQL_TYPE_FLOAT, gomysql.MYSQL_TYPE_DOUBLE, gomysql.MYSQL_TYPE_NEWDATE,
		gomysql.MYSQL_TYPE_YEAR, gomysql.MYSQL_TYPE_JSON:
		ts = binlogTypeName(rt) + u
		if rt == gomysql.MYSQL_TYPE_JSON && s.Flavor == binlog.MariaDB {
			ts = "longtext"
		}
	case gomysql.MYSQL_TYPE_NEWDECIMAL:
		ts = fmt.Sprintf("decimal(%d,%d)%s", meta>>8, meta&0xff, u)
	case gomysql.MYSQL_TYPE_BIT:
		ts = fmt.Sprintf("bit(%d)", (meta>>8)*8+meta&0xff)
	case gomysql.MYSQL_TYPE_TIME2, gomysql.MYSQL_TYPE_DATETIME2, gomysql.MYSQL_TYPE_TIMESTAMP2:
		ts = fmt.Sprintf("%s(%d)", binlogTypeName(rt), meta)
	case gomysql.MYSQL_TYPE_TIME, gomysql.MYSQL_TYPE_DATETIME, gomysql.MYSQL_TYPE_TIMESTAMP:
		ts = binlogTypeName(rt)
	case gomysql.MYSQL_TYPE_STRING:
		ts = "char(255)"
		if bin {
			ts = "binary(255)"
		}
	case gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_VAR_STRING:
		ts = fmt.Sprintf("varchar(%d)", meta)
		if bin {
			ts = fmt.Sprintf("varbinary(%d)", meta)
		}
	case gomysql.MYSQL_TYPE_BLOB:
		size := map[uint16]string{1: "tiny", 2: "", 3: "medium", 4: "long"}[meta]
		ts = size + "text"
		if bin {
			ts = size + "blob"
		}
	case gomysql.MYSQL_TYPE_ENUM, gomysql.MYSQL_TYPE_SET:
		elems := enum
		ts = "enum"
		if rt == gomysql.MYSQL_TYPE_SET {
			elems, ts = set, "set"
		}
		var q []string
		for _, e := range elems {
			q = append(q, "'"+strings.ReplaceAll(e, "'", "''")+"'")
		}
		ts += "(" + strings.Join(q, ",") + ")"
	case gomysql.MYSQL_TYPE_GEOMETRY:
		ts = "geometry"
	default:
		ts = "longblob"
	}
	typ2, err := ddl.ParseType(ts)
	if err != nil {
		typ2, _ = ddl.ParseType("longblob")
	}
	if typ2.Textual() && !bin {
		typ2.Charset = cs
	}
	return s.newColumn(ddl.ColumnDef{Name: name, Type: typ2, Nullable: true}, cs)
}

// buildMapping prepares the decoding of a table map's row events for a
// capture.
func (r *Reader) buildMapping(tme *replication.TableMapEvent, c *Capture, t *Table) (*mapping, error) {
	cols, warn, err := r.columnsFor(tme, t)
	if err != nil {
		return nil, err
	}
	for _, w := range warn {
		r.warnOnce(w)
	}
	n := len(cols)
	specs := make([]binlog.ColumnSpec, n)
	var emit []*column.Column
	m := &mapping{capture: c, types: append([]byte(nil), tme.ColumnType...), metas: append([]uint16(nil), tme.ColumnMeta...)}
	if t != nil {
		m.version = t.version
	}
	for i, col := range cols {
		sp := binlog.ColumnSpec{Type: tme.ColumnType[i], Meta: tme.ColumnMeta[i], Unsigned: col.Unsigned}
		switch col.DataType {
		case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
			if col.Kind == column.KindString {
				conv, ok := binlog.ConverterFor(col.Charset)
				if !ok {
					r.warnOnce(fmt.Sprintf("column %s of table %s has character set %s, which the connector cannot convert: its bytes are read as UTF-8", col.Name, c.Table, col.Charset))
				}
				sp.Convert = conv
			}
			if col.Kind == column.KindBinary && col.DataType == "char" {
				sp.PadTo = int(col.CharMaxLength)
			}
		case "binary":
			sp.PadTo = int(col.CharMaxLength)
		case "enum", "set":
			if typ, err := ddl.ParseType(col.ColumnType); err == nil {
				sp.Elements = typ.Elements
			}
		case "uuid":
			sp.Format = binlog.FormatUUID
		case "inet6":
			sp.Format = binlog.FormatInet6
		case "inet4":
			sp.Format = binlog.FormatInet4
		}
		if c.emits(col.Name) {
			sp.Needed = true
			emit = append(emit, col)
			m.idx = append(m.idx, i)
		}
		specs[i] = sp
	}
	for _, want := range c.Emit {
		found := false
		for _, col := range emit {
			if col.Name == want {
				found = true
			}
		}
		if !found {
			r.warnOnce(fmt.Sprintf("column %s of stream %s is not in the row events of table %s at %s (added later or dropped): records of these events do not have it", want, c.Stream, tme.Table, r.eventPos))
		}
	}
	m.dec, err = binlog.NewRowDecoder(specs)
	if err != nil {
		return nil, fmt.Errorf("decode the row events of table %s: %w", tme.Table, err)
	}
	m.enc = rowcodec.NewRowEncoder(emit)
	m.vals = make([][]byte, len(emit))
	return m, nil
}
