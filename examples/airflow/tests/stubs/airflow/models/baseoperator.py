"""Stand-in for airflow/models/baseoperator.py."""

import inspect
from datetime import timedelta

from airflow.exceptions import AirflowException
from airflow.models.dag import DAG
from airflow.utils.trigger_rule import TriggerRule

# The BaseOperator arguments the examples may pass (directly or through
# default_args); as in Airflow, default_args only fill these.
_BASE_ARGS = {
    "owner": "airflow",
    "retries": 0,
    "retry_delay": timedelta(seconds=300),
    "retry_exponential_backoff": False,
    "execution_timeout": None,
    "trigger_rule": TriggerRule.ALL_SUCCESS,
    "on_failure_callback": None,
    "on_success_callback": None,
    "on_retry_callback": None,
    "depends_on_past": False,
    "email_on_failure": True,
    "email_on_retry": True,
    "doc_md": None,
    "pool": "default_pool",
}


class BaseOperator:
    """Task definition: arguments, dependencies, template fields."""

    template_fields = ()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        init = cls.__init__

        # apply_defaults: the DAG's default_args fill the arguments the
        # operator's __init__ accepts and the caller did not give.
        def __init__(self, *args, **kwargs):
            if getattr(self, "_applying", False):
                return init(self, *args, **kwargs)
            dag = kwargs.get("dag") or DAG.current()
            accepted = set(inspect.signature(init).parameters) | set(_BASE_ARGS)
            for k, v in (dag.default_args if dag else {}).items():
                if k in accepted:
                    kwargs.setdefault(k, v)
            self._applying = True
            try:
                init(self, *args, **kwargs)
            finally:
                self._applying = False

        cls.__init__ = __init__

    def __init__(self, *, task_id, dag=None, **kwargs):
        unknown = set(kwargs) - set(_BASE_ARGS)
        if unknown:
            # Airflow: "Invalid arguments were passed to X ..."
            raise AirflowException(
                f"Invalid arguments were passed to {type(self).__name__} (task_id: {task_id}). "
                f"Invalid arguments were: {sorted(unknown)}"
            )
        self.task_id = task_id
        for k, default in _BASE_ARGS.items():
            setattr(self, k, kwargs.get(k, default))
        self.trigger_rule = TriggerRule(self.trigger_rule)
        if not isinstance(self.retries, int) or self.retries < 0:
            raise AirflowException(f"'retries' must be a non-negative integer, got {self.retries!r}")
        self.upstream_task_ids = set()
        self.downstream_task_ids = set()
        self.dag = None
        dag = dag or DAG.current()
        if dag is None:
            raise AirflowException(f"task {task_id} was created outside a DAG")
        dag.add_task(self)

    def execute(self, context):
        raise NotImplementedError

    def on_kill(self):
        """Called when a running task is killed."""

    # Dependencies -------------------------------------------------------

    def set_downstream(self, other):
        for o in other if isinstance(other, (list, tuple)) else [other]:
            self.downstream_task_ids.add(o.task_id)
            o.upstream_task_ids.add(self.task_id)

    def set_upstream(self, other):
        for o in other if isinstance(other, (list, tuple)) else [other]:
            o.set_downstream(self)

    def __rshift__(self, other):
        self.set_downstream(other)
        return other

    def __lshift__(self, other):
        self.set_upstream(other)
        return other

    def __rrshift__(self, other):  # [a, b] >> self
        self.set_upstream(other)
        return self

    def __rlshift__(self, other):  # [a, b] << self
        self.set_downstream(other)
        return self

    # Templates ----------------------------------------------------------

    def render_template_fields(self, context, jinja_env):
        """Render every template field in place (BaseOperator.render_template_fields)."""
        for name in self.template_fields:
            setattr(self, name, self.render_template(getattr(self, name), context, jinja_env))

    def render_template(self, value, context, jinja_env):
        if isinstance(value, str):
            return jinja_env.from_string(value).render(**context)
        if isinstance(value, (list, tuple)):
            return type(value)(self.render_template(v, context, jinja_env) for v in value)
        if isinstance(value, dict):
            return {k: self.render_template(v, context, jinja_env) for k, v in value.items()}
        return value
