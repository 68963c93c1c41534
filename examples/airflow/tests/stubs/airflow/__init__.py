"""A stand-in for the few Apache Airflow modules the example DAGs import.

Airflow cannot be installed from the machines that build this repository,
so the DAG tests (examples/airflow/tests) import each DAG against this
package. It is not Airflow: it keeps only what the tests assert on, and
keeps that faithful to Airflow 2.x semantics, each piece naming the Airflow
file it follows:

- operators are built with the DAG's default_args and reject unknown
  arguments (airflow/models/baseoperator.py, BaseOperatorMeta/apply_defaults);
- template fields are rendered with Jinja at run time, with `var.value` and
  `var.json` as in airflow/utils/context.py (VariableAccessor), and the
  DAG's template_undefined (StrictUndefined by default);
- a task instance is retried `retries` times, then failed, with the
  on_retry/on_failure/on_success callbacks (airflow/models/taskinstance.py,
  TaskInstance.handle_failure); AirflowFailException fails without retry;
- a task runs when its trigger rule allows (airflow/ti_deps/deps/
  trigger_rule_dep.py), and a DAG run's state derives from its leaf tasks
  (airflow/models/dagrun.py, DagRun.update_state).

The DAG run itself is simulated by airflow.models.dagrun.DagRun.run (the
stand-in for the scheduler), which the tests call.
"""

from airflow.models.dag import DAG

__all__ = ["DAG"]
