"""Stand-in for airflow/providers/airbyte/operators/airbyte.py."""

from airflow.models.baseoperator import BaseOperator
from airflow.providers.airbyte.hooks.airbyte import AirbyteHook


class AirbyteTriggerSyncOperator(BaseOperator):
    """Submits a sync job for a connection; unless asynchronous, waits for it
    and fails when the job fails (AirbyteTriggerSyncOperator.execute)."""

    template_fields = ("connection_id",)

    def __init__(
        self,
        connection_id,
        airbyte_conn_id="airbyte_default",
        asynchronous=False,
        deferrable=False,
        api_version="v1",
        wait_seconds=3,
        timeout=3600,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.connection_id = connection_id
        self.airbyte_conn_id = airbyte_conn_id
        self.asynchronous = asynchronous
        self.deferrable = deferrable
        self.api_version = api_version
        self.wait_seconds = wait_seconds
        self.timeout = timeout
        self.job_id = None

    def execute(self, context):
        hook = AirbyteHook(airbyte_conn_id=self.airbyte_conn_id, api_version=self.api_version)
        job = hook.submit_sync_connection(connection_id=self.connection_id)
        self.job_id = job.job_id
        if not self.asynchronous:
            hook.wait_for_job(job_id=self.job_id, wait_seconds=self.wait_seconds, timeout=self.timeout)
        return self.job_id

    def on_kill(self):
        if self.job_id:
            AirbyteHook(airbyte_conn_id=self.airbyte_conn_id, api_version=self.api_version).cancel_job(self.job_id)
