"""Stand-in for airflow/models/variable.py: Variables kept in memory.

Every read is recorded in Variable.reads, so a test can tell a Variable
read while the DAG file is parsed from one read while a task runs."""

import json

_NOTHING = object()


class Variable:
    """Airflow Variables (key -> string), in memory."""

    store: dict = {}
    reads: list = []

    @classmethod
    def reset(cls, values=None):
        """Test helper: replace all Variables and forget recorded reads."""
        cls.store = dict(values or {})
        cls.reads = []

    @classmethod
    def set(cls, key, value, serialize_json=False):
        cls.store[key] = json.dumps(value) if serialize_json else str(value)

    @classmethod
    def get(cls, key, default_var=_NOTHING, deserialize_json=False):
        """As Variable.get: KeyError when the Variable is missing and no default is given."""
        cls.reads.append(key)
        if key not in cls.store:
            if default_var is not _NOTHING:
                return default_var
            raise KeyError(f"Variable {key} does not exist")
        raw = cls.store[key]
        return json.loads(raw) if deserialize_json else raw
