package partitions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/destination"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/objectkey"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/partitions"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3test"
	"github.com/cognitivo/radar-connectors/protocol/airbytecli"
)

// parquetBytes returns a Parquet file with n rows.
func parquetBytes(t *testing.T, n int) []byte {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i < n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(schema, &buf, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func put(t *testing.T, srv *s3test.Server, key string, body []byte) {
	t.Helper()
	if _, err := srv.Client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(s3test.Bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

const (
	bucketPath = "origin=airbyte/database=bronze_radar"
	pathFormat = "${STREAM_NAME}/cog_dt_ingestion=${YEAR}-${MONTH}-${DAY}/file_${STREAM_NAME}"
)

var day = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func seed(t *testing.T, srv *s3test.Server) {
	p := bucketPath + "/%s/cog_dt_ingestion=%s/"
	d := day.Format("2006-01-02")
	f := func(stream, date string) string {
		return strings.ReplaceAll(strings.Replace(p, "%s", stream, 1), "%s", date)
	}
	// store: two files and a marker.
	put(t, srv, f("store", d)+"file_store0.parquet", parquetBytes(t, 120))
	put(t, srv, f("store", d)+"file_store1.parquet", parquetBytes(t, 30))
	put(t, srv, f("store", d)+"_SUCCESS", nil)
	// store_metrics shares the "store" prefix but is another stream.
	put(t, srv, f("store_metrics", d)+"file_store_metrics0.parquet", parquetBytes(t, 7))
	put(t, srv, f("store_metrics", d)+"_SUCCESS", nil)
	// product: data but no marker.
	put(t, srv, f("product", d)+"file_product0.parquet", parquetBytes(t, 5))
	// vouchers: only yesterday's partition.
	put(t, srv, f("vouchers", day.AddDate(0, 0, -1).Format("2006-01-02"))+"file_vouchers0.parquet", parquetBytes(t, 9))
	// contest: an object that is not Parquet.
	put(t, srv, f("contest", d)+"file_contest0.parquet", []byte("not parquet at all"))
	put(t, srv, f("contest", d)+"_SUCCESS", nil)
}

func TestCheckerReportsEachProblem(t *testing.T) {
	srv := s3test.Start(t)
	seed(t, srv)
	c := &partitions.Checker{S3: srv.Client, Bucket: s3test.Bucket, Template: &objectkey.Template{BucketPath: bucketPath, PathFormat: pathFormat}}
	reports, err := c.Check(context.Background(), partitions.Request{Day: day, Streams: []string{"store", "store_metrics", "product", "vouchers", "contest"}, MinRows: 1, RequireSuccess: true})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]partitions.StreamReport{}
	for _, r := range reports {
		byName[r.Stream] = r
	}
	if r := byName["store"]; !r.OK() || r.Rows != 150 || len(r.Files) != 2 {
		t.Errorf("store: %+v", r)
	}
	if r := byName["store_metrics"]; !r.OK() || r.Rows != 7 {
		t.Errorf("store_metrics: %+v", r)
	}
	wantProblem := map[string]string{"product": "no _SUCCESS marker", "vouchers": "no Parquet files for 2026-11-25", "contest": "not a readable Parquet file"}
	for s, want := range wantProblem {
		r := byName[s]
		if r.OK() || !strings.Contains(strings.Join(r.Problems, "; "), want) {
			t.Errorf("%s: problems %q, want one containing %q", s, r.Problems, want)
		}
	}
	// Without the marker requirement, product passes; a row minimum fails store.
	reports, _ = c.Check(context.Background(), partitions.Request{Day: day, Streams: []string{"product", "store"}, MinRows: 100})
	if !reports[1].OK() || reports[0].OK() {
		t.Errorf("min rows: %+v", reports)
	}
}

// TestCommand runs check-partitions through the command frame.
func TestCommand(t *testing.T) {
	srv := s3test.Start(t)
	seed(t, srv)
	cfg, _ := json.Marshal(map[string]any{
		"s3_bucket_name": s3test.Bucket, "s3_bucket_path": bucketPath, "s3_bucket_region": s3test.Region,
		"s3_endpoint": srv.URL, "access_key_id": s3test.AccessKey, "secret_access_key": s3test.SecretKey,
		"s3_path_format": pathFormat, "format": map[string]any{"format_type": "Parquet"},
	})
	cfgPath := filepath.Join(t.TempDir(), "destination.json")
	os.WriteFile(cfgPath, cfg, 0o600)
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := airbytecli.RunDestination(context.Background(), destination.New("test"),
			airbytecli.Options{Name: "destination-s3-parquet", Commands: []*airbytecli.Command{partitions.Command()}},
			append([]string{"destination-s3-parquet", "check-partitions", "--config", cfgPath, "--date", "2026-11-25"}, args...),
			strings.NewReader(""), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("--streams", "store,store_metrics")
	if code != 0 || !strings.Contains(out, "store_metrics  ok") || errOut != "" {
		t.Errorf("healthy streams: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run("--streams", "store,product,vouchers")
	if code != 1 || !strings.Contains(errOut, "2 of 3 streams failed the check for 2026-11-25: product, vouchers") || !strings.Contains(out, "vouchers: no Parquet files") {
		t.Errorf("missing partitions: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run("--streams", "store", "--json")
	var rep struct {
		Streams []partitions.StreamReport `json:"streams"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Streams[0].Rows != 150 {
		t.Errorf("json report: exit %d\n%s", code, out)
	}
	if strings.Contains(out+errOut, s3test.SecretKey) {
		t.Errorf("the secret key was printed")
	}
	code, _, errOut = run("--streams", "store", "--date", "25/11/2026")
	if code != 1 || !strings.Contains(errOut, "is not a date") {
		t.Errorf("bad date: exit %d, %s", code, errOut)
	}
}
