"""Benchmark: re-checking one edited 500-line file in a warm `redislint server`.

The budget (issue 14) is under 50 ms per re-check. Measured per file, on real modules
of 470-740 lines from pinned sdists (`pip download --no-binary :all: --no-deps`, kept
under `--cache-dir`), and on a generated 500-line module in a small project of its own
(a module that exports a client and key builders, and one using them: cache writes,
pipelines, a queue; findings of several rules, one deferred to the project facts). The
edit types one statement into a function in the middle of the file, a new value each
run (`_edited = N`). Two figures per file:

- in process: `LintSession.check` after one line of the buffer changed (what the
  server runs for each didChange once typing pauses), median and worst of `--runs`;
- over stdio: `redislint server` in a subprocess, didChange + didSave (didSave checks
  at once, no debounce) until its publishDiagnostics arrives, the same statistics.
  This adds JSON-RPC framing, the process boundary and the dependants' refresh.

    python bench/lsp.py [--lines 500] [--runs 40] [--cache-dir bench/.cache] [--no-real]
"""

from __future__ import annotations

import argparse
import ast
import statistics
import subprocess
import sys
import tarfile
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


# Real modules: (pinned sdist, file inside it). Each is checked with its sdist as root.
REAL = (
    ("walrus==0.9.8", "walrus/database.py"),
    ("saq==0.26.4", "saq/queue/redis.py"),
    ("rq-scheduler==0.14.0", "rq_scheduler/scheduler.py"),
    ("rq==3.0.0", "rq/registry.py"),
)


def _edit_point(text: str) -> tuple[int, str]:
    """The line (1-based) of the indented statement nearest the middle of the file,
    and its indentation: typing a new statement before it keeps the file valid."""
    lines = text.split("\n")
    middle = len(lines) // 2
    best: tuple[int, int, str] | None = None
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.stmt) and node.col_offset > 0:
            prefix = lines[node.lineno - 1][: node.col_offset]
            if not prefix.strip() and (best is None or abs(node.lineno - middle) < best[0]):
                best = (abs(node.lineno - middle), node.lineno, prefix)
    assert best is not None, "no indented statement to type before"
    return best[1], best[2]


def _edit(text: str, run: int) -> str:
    """The buffer after typing one statement in the middle of the file."""
    number, indent = _edit_point(text)
    lines = text.split("\n")
    lines.insert(number - 1, f"{indent}_edited = {run}")
    return "\n".join(lines)


def in_process(root: Path, target: Path, runs: int) -> list[float]:
    session = LintSession(root)
    text = target.read_text()
    edits = [_edit(text, run) for run in range(runs)]
    session.open(target, text)
    first = session.check(target)  # the cold check: project facts, the imported module
    print(f"cold first check: {len(first.findings)} findings", file=sys.stderr)
    times = []
    for edited in edits:
        session.update(target, edited)
        start = time.perf_counter()
        result = session.check(target)
        times.append(time.perf_counter() - start)
        assert result.error is None, result.error
    return times


def over_stdio(root: Path, target: Path, runs: int) -> list[float]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from lsp_client import LspClient

    client = LspClient(root)
    try:
        client.initialize(root)
        text = target.read_text()
        uri = client.open(target, text)
        client.diagnostics(uri, timeout=120)
        times = []
        for edited in (_edit(text, run) for run in range(runs)):
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


def fetch(spec: str, cache: Path) -> Path:
    """The unpacked sdist of `spec` (downloaded once into `cache`)."""
    name, version = spec.split("==")
    downloads, unpacked = cache / "dl", cache / "src"
    downloads.mkdir(parents=True, exist_ok=True)
    unpacked.mkdir(parents=True, exist_ok=True)
    pattern = f"{name.replace('-', '[-_]')}-{version}.tar.gz"
    archives = sorted(downloads.glob(pattern))
    if not archives:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:"]
        subprocess.run([*command, "--no-deps", spec, "-d", str(downloads)], check=True)
        archives = sorted(downloads.glob(pattern))
    root = unpacked / archives[0].name.removesuffix(".tar.gz")
    if not root.exists():
        with tarfile.open(archives[0]) as tar:
            tar.extractall(unpacked, filter="data")
    return root


def bench_file(label: str, root: Path, target: Path, runs: int) -> None:
    lines = target.read_text().count("\n")
    print(f"{label} ({lines} lines)")
    _report("  in process (LintSession.check)", in_process(root, target, runs))
    _report("  over stdio (didSave -> publishDiagnostics)", over_stdio(root, target, runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--cache-dir", type=Path, default=Path(__file__).parent / ".cache")
    parser.add_argument("--no-real", action="store_true", help="only the generated module")
    args = parser.parse_args()
    print("budget: 50 ms per re-check (median of the edit -> diagnostics path)")
    with tempfile.TemporaryDirectory() as workdir:
        target = write_project(Path(workdir), args.lines)
        bench_file("generated app/service.py", target.parent.parent, target, args.runs)
    if args.no_real:
        return
    cache = args.cache_dir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    (cache / ".gitignore").write_text("*\n")
    for spec, relative in REAL:
        root = fetch(spec, cache)
        bench_file(f"{spec} {relative}", root, root / relative, args.runs)


if __name__ == "__main__":
    main()
