"""Tests of the example DAGs, imported against the Airflow stand-in in stubs/.

Run from the repository root:

    python3 -m unittest discover -s examples/airflow/tests -v

(integration_tests/packaging's TestAirflowDAGs runs this from `go test`.)
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DAGS = os.path.join(os.path.dirname(HERE), "dags")
sys.path.insert(0, os.path.join(HERE, "stubs"))

from airflow.exceptions import AirflowException, AirflowFailException  # noqa: E402
from airflow.models import Variable  # noqa: E402
from airflow.models.dagrun import DagRun  # noqa: E402
from airflow.providers.airbyte.hooks.airbyte import FakeAirbyte  # noqa: E402
from airflow.providers.airbyte.operators.airbyte import AirbyteTriggerSyncOperator  # noqa: E402
from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook  # noqa: E402
from airflow.utils.state import DagRunState, TaskInstanceState  # noqa: E402
from airflow.utils.trigger_rule import TriggerRule  # noqa: E402

_loaded = 0


def load_dag(filename: str):
    """Import a DAG file afresh (as the scheduler parses it) and return the module."""
    global _loaded
    _loaded += 1
    spec = importlib.util.spec_from_file_location(f"dag_under_test_{_loaded}", os.path.join(DAGS, filename))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def edges(dag):
    return sorted((u, t.task_id) for t in dag.tasks for u in t.upstream_task_ids)


CONN_ID = "8a7c0e8e-4a1b-4c5e-9d0f-111111111111"


class AirbyteDAGTest(unittest.TestCase):
    def setUp(self):
        Variable.reset()
        FakeAirbyte.reset()
        SlackWebhookHook.sent = []
        self.mod = load_dag("dag_sync_airbyte_connections.py")
        self.dag = self.mod.dag

    def run_dag(self, outcomes):
        Variable.reset({"airbyte_connections": json.dumps({"radar_to_bronze": CONN_ID})})
        FakeAirbyte.reset(outcomes)
        run = DagRun(self.dag)
        run.run()
        return run

    def test_parsing_reads_no_variable(self):
        self.assertEqual(Variable.reads, [], "the DAG file read Variables while being parsed")

    def test_task_graph(self):
        self.assertEqual(
            edges(self.dag),
            [("start", "sync_radar_to_bronze"), ("sync_radar_to_bronze", "synced")],
        )
        self.assertEqual([t.task_id for t in self.dag.leaves], ["synced"])
        rules = {t.task_id: t.trigger_rule for t in self.dag.tasks}
        self.assertEqual(
            rules,
            {
                "start": TriggerRule.ALL_SUCCESS,
                "sync_radar_to_bronze": TriggerRule.ALL_SUCCESS,
                "synced": TriggerRule.ALL_SUCCESS,
            },
        )
        for t in self.dag.tasks:
            self.assertNotEqual(t.trigger_rule, TriggerRule.ALL_DONE, f"{t.task_id} turns a failure green")

    def test_sync_task_triggers_and_waits(self):
        sync = self.dag.get_task("sync_radar_to_bronze")
        self.assertIsInstance(sync, AirbyteTriggerSyncOperator)
        self.assertFalse(sync.asynchronous, "an asynchronous trigger makes a retry re-check the old job")
        self.assertEqual(sync.airbyte_conn_id, "airbyte_default")
        self.assertIn("var.json.airbyte_connections", sync.connection_id)
        self.assertGreaterEqual(sync.retries, 1)
        self.assertIs(sync.on_failure_callback, self.mod.notify_failure)

    def test_success(self):
        run = self.run_dag({CONN_ID: ["succeeded"]})
        self.assertEqual(run.state, DagRunState.SUCCESS)
        ti = run.get_task_instance("sync_radar_to_bronze")
        self.assertEqual(ti.rendered["connection_id"], CONN_ID, "the Variable was not read at run time")
        self.assertEqual([c[0] for c in FakeAirbyte.calls], ["submit", "wait"])
        self.assertEqual(len(SlackWebhookHook.sent), 1)
        conn, text = SlackWebhookHook.sent[0]
        self.assertEqual(conn, "slack_radar_alerts")
        self.assertIn("finished", text)

    def test_failed_sync_fails_the_run(self):
        retries = self.dag.get_task("sync_radar_to_bronze").retries
        run = self.run_dag({CONN_ID: ["failed"] * (retries + 1)})
        self.assertEqual(run.state, DagRunState.FAILED)
        sync = run.get_task_instance("sync_radar_to_bronze")
        self.assertEqual(sync.state, TaskInstanceState.FAILED)
        self.assertEqual(sync.try_number, retries + 1)
        self.assertEqual(run.get_task_instance("synced").state, TaskInstanceState.UPSTREAM_FAILED)
        # Every try triggered a new job: a retry re-triggers the sync.
        submits = [c for c in FakeAirbyte.calls if c[0] == "submit"]
        self.assertEqual(len(submits), retries + 1)
        self.assertEqual(len(FakeAirbyte.jobs), retries + 1)
        # One failure notification, naming the sync; no success message.
        self.assertEqual(len(SlackWebhookHook.sent), 1, SlackWebhookHook.sent)
        text = SlackWebhookHook.sent[0][1]
        self.assertIn("failed", text)
        self.assertIn("sync_radar_to_bronze", text)
        self.assertNotIn("finished", text)

    def test_retry_recovers(self):
        run = self.run_dag({CONN_ID: ["failed", "succeeded"]})
        self.assertEqual(run.state, DagRunState.SUCCESS)
        self.assertEqual(run.get_task_instance("sync_radar_to_bronze").try_number, 2)
        self.assertEqual([c[0] for c in FakeAirbyte.calls], ["submit", "wait", "submit", "wait"])
        self.assertEqual(len(SlackWebhookHook.sent), 1)
        self.assertIn("finished", SlackWebhookHook.sent[0][1])

    def test_missing_variable_fails_the_run(self):
        Variable.reset()
        FakeAirbyte.reset({CONN_ID: ["succeeded"]})
        run = DagRun(self.dag)
        self.assertEqual(run.run(), DagRunState.FAILED)
        self.assertEqual(FakeAirbyte.calls, [])
        self.assertIn("airbyte_connections", " ".join(run.log))

    def test_old_all_done_sink_would_hide_failures(self):
        # The stand-in's semantics, shown on the shape the DAG used to have:
        # a leaf with trigger_rule all_done after a failed sync is green.
        from airflow import DAG
        from airflow.operators.empty import EmptyOperator

        with DAG(dag_id="old_shape") as old:

            class Boom(EmptyOperator):
                def execute(self, context):
                    raise AirflowException("Job failed")

            Boom(task_id="sync") >> EmptyOperator(task_id="done", trigger_rule="all_done")
        self.assertEqual(DagRun(old).run(), DagRunState.SUCCESS)


FAKE_RUNNER = """\
#!{python}
import json, os, sys
with open(os.environ["FAKE_RUNNER_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
summary = args[args.index("--summary") + 1]
with open(summary, "w") as f:
    json.dump({{"streams": [{{"name": "store", "rows": 3}}]}}, f)
print("store: 3 rows")
codes = os.environ["FAKE_RUNNER_EXIT"].split(",")
with open(os.environ["FAKE_RUNNER_LOG"]) as f:
    n = len(f.readlines())
sys.exit(int(codes[min(n, len(codes)) - 1]))
"""


class LocalPipeDAGTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        d = self.tmp.name
        self.bin = os.path.join(d, "bin")
        self.pipe = os.path.join(d, "radar")
        os.makedirs(self.bin)
        os.makedirs(self.pipe)
        runner = os.path.join(self.bin, "airbyte-sync")
        with open(runner, "w") as f:
            f.write(FAKE_RUNNER.format(python=sys.executable))
        os.chmod(runner, os.stat(runner).st_mode | stat.S_IEXEC)
        with open(os.path.join(self.pipe, "destination.json"), "w") as f:
            json.dump({"s3_bucket_name": "lake", "s3_bucket_path": "origin=airbyte/database=bronze_radar/"}, f)
        self.log = os.path.join(d, "runner.log")
        os.environ["FAKE_RUNNER_LOG"] = self.log
        self.addCleanup(os.environ.pop, "FAKE_RUNNER_LOG", None)
        self.addCleanup(os.environ.pop, "FAKE_RUNNER_EXIT", None)
        Variable.reset()
        self.mod = load_dag("dag_sync_radar_local_pipe.py")
        self.dag = self.mod.dag

    def run_dag(self, exits):
        os.environ["FAKE_RUNNER_EXIT"] = ",".join(str(c) for c in exits)
        Variable.reset({"radar_pipe_dir": self.pipe, "radar_bin_dir": self.bin})
        run = DagRun(self.dag)
        run.run()
        return run

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f]

    def test_parsing_reads_no_variable(self):
        self.assertEqual(Variable.reads, [])

    def test_task_graph(self):
        self.assertEqual(self.dag.task_ids, ["sync_radar"])
        self.assertEqual(self.dag.get_task("sync_radar").trigger_rule, TriggerRule.ALL_SUCCESS)

    def test_command_line_and_state_beside_the_data(self):
        run = self.run_dag([0])
        self.assertEqual(run.state, DagRunState.SUCCESS)
        (args,) = self.calls()
        self.assertEqual(args[0], "run")
        opts = dict(zip(args[1::2], args[2::2]))
        self.assertEqual(
            sorted(opts),
            sorted(
                [
                    "--source", "--source-config", "--destination", "--destination-config", "--catalog",
                    "--state", "--summary", "--max-attempts", "--progress-interval",
                ]
            ),
        )  # fmt: skip
        self.assertEqual(opts["--source"], os.path.join(self.bin, "source-mysql-radar"))
        self.assertEqual(opts["--destination"], os.path.join(self.bin, "destination-s3-parquet"))
        self.assertEqual(opts["--source-config"], os.path.join(self.pipe, "source.json"))
        self.assertEqual(opts["--catalog"], os.path.join(self.pipe, "catalog.json"))
        self.assertEqual(
            opts["--state"], "s3://lake/origin=airbyte/database=bronze_radar/_airbyte_state/radar_to_bronze.json"
        )
        self.assertEqual(run.xcom[("sync_radar", "return_value")], {"streams": [{"name": "store", "rows": 3}]})

    def test_state_uri_variable_wins(self):
        os.environ["FAKE_RUNNER_EXIT"] = "0"
        Variable.reset({"radar_pipe_dir": self.pipe, "radar_bin_dir": self.bin, "radar_state_uri": "s3://x/y.json"})
        DagRun(self.dag).run()
        (args,) = self.calls()
        self.assertEqual(args[args.index("--state") + 1], "s3://x/y.json")

    def test_failed_sync_fails_the_run_after_a_retry(self):
        run = self.run_dag([1, 1])
        self.assertEqual(run.state, DagRunState.FAILED)
        ti = run.get_task_instance("sync_radar")
        self.assertEqual(ti.state, TaskInstanceState.FAILED)
        self.assertEqual(ti.try_number, 2)
        self.assertEqual(len(self.calls()), 2)
        self.assertIsInstance(ti.errors[-1], AirflowException)
        self.assertIn("exit 1", str(ti.errors[-1]))

    def test_state_store_error_is_retried(self):
        run = self.run_dag([3, 0])
        self.assertEqual(run.state, DagRunState.SUCCESS)
        self.assertEqual(run.get_task_instance("sync_radar").try_number, 2)

    def test_config_error_is_not_retried(self):
        run = self.run_dag([2, 0])
        self.assertEqual(run.state, DagRunState.FAILED)
        ti = run.get_task_instance("sync_radar")
        self.assertEqual(ti.try_number, 1)
        self.assertIsInstance(ti.errors[-1], AirflowFailException)
        self.assertEqual(len(self.calls()), 1)

    def test_no_forwarding_loop(self):
        with open(os.path.join(DAGS, "dag_sync_radar_local_pipe.py")) as f:
            src = f.read()
        self.assertNotIn('"STATE"', src, "the DAG forwards protocol messages itself again")
        self.assertLess(len(src.splitlines()), 160, textwrap.shorten(src, 80))


if __name__ == "__main__":
    unittest.main()
