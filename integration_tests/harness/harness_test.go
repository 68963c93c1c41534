package harness_test

import (
	"context"
	"github.com/cognitivo/radar-connectors/integration_tests/duck"
	"github.com/cognitivo/radar-connectors/integration_tests/harness"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestPrivateMariaDBWithBinlog(t *testing.T) {
	if testing.Short() {
		t.Skip("starts mariadbd")
	}
	m := harness.StartMariaDB(t, harness.ServerOptions{Binlog: true})
	var name, value string
	if err := m.Root.QueryRow("SHOW VARIABLES LIKE 'log_bin'").Scan(&name, &value); err != nil {
		t.Fatal(err)
	}
	if value != "ON" {
		t.Fatalf("log_bin = %s", value)
	}
	db := m.CreateDatabase(t, "harness")
	if _, err := m.Root.Exec("CREATE TABLE `" + db + "`.t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
}

func TestS3ServerAndDuckDB(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	s := harness.StartS3(t, "bucket")
	ctx := context.Background()
	db, err := duck.OpenDuckDB()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	local := filepath.Join(t.TempDir(), "x.parquet")
	if _, err := db.DB.Exec("COPY (SELECT 1::BIGINT AS id, 'a' AS s) TO '" + local + "' (FORMAT parquet, COMPRESSION snappy)"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(local)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := s.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String("p/a=1/x.parquet"), Body: f}); err != nil {
		t.Fatal(err)
	}
	objs, err := s.List(ctx, "bucket", "p/")
	if err != nil || len(objs) != 1 {
		t.Fatalf("list: %v %v", objs, err)
	}
	files, err := s.Download(ctx, "bucket", "p/", t.TempDir())
	if err != nil || len(files) != 1 {
		t.Fatalf("download: %v %v", files, err)
	}
	cols, err := db.Describe(files)
	if err != nil || len(cols) != 2 || cols[0].Type != "BIGINT" {
		t.Fatalf("describe: %v %v", cols, err)
	}
	codecs, err := db.Codecs(files)
	if err != nil || strings.Join(codecs, ",") != "SNAPPY" {
		t.Fatalf("codecs: %v %v", codecs, err)
	}
}
