#!/usr/bin/env python3
"""Register the Radar connectors in a self-managed Airbyte and create the
team's connection, through Airbyte's public API (standard library only).

    AIRBYTE_URL=http://localhost:8000/api/public/v1 \\
    AIRBYTE_CLIENT_ID=... AIRBYTE_CLIENT_SECRET=... \\
    AIRBYTE_WORKSPACE_ID=... \\
    python3 register_connectors.py --source-config ../local/source.json \\
        --destination-config ../local/destination.json --catalog ../local/catalog.json

Steps, each find-or-create, so that running the script again changes
nothing:
1) a token from /applications/token (skipped without client credentials,
   for instances without auth);
2) the custom source and destination definitions of the two Docker images,
   found by image name (the platform runs `spec` on an image when its
   definition is created, so the images must be pullable by the cluster,
   e.g. `kind load docker-image` for abctl); a definition whose tag differs
   from --image-tag is moved to that tag;
3) the source and the destination, found by name (an existing one is kept
   as it is: change its config in the UI or with Terraform);
4) the connection, found by name. Its streams come from a configured
   catalog (--catalog: sync modes, cursor fields and primary keys as in the
   catalog) or from --streams (full refresh | overwrite, or with
   --incremental incremental | append). An incremental stream needs a cursor
   field: --cursor-field STREAM=COLUMN, else the catalog's, else the one the
   source declares in discover (GET /streams: defaultCursorField, which
   sourceDefinedCursorField makes the only choice). A stream without one,
   a stream the source does not have or a sync mode it does not support is
   an error before the connection is created. An existing connection is
   kept; the script says whether its streams differ from the requested ones.

It prints the ids as JSON; connectionId goes into the Airflow Variable
`airbyte_connections` ({"radar_to_bronze": "<connectionId>"}). Errors name
the call, the HTTP status and Airbyte's message, never a secret.

The same setup as Terraform: examples/terraform.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

SOURCE_IMAGE = "cognitivo/source-mysql-radar"
DESTINATION_IMAGE = "cognitivo/destination-s3-parquet"
DOCS = "https://github.com/cognitivo/radar-connectors/blob/main/docs/"
PAGE = 100  # the public API's maximum `limit`

# (catalog sync_mode, destination_sync_mode) -> the public API's ConnectionSyncModeEnum.
SYNC_MODES = {
    ("full_refresh", "overwrite"): "full_refresh_overwrite",
    ("full_refresh", "append"): "full_refresh_append",
    ("full_refresh", "overwrite_dedup"): "full_refresh_overwrite_deduped",
    ("incremental", "append"): "incremental_append",
    ("incremental", "append_dedup"): "incremental_deduped_history",
}


class Failure(Exception):
    """An error for the user: printed as is, exit status 1."""


class Airbyte:
    """A client of the public API that names the call in every error and
    keeps the given secrets out of its messages."""

    def __init__(self, url: str, secrets: list[str]):
        self.url = url.rstrip("/")
        self.token: str | None = None
        self.secrets = sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True)
        self.created: list[str] = []

    def redact(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "**********")
        return text

    def call(self, method: str, path: str, body: dict | None = None, query: dict | None = None):
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=300) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise Failure(f"{method} {path}: HTTP {e.code}: {self.redact(_problem(e))}") from None
        except urllib.error.URLError as e:
            raise Failure(f"{method} {path}: cannot reach Airbyte at {self.url}: {e.reason}") from None
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise Failure(f"{method} {path}: the answer is not JSON: {self.redact(raw[:200].decode(errors='replace'))}") from None

    def list_all(self, path: str, query: dict) -> list[dict]:
        """Every item of a paginated list (limit/offset, as the public API pages)."""
        items, offset = [], 0
        while True:
            page = self.call("GET", path, query={**query, "limit": PAGE, "offset": offset})
            data = page.get("data", [])
            items += data
            if len(data) < PAGE or not page.get("next"):
                return items
            offset += PAGE


def _problem(e: urllib.error.HTTPError) -> str:
    """Airbyte's message from an error answer (a problem+json document or text)."""
    raw = e.read().decode(errors="replace")
    try:
        doc = json.loads(raw)
    except ValueError:
        return raw.strip()[:500] or e.reason
    if isinstance(doc, dict):
        parts = [str(doc[k]) for k in ("title", "detail", "message") if doc.get(k)]
        if parts:
            return ": ".join(dict.fromkeys(parts))[:500]
    return raw.strip()[:500]


SECRET_KEY = re.compile(r"password|secret|key|token|credential|certificate", re.I)


def secret_values(*docs) -> list[str]:
    """The values of the configs' secret-looking fields (password, ssh_key,
    secret_access_key, ...: every airbyte_secret of both specs), which no
    message may show."""
    out = []

    def walk(v, secret=False):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, secret or bool(SECRET_KEY.search(k)))
        elif isinstance(v, list):
            for x in v:
                walk(x, secret)
        elif isinstance(v, str) and secret:
            out.append(v)

    for d in docs:
        walk(d)
    return out


def get_token(api: Airbyte, client_id: str | None, client_secret: str | None) -> None:
    if not client_id or not client_secret:
        return
    # The document requires `grant_type`; the server reads `grant-type`
    # (airbyte-platform ApplicationTokenRequestWithGrant): send both.
    body = {
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "client_credentials",
        "grant-type": "client_credentials",
    }
    api.token = api.call("POST", "/applications/token", body)["access_token"]


def definition(api: Airbyte, workspace: str, kind: str, name: str, image: str, tag: str, docs: str) -> str:
    """Find the custom definition of `image` in the workspace, or create it."""
    path = f"/workspaces/{workspace}/definitions/{kind}"
    for d in api.call("GET", path).get("data", []):
        if d.get("dockerRepository") == image:
            if d.get("dockerImageTag") != tag:
                api.call("PUT", f"{path}/{d['id']}", {"name": d["name"], "dockerImageTag": tag})
                api.created.append(f"{kind} definition {image}: tag {d.get('dockerImageTag')} -> {tag}")
            return d["id"]
    d = api.call("POST", path, {"name": name, "dockerRepository": image, "dockerImageTag": tag, "documentationUrl": docs})
    api.created.append(f"{kind} definition {image}:{tag}")
    return d["id"]


def actor(api: Airbyte, workspace: str, kind: str, name: str, definition_id: str, config: dict) -> str:
    """Find the source or destination `name` of that definition, or create it."""
    id_key = "sourceId" if kind == "sources" else "destinationId"
    for a in api.list_all(f"/{kind}", {"workspaceIds": workspace}):
        if a.get("name") == name and a.get("definitionId") in (None, definition_id):
            return a[id_key]
    a = api.call(
        "POST", f"/{kind}", {"name": name, "workspaceId": workspace, "definitionId": definition_id, "configuration": config}
    )
    api.created.append(f"{kind[:-1]} {name}")
    return a[id_key]


def requested_streams(args) -> list[dict]:
    """The streams to sync: name, namespace, syncMode, cursorField, primaryKey."""
    if args.catalog:
        with open(args.catalog) as f:
            catalog = json.load(f)
        out = []
        for s in catalog["streams"]:
            mode = SYNC_MODES.get((s["sync_mode"], s["destination_sync_mode"]))
            if mode is None:
                raise Failure(f"{args.catalog}: stream {s['stream']['name']}: no public-API sync mode for "
                              f"{s['sync_mode']} | {s['destination_sync_mode']}")
            st = {"name": s["stream"]["name"], "syncMode": mode}
            if s["stream"].get("namespace"):
                st["namespace"] = s["stream"]["namespace"]
            if s.get("cursor_field"):
                st["cursorField"] = s["cursor_field"]
            if s.get("primary_key"):
                st["primaryKey"] = s["primary_key"]
            out.append(st)
        return out
    mode = "incremental_append" if args.incremental else "full_refresh_overwrite"
    return [{"name": n.strip(), "syncMode": mode} for n in args.streams.split(",") if n.strip()]


def complete_streams(streams: list[dict], props: list[dict], cursor_overrides: dict[str, str]) -> list[dict]:
    """Add cursor fields (and source-defined primary keys) from discover;
    refuse a stream the source does not have, a sync mode it does not
    support, or an incremental stream without a cursor field."""
    by_name = {p.get("streamName"): p for p in props}
    problems = []
    for st in streams:
        p = by_name.get(st["name"])
        if p is None:
            problems.append(f"stream {st['name']}: the source has no such stream (discover lists {len(by_name)})")
            continue
        if p.get("syncModes") and st["syncMode"] not in p["syncModes"]:
            problems.append(f"stream {st['name']}: sync mode {st['syncMode']} is not one of {p['syncModes']}")
        if st["name"] in cursor_overrides:
            st["cursorField"] = [cursor_overrides[st["name"]]]
        if st["syncMode"].startswith("incremental") and not st.get("cursorField"):
            if p.get("defaultCursorField"):
                st["cursorField"] = p["defaultCursorField"]
            else:
                problems.append(
                    f"stream {st['name']}: incremental needs a cursor field and the source declares none; "
                    f"pass --cursor-field {st['name']}=<column> or use --catalog"
                )
        if not st.get("primaryKey") and p.get("sourceDefinedPrimaryKey"):
            st["primaryKey"] = p["sourceDefinedPrimaryKey"]
        if st["syncMode"].endswith("deduped_history") and not st.get("primaryKey"):
            problems.append(f"stream {st['name']}: {st['syncMode']} needs a primary key")
    if problems:
        raise Failure("cannot create the connection:\n  " + "\n  ".join(problems))
    return streams


def _canon(streams: list[dict]) -> list[dict]:
    keys = ("name", "namespace", "syncMode", "cursorField", "primaryKey")
    return sorted(({k: s[k] for k in keys if s.get(k)} for s in streams), key=lambda s: s["name"])


def find_connection(api: Airbyte, workspace: str, name: str, source: str, destination: str) -> dict | None:
    """The connection `name` between this source and destination, if any."""
    for c in api.list_all("/connections", {"workspaceIds": workspace}):
        if c.get("name") == name and c.get("sourceId") == source and c.get("destinationId") == destination:
            return c
    return None


def create_connection(api: Airbyte, name: str, source: str, destination: str, streams: list[dict]) -> str:
    c = api.call("POST", "/connections", {
        "name": name,
        "sourceId": source,
        "destinationId": destination,
        "namespaceDefinition": "source",  # the streams land under the database's name
        "prefix": "",
        "status": "active",
        "schedule": {"scheduleType": "manual"},  # Airflow triggers it
        "configurations": {"streams": streams},
    })
    api.created.append(f"connection {name}")
    return c["connectionId"]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source-config", required=True, help="the source's config JSON")
    p.add_argument("--destination-config", required=True, help="the destination's config JSON")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--catalog", help="a configured catalog: streams with their sync modes, cursors and keys")
    which.add_argument("--streams", help="comma-separated table names")
    p.add_argument("--incremental", action="store_true", help="with --streams: incremental | append")
    p.add_argument("--cursor-field", action="append", default=[], metavar="STREAM=COLUMN",
                   help="the cursor of an incremental stream (repeatable)")
    p.add_argument("--name", default="radar_to_bronze", help="the connection's name")
    p.add_argument("--source-name", default="radar_mysql")
    p.add_argument("--destination-name", default="bronze_radar_s3")
    p.add_argument("--image-tag", default="0.1.0", help="tag of both images")
    args = p.parse_args(argv)
    if args.incremental and args.catalog:
        p.error("--incremental applies to --streams; the catalog says each stream's mode")
    overrides = {}
    for cf in args.cursor_field:
        stream, sep, column = cf.partition("=")
        if not sep or not stream or not column:
            p.error(f"--cursor-field {cf!r}: want STREAM=COLUMN")
        overrides[stream] = column
    args.cursor_overrides = overrides
    return args


def run(argv) -> dict:
    args = parse_args(argv)
    url = os.environ.get("AIRBYTE_URL", "http://localhost:8000/api/public/v1")
    workspace = os.environ.get("AIRBYTE_WORKSPACE_ID")
    if not workspace:
        raise Failure("AIRBYTE_WORKSPACE_ID is not set (Settings -> General in the Airbyte UI shows it)")
    configs = {}
    for key, path in (("source", args.source_config), ("destination", args.destination_config)):
        try:
            with open(path) as f:
                configs[key] = json.load(f)
        except (OSError, ValueError) as e:
            raise Failure(f"read the {key} config {path}: {e}") from None
    streams = requested_streams(args)
    client_id, client_secret = os.environ.get("AIRBYTE_CLIENT_ID"), os.environ.get("AIRBYTE_CLIENT_SECRET")
    api = Airbyte(url, secret_values(configs["source"], configs["destination"]) + [client_secret or ""])
    get_token(api, client_id, client_secret)

    src_def = definition(api, workspace, "sources", "MySQL (Radar)", SOURCE_IMAGE, args.image_tag,
                         DOCS + "source-mysql-radar.md")
    dst_def = definition(api, workspace, "destinations", "S3 Parquet (Radar)", DESTINATION_IMAGE, args.image_tag,
                         DOCS + "destination-s3-parquet.md")
    source = actor(api, workspace, "sources", args.source_name, src_def, configs["source"])
    destination = actor(api, workspace, "destinations", args.destination_name, dst_def, configs["destination"])

    props = api.call("GET", "/streams", query={"sourceId": source, "destinationId": destination})
    streams = complete_streams(streams, props, args.cursor_overrides)
    found = find_connection(api, workspace, args.name, source, destination)
    if found is None:
        conn = create_connection(api, args.name, source, destination, streams)
    else:
        conn = found["connectionId"]
        if _canon(found.get("configurations", {}).get("streams", [])) != _canon(streams):
            print(f"register_connectors: note: connection {args.name} exists and its streams differ from the "
                  "requested ones; it was not changed (edit it in the UI or with Terraform)", file=sys.stderr)
    return {
        "sourceDefinitionId": src_def,
        "destinationDefinitionId": dst_def,
        "sourceId": source,
        "destinationId": destination,
        "connectionId": conn,
        "changed": api.created,
    }


def main() -> None:
    try:
        out = run(sys.argv[1:])
    except Failure as e:
        sys.exit(f"register_connectors: {e}")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
