"""Stand-in for airflow/exceptions.py: the exceptions the DAGs raise."""


class AirflowException(Exception):
    """A task failure; the task is retried while it has retries left."""


class AirflowFailException(AirflowException):
    """A task failure that is never retried (airflow/exceptions.py)."""


class AirflowSkipException(AirflowException):
    """Marks the task instance skipped."""
