"""Stand-in for airflow.models: the names the DAGs import from it."""

from airflow.models.baseoperator import BaseOperator
from airflow.models.dag import DAG
from airflow.models.variable import Variable

__all__ = ["BaseOperator", "DAG", "Variable"]
