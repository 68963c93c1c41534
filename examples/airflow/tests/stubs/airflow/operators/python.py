"""Stand-in for airflow/operators/python.py (PythonOperator only)."""

import inspect

from airflow.models.baseoperator import BaseOperator


class PythonOperator(BaseOperator):
    """Calls python_callable with op_args, op_kwargs and the context keys it
    accepts (airflow/utils/operator_helpers.py, KeywordParameters.determine)."""

    template_fields = ("templates_dict", "op_args", "op_kwargs")

    def __init__(self, *, python_callable, op_args=None, op_kwargs=None, templates_dict=None, **kwargs):
        if not callable(python_callable):
            raise TypeError("`python_callable` param must be callable")
        super().__init__(**kwargs)
        self.python_callable = python_callable
        self.op_args = list(op_args or [])
        self.op_kwargs = dict(op_kwargs or {})
        self.templates_dict = templates_dict

    def execute(self, context):
        context = dict(context, templates_dict=self.templates_dict)
        sig = inspect.signature(self.python_callable)
        if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
            extra = context
        else:
            extra = {k: v for k, v in context.items() if k in sig.parameters}
        return self.python_callable(*self.op_args, **{**extra, **self.op_kwargs})
