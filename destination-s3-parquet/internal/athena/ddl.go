// Package athena writes the Athena statements that make a stream's Parquet
// files a table without a Glue crawler: CREATE EXTERNAL TABLE with the
// columns of the Arrow schema the writer uses, the path format's partition
// columns declared with partition projection, and for append_dedup streams
// a view keeping the newest row of each primary key.
package athena

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
	"github.com/cognitivo/radar-connectors/protocol"
)

// Options control the statements of a stream.
type Options struct {
	// Bucket is the S3 bucket; Template names the objects in it.
	Bucket   string
	Template *objectkey.Template
	// Database qualifies table and view names; "" leaves them bare.
	Database string
	// Since is the first day partition projection covers.
	Since time.Time
}

// Statements are the statements of one stream.
type Statements struct {
	Stream      string `json:"stream"`
	Namespace   string `json:"namespace,omitempty"`
	Table       string `json:"table"`
	CreateTable string `json:"create_table"`
	// View and CreateView are set for append_dedup streams.
	View       string `json:"view,omitempty"`
	CreateView string `json:"create_view,omitempty"`
}

// ViewSuffix ends the name of an append_dedup stream's view.
const ViewSuffix = "_latest"

// RowNumberColumn is the window column the dedup view filters on.
const RowNumberColumn = "_airbyte_row_number"

// CDCDeletedAt is the column a CDC source sets on a delete's record.
const CDCDeletedAt = "_ab_cdc_deleted_at"

// TableName is the Athena table name of a stream: its name sanitised as
// the writer sanitises column names, in lower case (Athena's names are).
func TableName(stream string) string { return strings.ToLower(arrowschema.SanitizeName(stream)) }

// Stream returns the statements of one configured stream; s is the stream's
// resolved schema, the one the writer writes.
func Stream(cs *protocol.ConfiguredStream, s *arrowschema.Stream, o Options) (*Statements, error) {
	d := cs.Descriptor()
	part, err := Partition(o.Bucket, o.Template, d.Namespace, d.Name, o.Since)
	if err != nil {
		return nil, err
	}
	cols, err := columns(s.Schema, part)
	if err != nil {
		return nil, err
	}
	st := &Statements{Stream: d.Name, Namespace: d.Namespace, Table: TableName(d.Name)}
	st.CreateTable = createTable(o.Database, st.Table, cols, part)
	if cs.DestinationSyncMode != protocol.DestinationAppendDedup {
		return st, nil
	}
	st.View = st.Table + ViewSuffix
	q, err := LatestQuery(cs, s, part, qualifiedSQL(o.Database, st.Table))
	if err != nil {
		return nil, err
	}
	st.CreateView = "CREATE OR REPLACE VIEW " + qualifiedSQL(o.Database, st.View) + " AS\n" + q
	return st, nil
}

type column struct{ name, typ string }

// columns returns the DDL columns of a schema; every column Athena cannot
// declare is named in one error.
func columns(schema *arrow.Schema, part *Partitioning) ([]column, error) {
	var cols []column
	var errs []error
	seen := map[string]bool{}
	for _, f := range schema.Fields() {
		t, err := ColumnType(f.Type)
		if err != nil {
			errs = append(errs, fmt.Errorf("column %s: %w", f.Name, err))
			continue
		}
		cols = append(cols, column{f.Name, t})
		seen[strings.ToLower(f.Name)] = true
	}
	for _, c := range part.Columns {
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("partition column %s of s3_path_format is also a data column; Athena needs distinct names", c.Name))
		}
	}
	return cols, errors.Join(errs...)
}

func createTable(db, table string, cols []column, part *Partitioning) string {
	var b strings.Builder
	b.WriteString("CREATE EXTERNAL TABLE " + qualifiedDDL(db, table) + " (\n")
	for i, c := range cols {
		b.WriteString("  " + Quote(c.name) + " " + c.typ)
		if i < len(cols)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(")\n")
	if len(part.Columns) > 0 {
		b.WriteString("PARTITIONED BY (\n")
		for i, c := range part.Columns {
			b.WriteString("  " + Quote(c.Name) + " " + c.Type)
			if i < len(part.Columns)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(")\n")
	}
	b.WriteString("STORED AS PARQUET\n")
	b.WriteString("LOCATION '" + part.Location + "'")
	if len(part.Columns) == 0 {
		return b.String()
	}
	props := []Prop{{"projection.enabled", "true"}}
	for _, c := range part.Columns {
		props = append(props, c.Props...)
	}
	props = append(props, Prop{"storage.location.template", part.Template})
	b.WriteString("\nTBLPROPERTIES (\n")
	for i, p := range props {
		b.WriteString("  '" + p.Key + "'='" + p.Value + "'")
		if i < len(props)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(")")
	return b.String()
}

func qualifiedDDL(db, name string) string {
	if db == "" {
		return Quote(name)
	}
	return Quote(db) + "." + Quote(name)
}

func qualifiedSQL(db, name string) string {
	if db == "" {
		return QuoteSQL(name)
	}
	return QuoteSQL(db) + "." + QuoteSQL(name)
}
