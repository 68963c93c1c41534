"""Nightly Radar sync without Airbyte.

For teams that do not run an Airbyte server: one task per group of streams
runs the two connector binaries as a pipe,

    source-mysql-radar read --config source.json --catalog catalog.json --state state.json \
      | destination-s3-parquet write --config destination.json --catalog catalog.json

and keeps the state between runs the way the Airbyte platform does: only
states the destination acknowledged (echoed on its stdout, which it does
once the data before them is durably in S3) are saved, so a failed run
resumes from the last durable checkpoint.

Configuration lives in a folder on the worker (Airflow Variable
`radar_pipe_dir`, default /opt/radar): source.json, destination.json,
catalog.json; the state file is written there as state.json. The binaries
are on PATH (or set the Variable `radar_bin_dir`). Secrets can be injected
into the JSON files by your deployment (they are never printed: the
connectors redact every airbyte_secret value from their output).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException
from airflow.models import Variable
from airflow.operators.python import PythonOperator


def _bin(name: str) -> str:
    d = Variable.get("radar_bin_dir", default_var="")
    return os.path.join(d, name) if d else name


def _save_state(path: str, states: dict) -> None:
    """Write the state file atomically: the latest acked state per stream
    (STREAM states) or the latest GLOBAL state."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".state-")
    with os.fdopen(fd, "w") as f:
        json.dump(list(states.values()), f)
    os.replace(tmp, path)


def run_pipe(**_context) -> None:
    base = Variable.get("radar_pipe_dir", default_var="/opt/radar")
    state_path = os.path.join(base, "state.json")
    cfg = {k: os.path.join(base, f"{k}.json") for k in ("source", "destination", "catalog")}

    src_cmd = [_bin("source-mysql-radar"), "read", "--config", cfg["source"], "--catalog", cfg["catalog"]]
    if os.path.exists(state_path):
        src_cmd += ["--state", state_path]
    dst_cmd = [_bin("destination-s3-parquet"), "write", "--config", cfg["destination"], "--catalog", cfg["catalog"]]

    src = subprocess.Popen(src_cmd, stdout=subprocess.PIPE)
    dst = subprocess.Popen(dst_cmd, stdin=src.stdout, stdout=subprocess.PIPE)
    src.stdout.close()  # the destination owns the pipe now

    states: dict = {}
    if os.path.exists(state_path):
        with open(state_path) as f:
            for s in json.load(f):
                key = "GLOBAL" if s.get("type") == "GLOBAL" else json.dumps(s["stream"]["stream_descriptor"], sort_keys=True)
                states[key] = s
    errors: list[str] = []

    for line in dst.stdout:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        kind = msg.get("type")
        if kind == "STATE":
            st = msg["state"]
            clean = {"type": st.get("type", "STREAM")}
            if clean["type"] == "GLOBAL":
                clean["global"] = st["global"]
                key = "GLOBAL"
            else:
                clean["stream"] = st["stream"]
                key = json.dumps(st["stream"]["stream_descriptor"], sort_keys=True)
            states[key] = clean
            _save_state(state_path, states)  # every ack is durable data
        elif kind == "TRACE" and msg["trace"].get("type") == "ERROR":
            errors.append(msg["trace"]["error"].get("message", ""))
        elif kind == "LOG":
            print(msg["log"]["level"], msg["log"]["message"])
            if msg["log"]["level"] in ("ERROR", "FATAL"):
                # e.g. "the source reported an error (...)": the source's
                # TRACE ERROR, repeated by the destination.
                errors.append(msg["log"]["message"])

    dst_code = dst.wait()
    src_code = src.wait()
    if src_code != 0 or dst_code != 0 or errors:
        raise AirflowException(f"radar pipe failed: source exit {src_code}, destination exit {dst_code}; {errors}")


with DAG(
    dag_id="dag_sync_radar_local_pipe",
    description="Radar MySQL -> S3 Parquet with the connectors as a pipe, state kept between runs",
    start_date=datetime(2026, 1, 1),
    schedule="0 3 * * *",
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "data-engineering", "retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["radar", "bronze", "no-airbyte"],
) as dag:
    PythonOperator(task_id="sync_radar", python_callable=run_pipe, execution_timeout=timedelta(hours=6))
