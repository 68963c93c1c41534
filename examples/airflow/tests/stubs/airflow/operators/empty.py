"""Stand-in for airflow/operators/empty.py."""

from airflow.models.baseoperator import BaseOperator


class EmptyOperator(BaseOperator):
    """Does nothing; the scheduler marks it success when its trigger rule allows."""

    def execute(self, context):
        return None
