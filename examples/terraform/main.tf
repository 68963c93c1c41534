# Custom connector definitions: the platform pulls each image and runs its
# `spec` when the definition is created, so the images must be pullable by
# the cluster (a registry, or `kind load docker-image` for abctl).
resource "airbyte_source_definition" "radar_mysql" {
  workspace_id      = var.workspace_id
  name              = "MySQL (Radar)"
  docker_repository = "cognitivo/source-mysql-radar"
  docker_image_tag  = var.image_tag
  documentation_url = "https://github.com/cognitivo/radar-connectors/blob/main/docs/source-mysql-radar.md"
}

resource "airbyte_destination_definition" "s3_parquet" {
  workspace_id      = var.workspace_id
  name              = "S3 Parquet (Radar)"
  docker_repository = "cognitivo/destination-s3-parquet"
  docker_image_tag  = var.image_tag
  documentation_url = "https://github.com/cognitivo/radar-connectors/blob/main/docs/destination-s3-parquet.md"
}

# The source: examples/local/source.json, with the password from a variable.
resource "airbyte_source" "radar_mysql" {
  workspace_id  = var.workspace_id
  name          = "radar_mysql"
  definition_id = airbyte_source_definition.radar_mysql.id
  configuration = jsonencode({
    host     = var.radar_mysql_host
    port     = 3306
    database = "radar"
    username = var.radar_mysql_username
    password = var.radar_mysql_password
    ssl      = true
    ssl_mode = { mode = "preferred" }
    tunnel_method = {
      tunnel_method = "NO_TUNNEL"
    }
    replication_method = {
      method                  = "STANDARD"
      initial_waiting_seconds = 300
    }
    jdbc_url_params = "allowPublicKeyRetrieval=true&useSSL=false"
  })
}

# The destination: examples/local/destination.json; access keys only when given.
resource "airbyte_destination" "bronze_radar_s3" {
  workspace_id  = var.workspace_id
  name          = "bronze_radar_s3"
  definition_id = airbyte_destination_definition.s3_parquet.id
  configuration = jsonencode(merge(
    {
      s3_bucket_name   = var.s3_bucket_name
      s3_bucket_path   = var.s3_bucket_path
      s3_bucket_region = "us-east-1"
      s3_path_format   = "$${STREAM_NAME}/cog_dt_ingestion=$${YEAR}-$${MONTH}-$${DAY}/file_$${STREAM_NAME}"
      format = {
        format_type       = "Parquet"
        compression_codec = "SNAPPY"
      }
    },
    var.aws_access_key_id == null ? {} : {
      access_key_id     = var.aws_access_key_id
      secret_access_key = var.aws_secret_access_key
    },
  ))
}

# The team's connection: the Radar tables in full refresh | overwrite, and
# the two growing tables read incrementally by their update cursor,
# transacoes deduplicated on its id. Airflow triggers it
# (examples/airflow/dags/dag_sync_airbyte_connections.py), hence the manual
# schedule; the streams keep the source's namespace (the database, radar).
resource "airbyte_connection" "radar_to_bronze" {
  name                                 = "radar_to_bronze"
  source_id                            = airbyte_source.radar_mysql.source_id
  destination_id                       = airbyte_destination.bronze_radar_s3.destination_id
  status                               = "active"
  namespace_definition                 = "source"
  prefix                               = ""
  non_breaking_schema_updates_behavior = "ignore"

  schedule = {
    schedule_type = "manual"
  }

  configurations = {
    streams = [
      { name = "store", namespace = "radar", sync_mode = "full_refresh_overwrite", primary_key = [["Id"]] },
      { name = "store_metrics", namespace = "radar", sync_mode = "full_refresh_overwrite", primary_key = [["store_id"], ["metric_date"]] },
      { name = "brand_metrics_average", namespace = "radar", sync_mode = "full_refresh_overwrite", primary_key = [["brand"]] },
      { name = "product", namespace = "radar", sync_mode = "full_refresh_overwrite", primary_key = [["id"]] },
      { name = "product_pbm", namespace = "radar", sync_mode = "full_refresh_overwrite", primary_key = [["product_id"], ["program"]] },
      { name = "contest", namespace = "radar", sync_mode = "full_refresh_overwrite", primary_key = [["id"]] },
      { name = "contest_score", namespace = "radar", sync_mode = "full_refresh_overwrite", primary_key = [["id"]] },
      { name = "vouchers", namespace = "radar", sync_mode = "full_refresh_overwrite", primary_key = [["code"]] },
      { name = "store_document", namespace = "radar", sync_mode = "full_refresh_overwrite", primary_key = [["id"]] },
      {
        name         = "user_access"
        namespace    = "radar"
        sync_mode    = "incremental_append"
        cursor_field = ["accessed_at"]
        primary_key  = [["id"]]
      },
      {
        name         = "transacoes"
        namespace    = "radar"
        sync_mode    = "incremental_deduped_history"
        cursor_field = ["atualizado_em"]
        primary_key  = [["id"]]
      },
    ]
  }
}
