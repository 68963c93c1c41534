package athena

import (
	"fmt"
	"strings"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/protocol"
)

// LatestQuery returns the SELECT of an append_dedup stream's view over
// from (the table, or in tests a read_parquet call): for each primary key
// only the newest row, by the cursor, then by the extraction time; for a
// CDC stream (one with _ab_cdc_deleted_at) a key whose newest row is a
// delete is left out. The files keep every version; this is the
// deduplicated table. The SQL is plain ANSI window SQL that Athena (Trino)
// and DuckDB both run.
func LatestQuery(cs *protocol.ConfiguredStream, s *arrowschema.Stream, part *Partitioning, from string) (string, error) {
	d := cs.Descriptor()
	pk := cs.PrimaryKey
	if len(pk) == 0 {
		pk = cs.Stream.SourceDefinedPrimaryKey
	}
	if len(pk) == 0 {
		return "", fmt.Errorf("stream %s is append_dedup but has no primary key (primary_key in the configured catalog)", d)
	}
	var keys []string
	for _, p := range pk {
		c, err := topColumn(s, p, "primary key")
		if err != nil {
			return "", fmt.Errorf("stream %s: %w", d, err)
		}
		keys = append(keys, QuoteSQL(c))
	}
	var order []string
	cursor := cs.CursorField
	if len(cursor) == 0 {
		cursor = cs.Stream.DefaultCursorField
	}
	if len(cursor) > 0 {
		c, err := topColumn(s, cursor, "cursor")
		if err != nil {
			return "", fmt.Errorf("stream %s: %w", d, err)
		}
		order = append(order, QuoteSQL(c)+" DESC NULLS LAST")
	}
	extracted := arrowschema.ColExtractedAt
	if s.Layout == arrowschema.Legacy {
		extracted = arrowschema.ColEmittedAt
	}
	order = append(order, QuoteSQL(extracted)+" DESC")
	var cols []string
	for _, f := range s.Schema.Fields() {
		cols = append(cols, QuoteSQL(f.Name))
	}
	for _, c := range part.Columns {
		cols = append(cols, QuoteSQL(c.Name))
	}
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(cols, ", ") + "\n")
	b.WriteString("FROM (\n")
	b.WriteString("  SELECT *, ROW_NUMBER() OVER (PARTITION BY " + strings.Join(keys, ", ") +
		" ORDER BY " + strings.Join(order, ", ") + ") AS " + QuoteSQL(RowNumberColumn) + "\n")
	b.WriteString("  FROM " + from + "\n")
	b.WriteString(") AS versions\n")
	b.WriteString("WHERE " + QuoteSQL(RowNumberColumn) + " = 1")
	if f := findField(s, CDCDeletedAt); f != nil {
		b.WriteString(" AND " + QuoteSQL(f.Column) + " IS NULL")
	}
	return b.String(), nil
}

// topColumn returns the column of a top-level field path.
func topColumn(s *arrowschema.Stream, path []string, what string) (string, error) {
	if len(path) != 1 {
		return "", fmt.Errorf("%s %s is a nested field; the view supports top-level columns only", what, strings.Join(path, "."))
	}
	f := findField(s, path[0])
	if f == nil {
		return "", fmt.Errorf("%s field %s is not in the stream's json_schema", what, path[0])
	}
	return f.Column, nil
}

func findField(s *arrowschema.Stream, name string) *arrowschema.Field {
	for _, f := range s.Root.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}
