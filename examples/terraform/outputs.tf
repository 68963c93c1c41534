output "connection_id" {
  description = "For the Airflow Variable airbyte_connections: {\"radar_to_bronze\": \"<this id>\"}."
  value       = airbyte_connection.radar_to_bronze.connection_id
}

output "source_definition_id" {
  value = airbyte_source_definition.radar_mysql.id
}

output "destination_definition_id" {
  value = airbyte_destination_definition.s3_parquet.id
}
