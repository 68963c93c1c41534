package athena

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/arrowschema"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
)

var since = time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)

func props(p *Partitioning) string {
	var out []string
	for _, c := range p.Columns {
		out = append(out, c.Name+" "+c.Type)
		for _, pr := range c.Props {
			out = append(out, pr.Key+"="+pr.Value)
		}
	}
	return strings.Join(out, "; ")
}

func TestPartition(t *testing.T) {
	tests := []struct {
		name, bucketPath, pathFormat string
		location, template, props    string
		wantErr                      string
	}{
		{
			name: "the team's layout", bucketPath: "origin=airbyte/database=bronze_radar",
			pathFormat: "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}",
			location:   "s3://bkt/origin=airbyte/database=bronze_radar/store/",
			template:   "s3://bkt/origin=airbyte/database=bronze_radar/store/cog_dt_ingestion=${cog_dt_ingestion}/",
			props: "cog_dt_ingestion string; projection.cog_dt_ingestion.type=date; projection.cog_dt_ingestion.format=yyyy-MM-dd; " +
				"projection.cog_dt_ingestion.range=2023-03-01,NOW; projection.cog_dt_ingestion.interval=1; projection.cog_dt_ingestion.interval.unit=DAYS",
		},
		{
			name: "the default layout: no folder holds a date", bucketPath: "raw",
			pathFormat: "${NAMESPACE}/${STREAM_NAME}/${YEAR}_${MONTH}_${DAY}_${EPOCH}_",
			location:   "s3://bkt/raw/radar/store/",
		},
		{
			name: "year, month and day as separate Hive folders", bucketPath: "",
			pathFormat: "${STREAM_NAME}/year=${YEAR}/month=${MONTH}/day=${DAY}/",
			location:   "s3://bkt/store/", template: "s3://bkt/store/year=${year}/month=${month}/day=${day}/",
			props: "year int; projection.year.type=integer; projection.year.range=2023,2099; " +
				"month int; projection.month.type=integer; projection.month.range=1,12; projection.month.digits=2; " +
				"day int; projection.day.type=integer; projection.day.range=1,31; projection.day.digits=2",
		},
		{
			name: "unnamed date folders", bucketPath: "bronze",
			pathFormat: "${STREAM_NAME}/${YEAR}/${MONTH}/${DAY}/${HOUR}/",
			location:   "s3://bkt/bronze/store/", template: "s3://bkt/bronze/store/${partition_date}/",
			props: "partition_date string; projection.partition_date.type=date; projection.partition_date.format=yyyy/MM/dd/HH; " +
				"projection.partition_date.range=2023/03/01/00,NOW; projection.partition_date.interval=1; projection.partition_date.interval.unit=HOURS",
		},
		{
			name: "the stream folder after the dates", bucketPath: "bronze",
			pathFormat: "${YEAR}_${MONTH}/dt=${YEAR}${MONTH}${DAY}/${STREAM_NAME}/",
			location:   "s3://bkt/bronze/", template: "s3://bkt/bronze/${partition_date}/dt=${dt}/store/",
			props: "partition_date string; projection.partition_date.type=date; projection.partition_date.format=yyyy_MM; " +
				"projection.partition_date.range=2023_03,NOW; projection.partition_date.interval=1; projection.partition_date.interval.unit=MONTHS; " +
				"dt string; projection.dt.type=date; projection.dt.format=yyyyMMdd; projection.dt.range=20230301,NOW; projection.dt.interval=1; projection.dt.interval.unit=DAYS",
		},
		{
			name: "literal text in a date folder is quoted", bucketPath: "",
			pathFormat: "${STREAM_NAME}/Dia=d${YEAR}-${MONTH}-${DAY}T/",
			location:   "s3://bkt/store/", template: "s3://bkt/store/Dia=${dia}/",
			props: "dia string; projection.dia.type=date; projection.dia.format='d'yyyy-MM-dd'T'; projection.dia.range=d2023-03-01T,NOW; " +
				"projection.dia.interval=1; projection.dia.interval.unit=DAYS",
		},
		{
			name: "the stream name only in the file name", bucketPath: "bronze", pathFormat: "${YEAR}/${MONTH}/${DAY}/${STREAM_NAME}",
			wantErr: "has ${STREAM_NAME} only in the file name",
		},
		{
			name: "an epoch folder", bucketPath: "", pathFormat: "${STREAM_NAME}/${EPOCH}/",
			wantErr: "holds ${EPOCH}, which partition projection cannot enumerate",
		},
		{
			name: "a uuid folder", bucketPath: "", pathFormat: "${STREAM_NAME}/run=${UUID}/",
			wantErr: "holds ${UUID}",
		},
		{
			name: "a date without a year", bucketPath: "", pathFormat: "${STREAM_NAME}/md=${MONTH}-${DAY}/",
			wantErr: "is not a date Athena can project",
		},
		{
			name: "an unknown variable in a folder", bucketPath: "", pathFormat: "${STREAM_NAME}/${WEEK}/",
			wantErr: "unknown variable ${WEEK}",
		},
		{
			name: "a partition name Athena cannot use", bucketPath: "", pathFormat: "${STREAM_NAME}/dt-x=${YEAR}-${MONTH}-${DAY}/",
			wantErr: "not a usable Athena column name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := &objectkey.Template{BucketPath: tt.bucketPath, PathFormat: tt.pathFormat}
			p, err := Partition("bkt", tmpl, "radar", "store", since)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Partition(%q) error = %v, want one containing %q", tt.pathFormat, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Partition(%q): %v", tt.pathFormat, err)
			}
			if p.Location != tt.location || p.Template != tt.template {
				t.Errorf("Partition(%q) = location %s, template %s; want %s, %s", tt.pathFormat, p.Location, p.Template, tt.location, tt.template)
			}
			if got := props(p); got != tt.props {
				t.Errorf("Partition(%q) columns:\n got %s\nwant %s", tt.pathFormat, got, tt.props)
			}
		})
	}
}

// TestPartitionMatchesKeys: for date projections, the template filled with
// a day formatted by the projection's format is the folder the writer puts
// that day's objects in.
func TestPartitionMatchesKeys(t *testing.T) {
	day := time.Date(2026, 11, 25, 7, 30, 0, 0, time.UTC)
	for _, pf := range []string{
		"${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}",
		"${STREAM_NAME}/${YEAR}/${MONTH}/${DAY}/${HOUR}/",
		"${YEAR}_${MONTH}/dt=${YEAR}${MONTH}${DAY}/${STREAM_NAME}/",
		"${STREAM_NAME}/Dia=d${YEAR}-${MONTH}-${DAY}T/x",
		"${STREAM_NAME}/year=${YEAR}/month=${MONTH}/day=${DAY}/",
	} {
		tmpl := &objectkey.Template{BucketPath: "bronze", PathFormat: pf, Start: day}
		p, err := Partition("bkt", tmpl, "", "store", since)
		if err != nil {
			t.Fatal(err)
		}
		folder := p.Template
		for _, c := range p.Columns {
			var value string
			for _, pr := range c.Props {
				if strings.HasSuffix(pr.Key, ".format") {
					value = objectkey.FormatJavaDate(day, pr.Value)
				}
			}
			if value == "" { // integer projection: the date part it names
				value = map[string]string{"year": "2026", "month": "11", "day": "25"}[c.Name]
			}
			folder = strings.ReplaceAll(folder, "${"+c.Name+"}", value)
		}
		key := tmpl.ObjectPath("", "store", "") + "0.parquet"
		if !strings.HasPrefix("s3://bkt/"+key, folder) || strings.Contains(key[len(folder)-len("s3://bkt/"):], "/") {
			t.Errorf("%s: object s3://bkt/%s is not directly in the projected folder %s", pf, key, folder)
		}
	}
}

func TestColumnType(t *testing.T) {
	tests := []struct {
		in      arrow.DataType
		want    string
		wantErr string
	}{
		{arrow.PrimitiveTypes.Int64, "bigint", ""},
		{arrow.PrimitiveTypes.Int32, "int", ""},
		{arrow.PrimitiveTypes.Float32, "float", ""},
		{&arrow.Decimal128Type{Precision: 38, Scale: 10}, "decimal(38,10)", ""},
		{&arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, "timestamp", ""},
		{arrow.ListOf(arrow.StructOf(arrow.Field{Name: "_a", Type: arrow.BinaryTypes.Binary})), "array<struct<`_a`:binary>>", ""},
		{arrowschema.AdditionalPropertiesType(), "map<string,string>", ""},
		{arrowschema.MetaType, "struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>", ""},
		{arrow.FixedWidthTypes.Time64us, "", "query-only type"},
		{arrow.PrimitiveTypes.Uint64, "", "unsigned"},
		{&arrow.Decimal256Type{Precision: 65, Scale: 30}, "", "more than 38 digits"},
		{arrow.StructOf(arrow.Field{Name: "t", Type: arrow.FixedWidthTypes.Time64us}), "", "field t"},
	}
	for _, tt := range tests {
		got, err := ColumnType(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ColumnType(%s) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ColumnType(%s) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
