"""Nightly Radar sync without Airbyte.

For teams that do not run an Airbyte server: one task runs the two connector
binaries through the project's runner,

    airbyte-sync run --source source-mysql-radar --source-config source.json \
      --destination destination-s3-parquet --destination-config destination.json \
      --catalog catalog.json --state s3://<bucket>/<path>/_airbyte_state/radar_to_bronze.json \
      --summary summary.json --max-attempts 3

which forwards the records and states between them the way the Airbyte
platform does, saves only the states the destination acknowledged (in S3,
beside the data, so the next run resumes on any worker), retries a
transient failure from the last acknowledged state, and exits non-zero when
the sync failed: 1 sync failed, 2 config error, 3 state store error.

Configuration (Airflow Variables, read when the task runs):
- `radar_pipe_dir` (default /opt/radar): the folder on the worker with
  source.json, destination.json and catalog.json. Secrets can be injected
  into the JSON files by your deployment; the connectors and the runner
  never print them.
- `radar_bin_dir` (default: empty, the binaries are on PATH): the folder with
  airbyte-sync, source-mysql-radar and destination-s3-parquet.
- `radar_state_uri` (optional): where the state is kept. By default it is
  s3://<s3_bucket_name>/<s3_bucket_path>/_airbyte_state/radar_to_bronze.json,
  from destination.json, so it lives beside the data it describes.

A config error (exit 2) fails the task without retry: retrying cannot fix
it. Any other failure is retried by Airflow once more; the runner resumes
from the saved state. The runner's summary (rows, bytes, objects and
seconds per stream) is logged and returned as the task's XCom.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException
from airflow.models import Variable
from airflow.operators.python import PythonOperator

log = logging.getLogger("airflow.task")

CONNECTION = "radar_to_bronze"

# airbyte-sync's exit statuses.
EXIT_SYNC_FAILED, EXIT_CONFIG_ERROR, EXIT_STATE_ERROR = 1, 2, 3


def _bin(bin_dir: str, name: str) -> str:
    return os.path.join(bin_dir, name) if bin_dir else name


def default_state_uri(destination_config: str) -> str:
    """The state object beside the data: <bucket>/<bucket path>/_airbyte_state/<connection>.json."""
    with open(destination_config) as f:
        cfg = json.load(f)
    path = "/".join(p for p in (cfg.get("s3_bucket_path", "").strip("/"), "_airbyte_state", f"{CONNECTION}.json") if p)
    return f"s3://{cfg['s3_bucket_name']}/{path}"


def sync_command(base: str, bin_dir: str, state_uri: str, summary: str) -> list[str]:
    """The airbyte-sync command line for the folder `base`."""
    return [
        _bin(bin_dir, "airbyte-sync"), "run",
        "--source", _bin(bin_dir, "source-mysql-radar"),
        "--source-config", os.path.join(base, "source.json"),
        "--destination", _bin(bin_dir, "destination-s3-parquet"),
        "--destination-config", os.path.join(base, "destination.json"),
        "--catalog", os.path.join(base, "catalog.json"),
        "--state", state_uri,
        "--summary", summary,
        "--max-attempts", "3",
        "--progress-interval", "1m",
    ]  # fmt: skip


def run_sync(**_context) -> dict:
    """Run one sync; fail the task when airbyte-sync exits non-zero."""
    base = Variable.get("radar_pipe_dir", default_var="/opt/radar")
    bin_dir = Variable.get("radar_bin_dir", default_var="")
    state_uri = Variable.get("radar_state_uri", default_var="") or default_state_uri(
        os.path.join(base, "destination.json")
    )
    with tempfile.TemporaryDirectory(prefix="radar-sync-") as tmp:
        summary_path = os.path.join(tmp, "summary.json")
        cmd = sync_command(base, bin_dir, state_uri, summary_path)
        log.info("running %s", " ".join(cmd))
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
            for line in proc.stdout:  # progress, LOG lines and the summary, into the task log
                log.info("%s", line.rstrip("\n"))
            code = proc.wait()
        summary = {}
        if os.path.exists(summary_path):
            with open(summary_path) as f:
                summary = json.load(f)
    if code == EXIT_CONFIG_ERROR:
        raise AirflowFailException(f"airbyte-sync: config error (exit {code}); see the log above, not retried")
    if code != 0:
        kind = {EXIT_SYNC_FAILED: "sync failed", EXIT_STATE_ERROR: "state store error"}.get(code, "failed")
        raise AirflowException(f"airbyte-sync: {kind} (exit {code}); the next try resumes from {state_uri}")
    return summary


with DAG(
    dag_id="dag_sync_radar_local_pipe",
    description="Radar MySQL -> S3 Parquet with airbyte-sync, state kept in S3 beside the data",
    start_date=datetime(2026, 1, 1),
    schedule="0 3 * * *",
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "data-engineering", "retries": 1, "retry_delay": timedelta(minutes=5)},
    tags=["radar", "bronze", "no-airbyte"],
) as dag:
    PythonOperator(task_id="sync_radar", python_callable=run_sync, execution_timeout=timedelta(hours=6))
