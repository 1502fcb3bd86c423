"""Benchmark: re-checking one edited 500-line file in a warm `redislint server`.

The budget (issue 14) is under 50 ms per re-check. A small project is written to a
temporary folder: a module that exports a client and key builders, and a 500-line
module using them (cache writes, pipelines, locks, a queue; findings of several rules,
one of them deferred to the project facts). Two figures are printed:

- in process: `LintSession.check` after one line of the buffer changed (what the
  server runs for each didChange once typing pauses), median and worst of `--runs`;
- over stdio: `redislint server` in a subprocess, didChange + didSave (didSave checks
  at once, no debounce) until its publishDiagnostics arrives, the same statistics.
  This adds JSON-RPC framing, the process boundary and the dependants' refresh.

    python bench/lsp.py [--lines 500] [--runs 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from redislint.lsp.session import LintSession

DB = '''"""Clients and key builders other modules import."""
import redis

cache = redis.Redis(host="127.0.0.1", decode_responses=True)


def user_key(user_id):
    return f"user:{user_id}"


def session_key(token):
    return f"session:{token}"
'''

CONFIG = """[tool.redislint]

[[tool.redislint.keyspace]]
pattern = "cache:*"
role = "cache"

[[tool.redislint.keyspace]]
pattern = "user:*"
role = "primary"
"""

BLOCK = '''

def step_{n}(user_id, token, value):
    """Block {n}: reads, writes, a pipeline and a queue push."""
    key = user_key(user_id)
    current = cache.get(key)
    cache.set(f"cache:profile:{n}:{{user_id}}", value)
    cache.set(session_key(token), value, ex=3600)
    with cache.pipeline() as pipe:
        pipe.incr(f"cache:hits:{n}")
        pipe.expire(f"cache:hits:{n}", 60)
        pipe.execute()
    cache.lpush("jobs:{n}", value)
    if current is None:
        return cache.hgetall(f"cache:stats:{n}")
    return current
'''


def write_project(folder: Path, lines: int) -> Path:
    (folder / "pyproject.toml").write_text(CONFIG)
    app = folder / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "db.py").write_text(DB)
    parts = [
        '"""A 500-line module of Redis usage."""\n',
        "from app.db import cache, session_key, user_key\n",
    ]
    n = 0
    while sum(part.count("\n") for part in parts) < lines:
        parts.append(BLOCK.format(n=n))
        n += 1
    text = "".join(parts)
    text = "\n".join(text.split("\n")[:lines]) + "\n"
    target = app / "service.py"
    target.write_text(text)
    return target


def _edit(text: str, run: int) -> str:
    """The buffer after typing on one line (a changed literal on line 3)."""
    lines = text.split("\n")
    lines[2] = f"VERSION = {run}"
    return "\n".join(lines)


def in_process(target: Path, runs: int) -> list[float]:
    session = LintSession(target.parent.parent)
    text = target.read_text()
    session.open(target, text)
    first = session.check(target)  # the cold check: project facts, the imported module
    print(f"cold first check: {len(first.findings)} findings", file=sys.stderr)
    times = []
    for run in range(runs):
        session.update(target, _edit(text, run))
        start = time.perf_counter()
        result = session.check(target)
        times.append(time.perf_counter() - start)
        assert result.error is None, result.error
    return times


def over_stdio(target: Path, runs: int) -> list[float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from lsp_client import LspClient

    root = target.parent.parent
    client = LspClient(root)
    try:
        client.initialize(root)
        text = target.read_text()
        uri = client.open(target, text)
        client.diagnostics(uri, timeout=120)
        times = []
        for run in range(runs):
            edited = _edit(text, run)
            start = time.perf_counter()
            client.notify("textDocument/didSave", {"textDocument": {"uri": uri}, "text": edited})
            client.diagnostics(uri)
            times.append(time.perf_counter() - start)
        client.shutdown()
    finally:
        client.close()
    return times


def _report(label: str, times: list[float]) -> None:
    ms = sorted(t * 1000 for t in times)
    print(
        f"{label}: median {statistics.median(ms):.1f} ms, "
        f"p90 {ms[int(len(ms) * 0.9) - 1]:.1f} ms, worst {ms[-1]:.1f} ms ({len(ms)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        target = write_project(Path(workdir), args.lines)
        lines = target.read_text().count("\n")
        print(f"file: {lines} lines; budget: 50 ms per re-check")
        _report("in process (LintSession.check)", in_process(target, args.runs))
        _report("over stdio (didSave -> publishDiagnostics)", over_stdio(target, args.runs))


if __name__ == "__main__":
    main()
