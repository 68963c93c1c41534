"""Stand-in for airflow/utils/state.py."""

from enum import Enum


class TaskInstanceState(str, Enum):
    """The states of a task instance the simulated run reaches."""

    SUCCESS = "success"
    FAILED = "failed"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"
    UP_FOR_RETRY = "up_for_retry"

    def __str__(self) -> str:
        return self.value


class DagRunState(str, Enum):
    """The final states of a DAG run."""

    SUCCESS = "success"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


class State:
    """State groups, as airflow.utils.state.State defines them."""

    failed_states = frozenset({TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED})
    success_states = frozenset({TaskInstanceState.SUCCESS, TaskInstanceState.SKIPPED})
    finished = frozenset(
        {
            TaskInstanceState.SUCCESS,
            TaskInstanceState.FAILED,
            TaskInstanceState.UPSTREAM_FAILED,
            TaskInstanceState.SKIPPED,
        }
    )
