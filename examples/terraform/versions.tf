# The Radar connectors in a self-managed Airbyte, as code: the two custom
# connector definitions, the source, the destination and the team's
# connection. See README.md in this folder.

terraform {
  required_version = ">= 1.5"

  required_providers {
    airbyte = {
      source = "airbytehq/airbyte"
      # The version integration_tests/packaging/terraform_test.go checks
      # every resource and attribute against (testdata/terraform-provider-airbyte).
      version = "1.2.0"
    }
  }
}

# Airbyte's public API with an application's client credentials (Settings ->
# Applications in the Airbyte UI); a self-managed Airbyte serves the token
# under /api/public/v1/applications/token.
provider "airbyte" {
  server_url    = "${var.airbyte_url}/api/public/v1"
  token_url     = "${var.airbyte_url}/api/public/v1/applications/token"
  client_id     = var.airbyte_client_id
  client_secret = var.airbyte_client_secret
}
