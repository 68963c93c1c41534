// Package column holds the metadata model of a MySQL column, as read from
// information_schema.COLUMNS, and the one decision both read paths (the
// snapshot and CDC) share: the Kind of a column, which fixes its JSON schema
// in the catalog and its encoder in package rowcodec. TYPES.md at the module
// root documents the mapping; the tests treat it as the truth.
package column

import (
	"strconv"
	"strings"
)

// Kind is how a column is represented in records.
type Kind uint8

// Kinds. The zero Kind is KindString, the fallback for unknown types.
const (
	KindString     Kind = iota // char, varchar, *text, enum, set, json, unknown types
	KindBoolInt                // tinyint(1) (text "0"/"1"/...): boolean
	KindBoolBit                // bit(1) (one raw byte): boolean
	KindInt                    // tinyint, smallint, mediumint, int, signed bigint
	KindUint64                 // bigint unsigned
	KindFloat                  // float (single precision)
	KindDouble                 // double, real
	KindDecimal                // decimal(M,S>0)
	KindDecimalInt             // decimal(M,0)
	KindDate                   // date
	KindDatetime               // datetime(p)
	KindTimestamp              // timestamp(p)
	KindTime                   // time(p)
	KindYear                   // year
	KindBinary                 // binary, varbinary, *blob, geometry types
	KindBits                   // bit(n>1)
)

var kindNames = [...]string{
	KindString: "string", KindBoolInt: "bool_int", KindBoolBit: "bool_bit", KindInt: "integer",
	KindUint64: "uint64", KindFloat: "float", KindDouble: "double", KindDecimal: "decimal",
	KindDecimalInt: "decimal_integer", KindDate: "date", KindDatetime: "datetime",
	KindTimestamp: "timestamp", KindTime: "time", KindYear: "year", KindBinary: "binary", KindBits: "bits",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Options change how some types are classified.
type Options struct {
	// TinyInt1AsInteger keeps tinyint(1) an integer instead of a boolean.
	TinyInt1AsInteger bool
}

// Column is one column of a table or view, as information_schema describes
// it. Both the snapshot reader and the binlog reader build their encoders
// from it.
type Column struct {
	Name     string // COLUMN_NAME
	Position int    // ORDINAL_POSITION, from 1
	// DataType is DATA_TYPE in lower case ("int", "varchar", "longtext").
	DataType string
	// ColumnType is COLUMN_TYPE as the server prints it ("int(10) unsigned").
	ColumnType string
	Nullable   bool
	// Precision and Scale are NUMERIC_PRECISION and NUMERIC_SCALE (-1 when
	// NULL). For bit(n) Precision is n.
	Precision int64
	Scale     int64
	// DatetimePrecision is DATETIME_PRECISION (fractional digits), -1 when NULL.
	DatetimePrecision int64
	// CharMaxLength is CHARACTER_MAXIMUM_LENGTH in characters, -1 when NULL.
	CharMaxLength int64
	// Charset is CHARACTER_SET_NAME; empty for numeric, temporal and binary types.
	Charset string
	// Unsigned is true for unsigned numeric types.
	Unsigned bool
	// Kind is set by Classify.
	Kind Kind
}

// Classify sets c.Kind from the column's types. It is the single place that
// maps a MySQL type to a representation.
func (c *Column) Classify(opts Options) {
	c.DataType = strings.ToLower(c.DataType)
	ct := strings.ToLower(c.ColumnType)
	c.Unsigned = strings.Contains(ct, "unsigned")
	c.Kind = kindOf(c.DataType, ct, c, opts)
}

func kindOf(dt, ct string, c *Column, opts Options) Kind {
	switch dt {
	case "tinyint":
		if !opts.TinyInt1AsInteger && strings.HasPrefix(ct, "tinyint(1)") && !c.Unsigned {
			return KindBoolInt
		}
		return KindInt
	case "bool", "boolean":
		if opts.TinyInt1AsInteger {
			return KindInt
		}
		return KindBoolInt
	case "smallint", "mediumint", "int", "integer":
		return KindInt
	case "bigint":
		if c.Unsigned {
			return KindUint64
		}
		return KindInt
	case "year":
		return KindYear
	case "float":
		return KindFloat
	case "double", "real", "double precision":
		return KindDouble
	case "decimal", "numeric", "dec", "fixed":
		if c.Scale <= 0 {
			return KindDecimalInt
		}
		return KindDecimal
	case "bit":
		if bitWidth(c, ct) == 1 {
			return KindBoolBit
		}
		return KindBits
	case "date":
		return KindDate
	case "datetime":
		return KindDatetime
	case "timestamp":
		return KindTimestamp
	case "time":
		return KindTime
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob",
		"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		return KindBinary
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		if c.Charset == "binary" {
			return KindBinary
		}
		return KindString
	}
	// enum, set, json and types this connector does not know (MariaDB uuid,
	// inet4/inet6, MySQL vector...) are strings in their text form.
	return KindString
}

// bitWidth returns n of bit(n).
func bitWidth(c *Column, ct string) int64 {
	if c.Precision > 0 {
		return c.Precision
	}
	if i := strings.IndexByte(ct, '('); i >= 0 {
		if j := strings.IndexByte(ct[i:], ')'); j > 0 {
			if n, err := strconv.ParseInt(ct[i+1:i+j], 10, 64); err == nil {
				return n
			}
		}
	}
	return 1
}

// Bits returns n for a bit(n) column.
func (c *Column) Bits() int64 { return bitWidth(c, strings.ToLower(c.ColumnType)) }

// IsKnownType reports whether the connector maps the column's DATA_TYPE
// deliberately (unknown types fall back to their text form as a string).
func (c *Column) IsKnownType() bool {
	switch strings.ToLower(c.DataType) {
	case "tinyint", "bool", "boolean", "smallint", "mediumint", "int", "integer", "bigint", "year",
		"float", "double", "real", "double precision", "decimal", "numeric", "dec", "fixed", "bit",
		"date", "datetime", "timestamp", "time", "binary", "varbinary", "tinyblob", "blob",
		"mediumblob", "longblob", "geometry", "point", "linestring", "polygon", "multipoint",
		"multilinestring", "multipolygon", "geometrycollection", "geomcollection",
		"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json":
		return true
	}
	return false
}

// SelectExpr is the expression that reads the column in a SELECT list. It
// is the quoted name, except for FLOAT, which MariaDB prints with six
// significant digits in the text protocol: it is widened to DOUBLE (exact)
// so that no digit is lost.
func (c *Column) SelectExpr() string {
	if c.Kind == KindFloat {
		return "(" + QuoteIdent(c.Name) + " + 0e0)"
	}
	return QuoteIdent(c.Name)
}

// CursorAllowed reports whether the column can be an incremental cursor:
// its values must order the same way in ORDER BY and in comparisons, and
// round-trip through the state exactly.
func (c *Column) CursorAllowed() bool {
	switch c.Kind {
	case KindInt, KindUint64, KindFloat, KindDouble, KindDecimal, KindDecimalInt,
		KindDate, KindDatetime, KindTimestamp, KindTime, KindYear:
		return true
	case KindString:
		switch strings.ToLower(c.DataType) {
		case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
			return true
		}
	}
	return false
}

// KeyAllowed reports whether the column can be part of a chunking key
// (a primary or unique key used to read a table in ranges).
func (c *Column) KeyAllowed() bool {
	switch c.Kind {
	case KindBoolInt, KindBoolBit, KindBits, KindBinary:
		// Booleans and bits round-trip through their integer value; binary
		// keys compare bytewise, which is what ORDER BY does too.
		return c.Kind != KindBinary || !isGeometry(c.DataType)
	case KindString:
		return strings.ToLower(c.DataType) != "json"
	}
	return true
}

func isGeometry(dt string) bool {
	switch strings.ToLower(dt) {
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
		"multipolygon", "geometrycollection", "geomcollection":
		return true
	}
	return false
}

// QuoteIdent quotes a MySQL identifier with backticks, doubling any
// backtick inside it. Every identifier that reaches SQL goes through it.
func QuoteIdent(name string) string {
	var b strings.Builder
	b.Grow(len(name) + 2)
	b.WriteByte('`')
	for i := 0; i < len(name); i++ {
		if name[i] == '`' {
			b.WriteByte('`')
		}
		b.WriteByte(name[i])
	}
	b.WriteByte('`')
	return b.String()
}

// QuoteTable quotes a database-qualified table name.
func QuoteTable(database, table string) string {
	return QuoteIdent(database) + "." + QuoteIdent(table)
}
