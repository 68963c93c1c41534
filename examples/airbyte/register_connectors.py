#!/usr/bin/env python3
"""Register the Radar connectors in an Airbyte OSS instance and create the
connection, through Airbyte's public API (standard library only).

    AIRBYTE_URL=http://localhost:8000/api/public/v1 \
    AIRBYTE_CLIENT_ID=... AIRBYTE_CLIENT_SECRET=... \
    AIRBYTE_WORKSPACE_ID=... \
    python3 register_connectors.py --source-config ../local/source.json \
        --destination-config ../local/destination.json --streams store,product,vouchers

Steps: 1) a token from /applications/token (skipped without client
credentials, for instances without auth); 2) custom source and destination
definitions from the Docker images (the platform runs `spec` on them, so
the images must be pullable by the cluster, e.g. `kind load docker-image`
for abctl); 3) a source and a destination with the given configs; 4) a
connection with the listed streams (full refresh | overwrite by default,
or incremental | append with --incremental). It prints the connection id
for the Airflow DAG's `airbyte_connections` Variable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

SOURCE_IMAGE = ("cognitivo/source-mysql-radar", "0.1.0")
DESTINATION_IMAGE = ("cognitivo/destination-s3-parquet", "0.1.0")


class Airbyte:
    def __init__(self, url: str, token: str | None):
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=300) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            sys.exit(f"{method} {path}: HTTP {e.code}: {e.read().decode(errors='replace')[:2000]}")
        return json.loads(raw) if raw else {}


def token(url: str) -> str | None:
    cid, secret = os.environ.get("AIRBYTE_CLIENT_ID"), os.environ.get("AIRBYTE_CLIENT_SECRET")
    if not cid or not secret:
        return None
    return Airbyte(url, None).call(
        "POST", "/applications/token", {"client_id": cid, "client_secret": secret, "grant-type": "client_credentials"}
    )["access_token"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source-config", required=True)
    p.add_argument("--destination-config", required=True)
    p.add_argument("--streams", required=True, help="comma-separated table names")
    p.add_argument("--name", default="radar_to_bronze")
    p.add_argument("--incremental", action="store_true", help="incremental | append instead of full refresh | overwrite")
    args = p.parse_args()

    url = os.environ.get("AIRBYTE_URL", "http://localhost:8000/api/public/v1")
    workspace = os.environ["AIRBYTE_WORKSPACE_ID"]
    api = Airbyte(url, token(url))

    src_def = api.call("POST", f"/workspaces/{workspace}/definitions/sources", {
        "name": "MySQL (Radar)", "dockerRepository": SOURCE_IMAGE[0], "dockerImageTag": SOURCE_IMAGE[1],
        "documentationUrl": "https://github.com/cognitivo/radar-connectors/blob/main/docs/source-mysql-radar.md",
    })["id"]
    dst_def = api.call("POST", f"/workspaces/{workspace}/definitions/destinations", {
        "name": "S3 Parquet (Radar)", "dockerRepository": DESTINATION_IMAGE[0], "dockerImageTag": DESTINATION_IMAGE[1],
        "documentationUrl": "https://github.com/cognitivo/radar-connectors/blob/main/docs/destination-s3-parquet.md",
    })["id"]
    with open(args.source_config) as f:
        src_cfg = json.load(f)
    with open(args.destination_config) as f:
        dst_cfg = json.load(f)
    source = api.call("POST", "/sources", {
        "name": "radar_mysql", "workspaceId": workspace, "definitionId": src_def, "configuration": src_cfg,
    })["sourceId"]
    destination = api.call("POST", "/destinations", {
        "name": "bronze_radar_s3", "workspaceId": workspace, "definitionId": dst_def, "configuration": dst_cfg,
    })["destinationId"]
    mode = "incremental_append" if args.incremental else "full_refresh_overwrite"
    conn = api.call("POST", "/connections", {
        "name": args.name,
        "sourceId": source,
        "destinationId": destination,
        "namespaceDefinition": "source",
        "schedule": {"scheduleType": "manual"},
        "configurations": {"streams": [{"name": s.strip(), "syncMode": mode} for s in args.streams.split(",") if s.strip()]},
    })
    print(json.dumps({"sourceDefinitionId": src_def, "destinationDefinitionId": dst_def,
                      "sourceId": source, "destinationId": destination, "connectionId": conn["connectionId"]}, indent=2))


if __name__ == "__main__":
    main()
