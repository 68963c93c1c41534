package destination

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/config"
	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/s3sink"
	"github.com/cognitivo/radar-connectors/protocol"
)

// checkTimeout bounds the whole check.
const checkTimeout = 2 * time.Minute

// checkBucket lists the bucket, writes, reads back and deletes a probe
// object under the bucket path, completes and removes a small multipart
// upload and aborts another: every IAM action the connector uses. Every
// failure is a config error telling what to fix (naming the missing
// action when access is denied).
func checkBucket(ctx context.Context, cfg *config.Config, client *s3sink.Client) error {
	if strings.HasSuffix(cfg.BucketPath, "/") {
		return protocol.ConfigError(nil, "`s3_bucket_path` must not end with /: remove the trailing slash")
	}
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	bucket := aws.String(cfg.BucketName)
	prefix := cfg.ObjectPrefix()
	if prefix != "" {
		prefix += "/"
	}
	if _, err := client.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String(prefix), MaxKeys: aws.Int32(1)}); err != nil {
		return explainS3Error(cfg, "list the bucket", err)
	}
	probe := fmt.Sprintf("%s_airbyte_connection_test_%d", prefix, time.Now().UnixNano())
	body := []byte("radar destination-s3-parquet connection test")
	if err := client.PutSmall(ctx, probe, body, nil); err != nil {
		return explainS3Error(cfg, "write a test object", err)
	}
	out, err := client.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(probe)})
	if err != nil {
		_ = deleteQuietly(ctx, client, probe)
		return explainS3Error(cfg, "read back the test object", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		_ = deleteQuietly(ctx, client, probe)
		return protocol.ConfigError(err, "the test object read back from the bucket differs from what was written; check the endpoint")
	}
	if _, err := client.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String(probe)}); err != nil {
		return explainS3Error(cfg, "delete the test object", err)
	}
	if err := checkMultipart(ctx, cfg, client, probe+"_multipart"); err != nil {
		return err
	}
	return nil
}

func deleteQuietly(ctx context.Context, client *s3sink.Client, key string) error {
	_, err := client.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(client.Bucket), Key: aws.String(key)})
	return err
}

func checkMultipart(ctx context.Context, cfg *config.Config, client *s3sink.Client, key string) error {
	bucket := aws.String(cfg.BucketName)
	up, err := client.S3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String(key)})
	if err != nil {
		return explainS3Error(cfg, "start a multipart upload", err)
	}
	abort := func() {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = client.S3.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: aws.String(key), UploadId: up.UploadId})
	}
	part, err := client.S3.UploadPart(ctx, &s3.UploadPartInput{
		Bucket: bucket, Key: aws.String(key), UploadId: up.UploadId, PartNumber: aws.Int32(1),
		Body: bytes.NewReader([]byte("multipart test")), ContentLength: aws.Int64(14),
	})
	if err != nil {
		abort()
		return explainS3Error(cfg, "upload a multipart part", err)
	}
	_, err = client.S3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: bucket, Key: aws.String(key), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}},
	})
	if err != nil {
		abort()
		return explainS3Error(cfg, "complete a multipart upload", err)
	}
	if err := deleteQuietly(ctx, client, key); err != nil {
		return explainS3Error(cfg, "delete the multipart test object", err)
	}
	// A failed sync aborts its multipart uploads: that needs its own
	// permission, which nothing else here would notice missing.
	up2, err := client.S3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: bucket, Key: aws.String(key)})
	if err != nil {
		return explainS3Error(cfg, "start a multipart upload", err)
	}
	if _, err := client.S3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: aws.String(key), UploadId: up2.UploadId}); err != nil {
		return explainS3Error(cfg, "abort a multipart upload", err)
	}
	return nil
}

// explainS3Error turns an S3 error into a config error saying what to fix.
// Messages name config properties, never their secret values.
func explainS3Error(cfg *config.Config, action string, err error) error {
	code, status := errorCode(err)
	var ue *url.Error
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	switch {
	case credentialsRejected(code):
		return protocol.ConfigError(err, "Could not %s: the credentials were rejected (%s); check `access_key_id` and `secret_access_key`", action, code)
	case plainHTTPAnswer(err):
		return protocol.ConfigError(err, "Could not %s: the S3 endpoint %s does not speak HTTPS; an endpoint without a scheme means https://, so write `http://` in `s3_endpoint` if plain HTTP is meant", action, endpointOrAWS(cfg))
	case untrustedCertificate(err):
		return protocol.ConfigError(err, "Could not %s: the TLS certificate of the S3 endpoint %s is not trusted; check `s3_endpoint` (plain `http://` is used only when written)", action, endpointOrAWS(cfg))
	case code == "NoSuchBucket" || (status == 404 && strings.Contains(action, "list")):
		return protocol.ConfigError(err, "Could not %s: bucket %q does not exist; check `s3_bucket_name` (and `s3_endpoint`)", action, cfg.BucketName)
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || code == "IllegalLocationConstraintException" || status == 301:
		return protocol.ConfigError(err, "Could not %s: bucket %q is not in region %q; set `s3_bucket_region` to the bucket's region", action, cfg.BucketName, regionOrDefault(cfg))
	case code == "AccessDenied" || status == 403:
		if p := permissionOf(err); p != "" {
			return protocol.ConfigError(err, "Could not %s in bucket %q: access denied; the credentials (or `role_arn`) lack %s (the connector needs %s on the bucket and `s3_bucket_path`)", action, cfg.BucketName, p, requiredPermissions)
		}
		return protocol.ConfigError(err, "Could not %s in bucket %q: access denied; the credentials (or `role_arn`) need %s on the bucket and `s3_bucket_path`", action, cfg.BucketName, requiredPermissions)
	case errors.As(err, &de):
		return protocol.ConfigError(err, "Could not %s: the S3 endpoint host cannot be resolved; check `s3_endpoint`", action)
	case errors.As(err, &oe) || errors.As(err, &ne) || errors.As(err, &ue):
		return protocol.ConfigError(err, "Could not %s: the S3 endpoint cannot be reached (%s); check `s3_endpoint` and the network", action, endpointOrAWS(cfg))
	case errors.Is(err, context.DeadlineExceeded):
		return protocol.ConfigError(err, "Could not %s: S3 did not answer in time; check `s3_endpoint` and the network", action)
	}
	if code != "" {
		return protocol.ConfigError(err, "Could not %s in bucket %q: S3 answered %s", action, cfg.BucketName, code)
	}
	return protocol.ConfigError(err, "Could not %s in bucket %q", action, cfg.BucketName)
}

func regionOrDefault(cfg *config.Config) string {
	if cfg.Region == "" {
		return "us-east-1"
	}
	return cfg.Region
}

func endpointOrAWS(cfg *config.Config) string {
	if cfg.Endpoint == "" {
		return "AWS S3"
	}
	return cfg.Endpoint
}
