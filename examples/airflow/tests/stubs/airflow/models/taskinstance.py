"""Stand-in for airflow/models/taskinstance.py: one task's tries in a run."""

import json
import traceback

import jinja2

from airflow.exceptions import AirflowFailException, AirflowSkipException
from airflow.models.variable import Variable
from airflow.utils.state import TaskInstanceState


class _VariableAccessor:
    """`var.value` / `var.json` in templates (airflow/utils/context.py,
    VariableAccessor): attribute access reads the Variable at render time."""

    def __init__(self, deserialize_json):
        self._json = deserialize_json

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        return Variable.get(key, deserialize_json=self._json)

    def get(self, key, default_var=None):
        return Variable.get(key, default_var=default_var, deserialize_json=self._json)


class TaskInstance:
    """A task in one DAG run: its state, tries and the log of its callbacks."""

    def __init__(self, task, run_id):
        self.task = task
        self.task_id = task.task_id
        self.dag_id = task.dag.dag_id
        self.run_id = run_id
        self.state = None
        self.try_number = 0
        self.errors = []
        self.rendered = {}
        self.log_url = f"http://airflow.example/log?dag_id={self.dag_id}&task_id={self.task_id}"

    @property
    def max_tries(self):
        return self.task.retries

    def context(self, dag_run, exception=None):
        ctx = {
            "dag": self.task.dag,
            "dag_run": dag_run,
            "run_id": self.run_id,
            "task": self.task,
            "task_instance": self,
            "ti": self,
            "params": dict(self.task.dag.params),
            "logical_date": dag_run.logical_date,
            "ds": dag_run.logical_date.strftime("%Y-%m-%d"),
            "ts": dag_run.logical_date.isoformat(),
            "var": {"value": _VariableAccessor(False), "json": _VariableAccessor(True)},
        }
        if exception is not None:
            ctx["exception"] = exception
        return ctx

    def run(self, dag_run):
        """Try the task until it succeeds or has no retry left (the
        scheduler's loop over try_number, without the retry_delay)."""
        env = jinja2.Environment(undefined=self.task.dag.template_undefined)
        env.filters["tojson"] = json.dumps
        while True:
            self.try_number += 1
            ctx = self.context(dag_run)
            try:
                # A fresh copy per try: Airflow renders an unrendered task each try.
                task = _fresh(self.task)
                task.render_template_fields(ctx, env)
                self.rendered = {f: getattr(task, f) for f in task.template_fields}
                ctx["task"] = task
                result = task.execute(ctx)
                dag_run.xcom[(self.task_id, "return_value")] = result
            except AirflowSkipException:
                self.state = TaskInstanceState.SKIPPED
                return
            except Exception as exc:  # noqa: BLE001 - any exception fails the try
                self.errors.append(exc)
                dag_run.log.append(f"{self.task_id} try {self.try_number}: {type(exc).__name__}: {exc}")
                dag_run.tracebacks.append(traceback.format_exc())
                # TaskInstance.handle_failure: retry while try_number <= retries,
                # unless the exception forbids it.
                if not isinstance(exc, AirflowFailException) and self.try_number <= self.task.retries:
                    self.state = TaskInstanceState.UP_FOR_RETRY
                    _call(self.task.on_retry_callback, self.context(dag_run, exc), dag_run)
                    continue
                self.state = TaskInstanceState.FAILED
                _call(self.task.on_failure_callback, self.context(dag_run, exc), dag_run)
                return
            self.state = TaskInstanceState.SUCCESS
            _call(self.task.on_success_callback, self.context(dag_run), dag_run)
            return


def _fresh(task):
    import copy

    return copy.copy(task)


def _call(callbacks, context, dag_run):
    """Run a callback or a list of them; a failing callback is logged and
    does not change the task's state (as in Airflow)."""
    if callbacks is None:
        return
    for cb in callbacks if isinstance(callbacks, (list, tuple)) else [callbacks]:
        try:
            cb(context)
        except Exception as exc:  # noqa: BLE001
            dag_run.log.append(f"callback {getattr(cb, '__name__', cb)} failed: {exc}")
