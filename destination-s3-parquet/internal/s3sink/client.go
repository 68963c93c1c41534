// Package s3sink streams files to S3: a Client built from the connector
// config (static keys or the AWS default chain, optional assume-role, any
// S3-compatible endpoint with path-style access) and Uploads that take the
// bytes of one object as they are written and send them as multipart parts,
// with a bound on the parts in flight shared by every upload.
//
// The multipart calls are made directly rather than through the
// transfermanager: its uploader reads a non-seekable body into one part-size
// buffer per concurrent part per upload, which multiplies memory by the
// number of open files. Here part buffers are pooled 256 KiB chunks and the
// concurrency bound is global.
package s3sink

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/config"
)

// Client is an S3 client bound to one bucket, with the upload settings of
// the config.
type Client struct {
	S3       *s3.Client
	Bucket   string
	partSize int
	sem      chan struct{}
	sse      types.ServerSideEncryption
	kmsKeyID string
	pool     *chunkPool
}

// Options tune a Client beyond the config (tests set HTTPClient).
type Options struct {
	HTTPClient *http.Client
}

// NewClient builds the S3 client described by cfg.
func NewClient(ctx context.Context, cfg *config.Config, opts Options) (*Client, error) {
	endpoint, err := cfg.EndpointURL()
	if err != nil {
		return nil, err
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	load := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(region),
		awsconfig.WithRetryMaxAttempts(5),
	}
	if opts.HTTPClient != nil {
		load = append(load, awsconfig.WithHTTPClient(opts.HTTPClient))
	}
	if cfg.AccessKeyID != "" || cfg.SecretAccessKey != "" {
		load = append(load, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.RoleARN != "" {
		stsClient := sts.NewFromConfig(awsCfg)
		awsCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, cfg.RoleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "radar-destination-s3-parquet" }))
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
			// S3-compatible stores often lack the newer default checksums.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	c := &Client{
		S3:       client,
		Bucket:   cfg.BucketName,
		partSize: cfg.PartSize(),
		sem:      make(chan struct{}, cfg.UploadConcurrency),
		kmsKeyID: cfg.KMSKeyID,
		pool:     newChunkPool(),
	}
	switch cfg.ServerSideEncryption {
	case "SSE_S3":
		c.sse = types.ServerSideEncryptionAes256
	case "SSE_KMS":
		c.sse = types.ServerSideEncryptionAwsKms
	}
	return c, nil
}

// PartSize returns the multipart part size in bytes.
func (c *Client) PartSize() int { return c.partSize }

// acquire takes an upload slot.
func (c *Client) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.sem }

func (c *Client) sseParams() (types.ServerSideEncryption, *string) {
	if c.sse == "" {
		return "", nil
	}
	if c.sse == types.ServerSideEncryptionAwsKms && c.kmsKeyID != "" {
		return c.sse, aws.String(c.kmsKeyID)
	}
	return c.sse, nil
}

// PutSmall writes a small object in one request (markers, probes).
func (c *Client) PutSmall(ctx context.Context, key string, body []byte, metadata map[string]string) error {
	sse, kms := c.sseParams()
	_, err := c.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(c.Bucket), Key: aws.String(key), Body: strings.NewReader(string(body)),
		ContentLength: aws.Int64(int64(len(body))), Metadata: metadata,
		ServerSideEncryption: sse, SSEKMSKeyId: kms,
	})
	if err != nil {
		return fmt.Errorf("put object %s: %w", key, err)
	}
	return nil
}

// ListKeys returns the keys under prefix.
func (c *Client) ListKeys(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(c.S3, &s3.ListObjectsV2Input{Bucket: aws.String(c.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list objects under %q: %w", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// GenerationOf returns an object's ab-generation-id metadata (0 if absent).
func (c *Client) GenerationOf(ctx context.Context, key string) (int64, error) {
	out, err := c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key)})
	if err != nil {
		return 0, fmt.Errorf("head object %s: %w", key, err)
	}
	for k, v := range out.Metadata {
		if strings.EqualFold(k, GenerationMetadataKey) {
			var g int64
			if _, err := fmt.Sscan(v, &g); err == nil {
				return g, nil
			}
		}
	}
	return 0, nil
}

// GenerationMetadataKey is the user metadata naming an object's generation.
const GenerationMetadataKey = "ab-generation-id"

// DeleteKeys deletes objects in batches of 1000.
func (c *Client) DeleteKeys(ctx context.Context, keys []string) error {
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		ids := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := c.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(c.Bucket), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("delete %d objects: %w", n, err)
		}
		if len(out.Errors) > 0 {
			// Per-object failures come in a successful answer; report the
			// first as the operation's error so callers can classify it.
			e := out.Errors[0]
			return fmt.Errorf("delete object %s: %w", aws.ToString(e.Key), &smithy.OperationError{
				ServiceID: "S3", OperationName: "DeleteObjects",
				Err: &smithy.GenericAPIError{Code: aws.ToString(e.Code), Message: aws.ToString(e.Message)},
			})
		}
		keys = keys[n:]
	}
	return nil
}

// abortTimeout bounds the clean-up of a failed upload, which runs even when
// the sync's context is cancelled.
const abortTimeout = 30 * time.Second
