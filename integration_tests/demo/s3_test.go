package demo

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestS3KeepsObjectsAsPlainFiles(t *testing.T) {
	dir := t.TempDir()
	srv, err := StartS3(dir, "radar-bronze")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("ak", "sk", "")})
	ctx := context.Background()
	bucket := aws.String("radar-bronze")

	key := "origin=airbyte/database=bronze_radar/store/cog_dt_ingestion=2026-11-25/file_store_0.parquet"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(key), Body: strings.NewReader("PAR1 single")}); err != nil {
		t.Fatal(err)
	}
	// A multipart upload, as the destination does for big files.
	mkey := "origin=airbyte/database=bronze_radar/product/cog_dt_ingestion=2026-11-25/file_product_0.parquet"
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String(mkey)})
	if err != nil {
		t.Fatal(err)
	}
	part1 := bytes.Repeat([]byte("a"), 5<<20)
	var parts []types.CompletedPart
	for i, body := range [][]byte{part1, []byte("tail")} {
		p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: bucket, Key: aws.String(mkey), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{ETag: p.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: bucket, Key: aws.String(mkey), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatal(err)
	}

	for k, want := range map[string]int{key: len("PAR1 single"), mkey: len(part1) + 4} {
		fi, err := os.Stat(filepath.Join(dir, "radar-bronze", filepath.FromSlash(k)))
		if err != nil {
			t.Fatalf("object %s is not a plain file: %v", k, err)
		}
		if fi.Size() != int64(want) {
			t.Errorf("%s: %d bytes on disk, want %d", k, fi.Size(), want)
		}
	}

	// Listing by prefix (what overwrite does), including a prefix with no objects.
	for prefix, want := range map[string]int{"origin=airbyte/database=bronze_radar/store/": 1, "origin=airbyte/": 2, "origin=airbyte/database=bronze_radar/vouchers/": 0} {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String(prefix)})
		if err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		if len(out.Contents) != want {
			t.Errorf("list %s: %d objects, want %d", prefix, len(out.Contents), want)
		}
	}
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(g.Body)
	g.Body.Close()
	if string(b) != "PAR1 single" {
		t.Errorf("get %s: %q", key, b)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "radar-bronze", filepath.FromSlash(key))); !os.IsNotExist(err) {
		t.Errorf("deleted object still on disk: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}
