"""Stand-in for the scheduler and airflow/models/dagrun.py: run every task
of a DAG once, in dependency order, as the scheduler would."""

from datetime import datetime, timezone

from airflow.models.taskinstance import TaskInstance, _call
from airflow.utils.state import DagRunState, State, TaskInstanceState
from airflow.utils.trigger_rule import TriggerRule as TR

_S = TaskInstanceState


def _verdict(rule, states):
    """What the trigger rule says given the upstream states: "run", a final
    state for the task without running it, or None (wait).

    Follows airflow/ti_deps/deps/trigger_rule_dep.py (TriggerRuleDep
    ._evaluate_direct_relatives)."""
    n = len(states)
    success = sum(s == _S.SUCCESS for s in states)
    skipped = sum(s == _S.SKIPPED for s in states)
    failed = sum(s == _S.FAILED for s in states)
    upstream_failed = sum(s == _S.UPSTREAM_FAILED for s in states)
    done = success + skipped + failed + upstream_failed
    if rule == TR.ALWAYS or n == 0:
        return "run"
    if rule == TR.ONE_SUCCESS:
        if success:
            return "run"
        if done == n:
            return _S.SKIPPED if skipped == n else _S.UPSTREAM_FAILED
        return None
    if rule == TR.ONE_FAILED:
        if failed or upstream_failed:
            return "run"
        return _S.SKIPPED if done == n else None
    if done < n:
        return None
    if rule == TR.ALL_SUCCESS:
        if failed or upstream_failed:
            return _S.UPSTREAM_FAILED
        if skipped:
            return _S.SKIPPED
        return "run"
    if rule == TR.ALL_FAILED:
        return _S.SKIPPED if success or skipped else "run"
    if rule == TR.ALL_DONE:
        return "run"
    if rule == TR.ALL_SKIPPED:
        return _S.SKIPPED if success or failed or upstream_failed else "run"
    if rule == TR.NONE_FAILED:
        return _S.UPSTREAM_FAILED if failed or upstream_failed else "run"
    if rule == TR.NONE_FAILED_MIN_ONE_SUCCESS:
        if failed or upstream_failed:
            return _S.UPSTREAM_FAILED
        return _S.SKIPPED if skipped == n else "run"
    if rule == TR.NONE_SKIPPED:
        return _S.SKIPPED if skipped else "run"
    raise NotImplementedError(f"trigger rule {rule} is not in the stand-in")


class DagRun:
    """One run of a DAG. DagRun(dag).run() executes it and returns its state."""

    def __init__(self, dag, run_id="scheduled__2026-01-02T03:00:00+00:00", logical_date=None):
        self.dag = dag
        self.run_id = run_id
        self.logical_date = logical_date or datetime(2026, 1, 2, 3, tzinfo=timezone.utc)
        self.tis = {t.task_id: TaskInstance(t, run_id) for t in dag.tasks}
        self.xcom = {}
        self.log = []
        self.tracebacks = []
        self.state = None

    def get_task_instance(self, task_id):
        return self.tis[task_id]

    def run(self):
        """Schedule until no task can move, then derive the run's state."""
        progressed = True
        while progressed:
            progressed = False
            for task in self.dag.tasks:  # in definition order, like a single-slot executor
                ti = self.tis[task.task_id]
                if ti.state is not None:
                    continue
                verdict = _verdict(task.trigger_rule, [self.tis[u].state for u in sorted(task.upstream_task_ids)])
                if verdict is None:
                    continue
                progressed = True
                if verdict == "run":
                    ti.run(self)
                else:
                    ti.state = verdict
        self.state = self.update_state()
        cb = self.dag.on_success_callback if self.state == DagRunState.SUCCESS else self.dag.on_failure_callback
        ctx = {"dag": self.dag, "dag_run": self, "run_id": self.run_id, "reason": str(self.state)}
        _call(cb, ctx, self)
        return self.state

    def update_state(self):
        """DagRun.update_state: failed when a leaf failed (or was
        upstream_failed), success when every leaf succeeded or was skipped."""
        leaves = [self.tis[t.task_id] for t in self.dag.leaves]
        unfinished = [ti for ti in self.tis.values() if ti.state not in State.finished]
        if unfinished:
            raise RuntimeError(f"deadlock: tasks never ran: {[ti.task_id for ti in unfinished]}")
        if any(ti.state in State.failed_states for ti in leaves):
            return DagRunState.FAILED
        if all(ti.state in State.success_states for ti in leaves):
            return DagRunState.SUCCESS
        raise RuntimeError("unreachable: leaves neither failed nor succeeded")
