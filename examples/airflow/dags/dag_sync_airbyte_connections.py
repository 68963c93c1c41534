"""Nightly Radar sync through a self-managed Airbyte.

The team's `dag_sync_airbyte_connections`: for every Airbyte connection in
CONNECTIONS (source-mysql-radar -> destination-s3-parquet) one task starts a
sync job and waits for it; the DAG run fails when any sync fails.

Airflow connection `airbyte_default` (apache-airflow-providers-airbyte >= 4,
which talks to Airbyte's public API with an application's client
credentials; create the application in Airbyte under Settings ->
Applications):

    host           http://airbyte.internal:8000/api/public/v1/
                   (the public API root of your Airbyte; Airbyte Cloud is
                   https://api.airbyte.com/v1/)
    login          the application's client id
    password       the application's client secret
    extra          {"token_url": "/api/public/v1/applications/token"}
                   (the provider's default, v1/applications/token, is
                   Airbyte Cloud's; a self-managed Airbyte serves the token
                   under /api/public/v1/applications/token)

for example as an environment variable of the scheduler and workers:

    AIRFLOW_CONN_AIRBYTE_DEFAULT='{"conn_type": "airbyte",
      "host": "http://airbyte.internal:8000/api/public/v1/",
      "login": "<client id>", "password": "<client secret>",
      "extra": {"token_url": "/api/public/v1/applications/token"}}'

Airflow Variable `airbyte_connections`: a JSON object mapping each name in
CONNECTIONS to its Airbyte connection id, e.g. {"radar_to_bronze":
"<connection uuid>"} (examples/airbyte/register_connectors.py and the
Terraform example print it). It is read when a task runs, through the
template "{{ var.json.airbyte_connections[...] }}", never while the
scheduler parses this file; a missing Variable or name fails the task.

Slack: the Airflow connection `slack_radar_alerts` (an incoming webhook). A
sync that fails after its last retry posts which connection failed, with
the link to its log; a run in which every sync succeeded posts one message.

Retries: each task triggers the sync and waits for it (asynchronous=False),
so a retry triggers a new Airbyte job instead of re-checking the failed one.
An incremental sync resumes from the state Airbyte saved for the connection.

Requires apache-airflow-providers-airbyte >= 4 and
apache-airflow-providers-slack.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.providers.airbyte.operators.airbyte import AirbyteTriggerSyncOperator
from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook
from airflow.utils.trigger_rule import TriggerRule

AIRBYTE_CONN_ID = "airbyte_default"
SLACK_CONN_ID = "slack_radar_alerts"

# The connections this DAG syncs, one task each; their ids are in the
# Variable `airbyte_connections` under these names.
CONNECTIONS = ("radar_to_bronze",)


def _slack(text: str) -> None:
    SlackWebhookHook(slack_webhook_conn_id=SLACK_CONN_ID).send(text=text)


def notify_failure(context) -> None:
    """Task callback after the last try failed: which sync, which run, the log."""
    ti = context["task_instance"]
    _slack(
        f":red_circle: Airbyte sync failed after its retries: {ti.dag_id}.{ti.task_id} "
        f"(run {context['run_id']}). Logs: {ti.log_url}"
    )


def notify_success(context) -> None:
    """DAG callback when the run succeeded, i.e. every sync succeeded."""
    _slack(
        f":large_green_circle: Airbyte syncs finished: {', '.join(CONNECTIONS)} "
        f"(run {context['run_id']})"
    )


default_args = {
    "owner": "data-engineering",
    "retries": 2,
    "retry_delay": timedelta(minutes=10),
    "on_failure_callback": notify_failure,
}

with DAG(
    dag_id="dag_sync_airbyte_connections",
    description="Sync the Radar Airbyte connections; the run fails when a sync fails",
    start_date=datetime(2026, 1, 1),
    schedule="0 3 * * *",
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    on_success_callback=notify_success,
    tags=["airbyte", "radar", "bronze"],
) as dag:
    start = EmptyOperator(task_id="start")
    # Downstream work (dbt, checks) hangs on `synced`: it runs only when
    # every sync succeeded, and a failed sync leaves it upstream_failed, so
    # the DAG run is failed.
    synced = EmptyOperator(task_id="synced", trigger_rule=TriggerRule.ALL_SUCCESS)

    for name in CONNECTIONS:
        sync = AirbyteTriggerSyncOperator(
            task_id=f"sync_{name}",
            airbyte_conn_id=AIRBYTE_CONN_ID,
            connection_id="{{ var.json.airbyte_connections[%r] }}" % name,
            asynchronous=False,  # trigger and wait in one task: a retry triggers again
            wait_seconds=60,
            timeout=6 * 60 * 60,
            execution_timeout=timedelta(hours=6, minutes=10),
        )
        start >> sync >> synced
