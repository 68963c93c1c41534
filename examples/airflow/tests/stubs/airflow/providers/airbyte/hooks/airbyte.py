"""Stand-in for airflow/providers/airbyte/hooks/airbyte.py (provider >= 4,
public API): a fake Airbyte server the tests script.

FakeAirbyte.outcomes maps a connection id to the statuses its next jobs end
in ("succeeded", "failed", "cancelled"); each submitted job takes the next
one. Every call is recorded in FakeAirbyte.calls."""

from airflow.exceptions import AirflowException


class FakeAirbyte:
    """The scripted server shared by every hook."""

    outcomes: dict = {}
    calls: list = []
    jobs: dict = {}

    @classmethod
    def reset(cls, outcomes=None):
        cls.outcomes = {k: list(v) for k, v in (outcomes or {}).items()}
        cls.calls = []
        cls.jobs = {}


class _Job:
    def __init__(self, job_id, status):
        self.job_id = job_id
        self.status = status


class AirbyteHook:
    """The hook methods AirbyteTriggerSyncOperator uses."""

    def __init__(self, airbyte_conn_id="airbyte_default", api_version="v1"):
        self.airbyte_conn_id = airbyte_conn_id
        self.api_version = api_version

    def submit_sync_connection(self, connection_id):
        FakeAirbyte.calls.append(("submit", self.airbyte_conn_id, connection_id))
        if connection_id not in FakeAirbyte.outcomes:
            # The real API answers 404 for an unknown connection.
            raise AirflowException(f"Unexpected status code 404 from Airbyte for connection {connection_id}")
        queue = FakeAirbyte.outcomes[connection_id]
        status = queue.pop(0) if queue else "succeeded"
        job = _Job(len(FakeAirbyte.jobs) + 1, status)
        FakeAirbyte.jobs[job.job_id] = job
        return job

    def wait_for_job(self, job_id, wait_seconds=3, timeout=3600):
        """As AirbyteHook.wait_for_job: returns when the job succeeded,
        raises AirflowException when it failed or was cancelled."""
        FakeAirbyte.calls.append(("wait", self.airbyte_conn_id, job_id))
        status = FakeAirbyte.jobs[job_id].status
        if status == "succeeded":
            return
        if status == "failed":
            raise AirflowException(f"Job failed:\n{job_id}")
        if status == "cancelled":
            raise AirflowException(f"Job was cancelled:\n{job_id}")
        raise AirflowException(f"Encountered unexpected state `{status}` for job_id `{job_id}`")

    def cancel_job(self, job_id):
        FakeAirbyte.calls.append(("cancel", self.airbyte_conn_id, job_id))
