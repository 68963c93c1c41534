"""Nightly Radar sync through Airbyte.

The team's `dag_sync_airbyte_connections`: for every registered Airbyte
connection (source-mysql-radar -> destination-s3-parquet), start a sync job,
wait for it with a sensor, then post the outcome to Slack. Connections are
listed in the Airflow Variable `airbyte_connections` as a JSON object
{"name": "<connection uuid>", ...}; the Airbyte API is the Airflow connection
`airbyte_default` (host http://<airbyte>:8000/api/public/v1/), Slack is the
Airflow connection `slack_radar_alerts` (an incoming webhook).

Requires apache-airflow-providers-airbyte >= 4 (public API) and
apache-airflow-providers-slack.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from airflow import DAG
from airflow.models import Variable
from airflow.operators.empty import EmptyOperator
from airflow.providers.airbyte.operators.airbyte import AirbyteTriggerSyncOperator
from airflow.providers.airbyte.sensors.airbyte import AirbyteJobSensor
from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

AIRBYTE_CONN_ID = "airbyte_default"
SLACK_CONN_ID = "slack_radar_alerts"

DEFAULT_CONNECTIONS = {
    "radar_to_bronze": "00000000-0000-0000-0000-000000000000",
}


def _slack(text: str) -> None:
    SlackWebhookHook(slack_webhook_conn_id=SLACK_CONN_ID).send(text=text)


def notify_failure(context) -> None:
    ti = context["task_instance"]
    _slack(
        f":red_circle: Airbyte sync failed: {ti.dag_id}.{ti.task_id} "
        f"(run {context['run_id']}). Logs: {ti.log_url}"
    )


def notify_success(context) -> None:
    ti = context["task_instance"]
    _slack(f":large_green_circle: Airbyte sync finished: {ti.task_id} (run {context['run_id']})")


def connections() -> dict[str, str]:
    raw = Variable.get("airbyte_connections", default_var=None)
    if not raw:
        return DEFAULT_CONNECTIONS
    return json.loads(raw)


default_args = {
    "owner": "data-engineering",
    "retries": 1,
    "retry_delay": timedelta(minutes=10),
    "on_failure_callback": notify_failure,
}

with DAG(
    dag_id="dag_sync_airbyte_connections",
    description="Trigger the Radar Airbyte connections and wait for them",
    start_date=datetime(2026, 1, 1),
    schedule="0 3 * * *",
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["airbyte", "radar", "bronze"],
) as dag:
    start = EmptyOperator(task_id="start")
    done = EmptyOperator(task_id="done", trigger_rule="all_done")

    for name, connection_id in connections().items():
        trigger = AirbyteTriggerSyncOperator(
            task_id=f"trigger_{name}",
            airbyte_conn_id=AIRBYTE_CONN_ID,
            connection_id=connection_id,
            asynchronous=True,
        )
        wait = AirbyteJobSensor(
            task_id=f"wait_{name}",
            airbyte_conn_id=AIRBYTE_CONN_ID,
            airbyte_job_id=trigger.output,
            poke_interval=60,
            timeout=6 * 60 * 60,
            mode="reschedule",
            on_success_callback=notify_success,
        )
        start >> trigger >> wait >> done
