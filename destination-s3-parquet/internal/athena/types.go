package athena

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// maxDecimal is the widest DECIMAL Athena declares (its data-types page:
// "decimal(precision, scale), precision ... maximum 38").
const maxDecimal = 38

// ColumnType returns the Athena DDL type of an Arrow type as pqarrow writes
// it to Parquet: the Hive type names of Athena's "Data types in Amazon
// Athena" page (DDL column), nested types in the Hive syntax
// (struct<`a`:int>, array<T>, map<K,V>) with backquoted field names.
//
// Types Athena can only use in queries (TIME, INTERVAL, UUID) and types it
// cannot read (unsigned 64-bit integers, DECIMAL wider than 38 digits) are
// an error that names the type.
func ColumnType(dt arrow.DataType) (string, error) {
	var b strings.Builder
	if err := appendType(&b, dt); err != nil {
		return "", err
	}
	return b.String(), nil
}

func appendType(b *strings.Builder, dt arrow.DataType) error {
	switch t := dt.(type) {
	case *arrow.BooleanType:
		b.WriteString("boolean")
	case *arrow.Int8Type:
		b.WriteString("tinyint")
	case *arrow.Int16Type:
		b.WriteString("smallint")
	case *arrow.Int32Type:
		b.WriteString("int")
	case *arrow.Int64Type:
		b.WriteString("bigint")
	case *arrow.Float32Type:
		b.WriteString("float")
	case *arrow.Float64Type:
		b.WriteString("double")
	case *arrow.Decimal32Type, *arrow.Decimal64Type, *arrow.Decimal128Type, *arrow.Decimal256Type:
		d := dt.(arrow.DecimalType)
		if d.GetPrecision() > maxDecimal {
			return fmt.Errorf("%s has more than %d digits, which Athena cannot declare", dt, maxDecimal)
		}
		fmt.Fprintf(b, "decimal(%d,%d)", d.GetPrecision(), d.GetScale())
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		b.WriteString("string")
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		b.WriteString("binary")
	case *arrow.Date32Type, *arrow.Date64Type:
		b.WriteString("date")
	case *arrow.TimestampType:
		// Parquet TIMESTAMP(MILLIS|MICROS), with or without
		// isAdjustedToUTC: both are Athena timestamps.
		b.WriteString("timestamp")
	case *arrow.StructType:
		b.WriteString("struct<")
		for i, f := range t.Fields() {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(Quote(f.Name))
			b.WriteByte(':')
			if err := appendType(b, f.Type); err != nil {
				return fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
		b.WriteByte('>')
	case *arrow.MapType:
		b.WriteString("map<")
		if err := appendType(b, t.KeyType()); err != nil {
			return fmt.Errorf("map key: %w", err)
		}
		b.WriteByte(',')
		if err := appendType(b, t.ItemType()); err != nil {
			return fmt.Errorf("map value: %w", err)
		}
		b.WriteByte('>')
	case arrow.ListLikeType:
		b.WriteString("array<")
		if err := appendType(b, t.Elem()); err != nil {
			return fmt.Errorf("list element: %w", err)
		}
		b.WriteByte('>')
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		// pqarrow writes them with an unsigned INT logical type, which
		// Athena's Parquet reader does not map (and uint64 above 2^63-1
		// fits no Athena type).
		return fmt.Errorf("%s (Parquet unsigned INT) has no Athena type", dt)
	case *arrow.Time32Type, *arrow.Time64Type:
		return fmt.Errorf("%s (Parquet TIME) is a query-only type in Athena, with no DDL equivalent", dt)
	default:
		return fmt.Errorf("%s has no Athena DDL type", dt)
	}
	return nil
}

// Quote returns a Hive DDL identifier in backquotes (a backquote inside is
// doubled, as Hive's lexer reads it).
func Quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QuoteSQL returns a Trino (Athena DML, views) identifier in double quotes.
func QuoteSQL(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
