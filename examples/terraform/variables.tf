variable "airbyte_url" {
  description = "Root URL of the Airbyte server, without the API path, e.g. http://airbyte.internal:8000."
  type        = string
}

variable "airbyte_client_id" {
  description = "Client id of an Airbyte application (Settings -> Applications)."
  type        = string
  sensitive   = true
}

variable "airbyte_client_secret" {
  description = "Client secret of that application."
  type        = string
  sensitive   = true
}

variable "workspace_id" {
  description = "The Airbyte workspace the definitions, source, destination and connection belong to."
  type        = string
}

variable "image_tag" {
  description = "Tag of the cognitivo/source-mysql-radar and cognitivo/destination-s3-parquet images (make docker VERSION=...)."
  type        = string
  default     = "0.1.0"
}

variable "radar_mysql_host" {
  description = "Host of the Radar MySQL/MariaDB server."
  type        = string
  default     = "radar-mysql.internal"
}

variable "radar_mysql_username" {
  description = "A read-only user of the radar database."
  type        = string
  default     = "bi-cognitivo-read"
}

variable "radar_mysql_password" {
  description = "That user's password."
  type        = string
  sensitive   = true
}

variable "s3_bucket_name" {
  description = "Bucket of the bronze layer."
  type        = string
  default     = "cognitivo-datalake"
}

variable "s3_bucket_path" {
  description = "Prefix of the Radar tables in the bucket."
  type        = string
  default     = "origin=airbyte/database=bronze_radar"
}

variable "aws_access_key_id" {
  description = "AWS access key of the destination; null uses the AWS default credential chain of the Airbyte workers."
  type        = string
  default     = null
  sensitive   = true
}

variable "aws_secret_access_key" {
  description = "The secret key of aws_access_key_id."
  type        = string
  default     = null
  sensitive   = true
}
