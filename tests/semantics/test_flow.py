"""Value flow from read replies to written values (semantics/flow.py), and lock facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from redislint.findings import Edit, Finding, Fix
from redislint.fixes import apply_fixes
from redislint.semantics.flow import FunctionFlow, written_values
from redislint.semantics.locks import lock_key_facts, lock_objects, released_key_facts

from .helpers import model_for

HEADER = "import json\nimport redis\nr = redis.Redis()\n\n\ndef f(k, n, other):\n"

# (body of f, whether the GET's reply reaches the SET's value)
CASES = [
    ("    r.set(k, r.get(k))", True),
    ("    v = r.get(k)\n    r.set(k, v)", True),
    ("    v = r.get(k)\n    w = int(v or 0) * 2\n    x = w\n    r.set(k, x)", True),
    ("    v = json.loads(r.get(k))\n    v['a'] = 1\n    r.set(k, json.dumps(v))", True),
    ("    v = r.get(k).decode()\n    r.set(k, f'{v}!')", True),
    ("    total = 0\n    total += int(r.get(k))\n    r.set(k, total)", True),
    ("    r.set(k, [x for x in r.get(k)])", True),
    ("    r.set(k, 1 if r.get(k) else 2)", False),  # the read is the test only
    ("    if r.get(k):\n        r.set(k, n)", False),
    ("    r.set(k, r.get(k) is None)", False),
    ("    r.set(k, other(r.get(k)))", False),  # an unknown function is opaque
    ("    r.set(k, not r.get(k))", False),
    ("    v = r.get(k)\n    r.set(k, n, ex=v)", False),  # an option, not the value
    ("    r.set(k, v)\n    v = r.get(k)", False),  # read after the write
    ("    def g():\n        return r.get(k)\n    r.set(k, g())", False),
]


@pytest.mark.parametrize(("body", "flows"), CASES, ids=[c[0].strip() for c in CASES])
def test_flow_from_get_to_set(tmp_path: Path, body: str, flows: bool) -> None:
    model = model_for(tmp_path, {"app.py": HEADER + body + "\n"})
    calls = model.calls_by_scope().get("f", [])
    reads = [c for c in calls if c.command == "GET"]
    writes = [c for c in calls if c.command == "SET"]
    flow = FunctionFlow(model, "f", reads)
    found = [f for w in writes for f in flow.flows_into(w)]
    assert bool(found) is flows


def test_written_values_leave_out_keys_and_options(tmp_path: Path) -> None:
    model = model_for(tmp_path, {"app.py": HEADER + "    r.set(k, n, ex=60, nx=True)\n"})
    (call,) = model.redis_calls
    values = written_values(call)
    assert [model.facts.module.code_for_node(v) for v in values] == ["n"]  # type: ignore[union-attr]


def test_lock_facts(tmp_path: Path) -> None:
    source = (
        "import redis\nr = redis.Redis()\n\n\ndef f(job, token):\n"
        "    r.set(f'lock:{job}', token, nx=True, ex=5)\n"
        "    r.setnx('mutex', 1)\n"
        "    r.set(job, token, nx=True)\n"  # a bare variable names no family
        "    r.lock(f'report:{job}', timeout=3)\n"
        "    r.delete(f'cron:{job}')\n"
        "    r.eval('return 1', 1, f'sem:{job}', token)\n"
    )
    model = model_for(tmp_path, {"app.py": source})
    assert lock_key_facts(model) == {"lock:*", "mutex", "report:*"}
    assert released_key_facts(model) == {"cron:*", "sem:*"}
    (lock,) = lock_objects(model)
    assert lock.timeout is not None and lock.pattern is not None


def test_a_deletion_that_empties_its_line_removes_the_line() -> None:
    text = "def f():\n    x = 1\n    y = 2\n"
    fix = Fix("unsafe", "drop x", (Edit(2, 5, 2, 10, ""),))
    finding = Finding("RL102", "n", "warning", "m", "a.py", 2, 5, 2, 10, None, fix)
    assert apply_fixes(text, [finding]).text == "def f():\n    y = 2\n"
