package destination

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/cognitivo/radar-connectors/destination-s3-parquet/internal/config"
	"github.com/cognitivo/radar-connectors/protocol"
)

// requiredPermissions are the IAM actions the connector needs on the bucket
// and `s3_bucket_path`.
const requiredPermissions = "s3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload"

// permissionOf names the IAM action the S3 operation that failed with err
// needs, or "" when err does not say which operation it was.
func permissionOf(err error) string {
	var oe *smithy.OperationError
	if !errors.As(err, &oe) {
		return ""
	}
	switch oe.Operation() {
	case "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload":
		return "s3:PutObject"
	case "ListObjectsV2", "ListObjects", "HeadBucket":
		return "s3:ListBucket"
	case "GetObject", "HeadObject":
		return "s3:GetObject"
	case "DeleteObject", "DeleteObjects":
		return "s3:DeleteObject"
	case "AbortMultipartUpload":
		return "s3:AbortMultipartUpload"
	case "ListMultipartUploads":
		return "s3:ListBucketMultipartUploads"
	}
	return ""
}

// errorCode returns the S3 error code and HTTP status of err, if any.
func errorCode(err error) (string, int) {
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var re interface{ HTTPStatusCode() int }
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// s3Failure classifies an S3 error met during a sync (after the SDK's own
// retries): a missing bucket, rejected credentials or a missing permission
// will not go away by retrying the sync, so they are config errors that say
// what to fix; anything else (throttling, 5xx, the network) is transient.
// what describes the action ("cannot upload <key>").
func s3Failure(cfg *config.Config, err error, what string) error {
	code, status := errorCode(err)
	switch {
	case code == "NoSuchBucket":
		return protocol.ConfigError(err, "%s: bucket %q does not exist (was it deleted?); check `s3_bucket_name`", what, cfg.BucketName)
	case credentialsRejected(code):
		return protocol.ConfigError(err, "%s: S3 rejected the credentials (%s); check `access_key_id` and `secret_access_key` (or `role_arn`)", what, code)
	case code == "AccessDenied" || code == "AllAccessDisabled" || status == 403:
		if p := permissionOf(err); p != "" {
			return protocol.ConfigError(err, "%s: access denied in bucket %q; the credentials (or `role_arn`) lack %s there (the connector needs %s on the bucket and `s3_bucket_path`)", what, cfg.BucketName, p, requiredPermissions)
		}
		return protocol.ConfigError(err, "%s: access denied in bucket %q; the credentials (or `role_arn`) need %s on the bucket and `s3_bucket_path`", what, cfg.BucketName, requiredPermissions)
	case untrustedCertificate(err):
		return protocol.ConfigError(err, "%s: the TLS certificate of the S3 endpoint %s is not trusted; check `s3_endpoint`", what, endpointOrAWS(cfg))
	}
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		return protocol.TransientError(err, "%s: the S3 endpoint's host name cannot be resolved; check `s3_endpoint` and the network", what)
	case errors.As(err, &op):
		return protocol.TransientError(err, "%s: the S3 endpoint %s cannot be reached; check `s3_endpoint` and the network", what, endpointOrAWS(cfg))
	}
	return protocol.TransientError(err, "%s", what)
}

// credentialsRejected reports the S3 error codes of unknown or wrong keys.
// XAdminUserNotFound is versitygw's answer to an unknown access key.
func credentialsRejected(code string) bool {
	switch code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "XAdminUserNotFound":
		return true
	}
	return false
}

// untrustedCertificate reports a TLS certificate verification failure.
func untrustedCertificate(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// plainHTTPAnswer reports a TLS handshake answered with plain HTTP.
func plainHTTPAnswer(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}
