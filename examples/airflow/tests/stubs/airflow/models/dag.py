"""Stand-in for airflow/models/dag.py: a DAG is a context manager that
collects the operators created inside it."""

from datetime import datetime, timedelta

import jinja2

_current = []


class DAG:
    """The DAG arguments the examples use; unknown arguments are refused."""

    def __init__(
        self,
        dag_id,
        description=None,
        schedule=None,
        start_date=None,
        catchup=True,
        max_active_runs=16,
        default_args=None,
        tags=None,
        doc_md=None,
        on_success_callback=None,
        on_failure_callback=None,
        dagrun_timeout=None,
        template_undefined=jinja2.StrictUndefined,
        params=None,
    ):
        if not isinstance(dag_id, str) or not dag_id:
            raise ValueError("dag_id must be a non-empty string")
        if start_date is not None and not isinstance(start_date, datetime):
            raise TypeError("start_date must be a datetime")
        if dagrun_timeout is not None and not isinstance(dagrun_timeout, timedelta):
            raise TypeError("dagrun_timeout must be a timedelta")
        self.dag_id = dag_id
        self.description = description
        self.schedule = schedule
        self.start_date = start_date
        self.catchup = catchup
        self.max_active_runs = max_active_runs
        self.default_args = dict(default_args or {})
        self.tags = list(tags or [])
        self.doc_md = doc_md
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.dagrun_timeout = dagrun_timeout
        self.template_undefined = template_undefined
        self.params = dict(params or {})
        self.task_dict = {}

    def __enter__(self):
        _current.append(self)
        return self

    def __exit__(self, *exc):
        _current.pop()
        return False

    @staticmethod
    def current():
        """The DAG whose `with` block is open, or None."""
        return _current[-1] if _current else None

    def add_task(self, task):
        if task.task_id in self.task_dict:
            raise ValueError(f"Task id '{task.task_id}' has already been added to the DAG")
        self.task_dict[task.task_id] = task
        task.dag = self

    @property
    def tasks(self):
        return list(self.task_dict.values())

    @property
    def task_ids(self):
        return list(self.task_dict)

    def get_task(self, task_id):
        return self.task_dict[task_id]

    @property
    def leaves(self):
        """Tasks with no downstream task (DAG.leaves)."""
        return [t for t in self.tasks if not t.downstream_task_ids]

    @property
    def roots(self):
        return [t for t in self.tasks if not t.upstream_task_ids]
