"""No input may kill the run, lose findings, or leave debris (issue 12's regressions).

Each hostile file is checked inside a tree of 30 ordinary files, each with one
finding: whatever the hostile file does, every other finding is still reported.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from redislint import parallel
from redislint.cli import main
from redislint.config import MAX_EXPIRE_SECONDS, Config
from redislint.rules import rl201_cache_key_without_ttl as rl201
from redislint.runner import PARSER_CRASHED, check_paths
from tests.support import run_command, show

OTHERS = 30
FLUSH = "import redis\nr = redis.Redis()\n\n\ndef wipe():\n    r.flushdb()\n"


def _tree(root: Path, hostile: dict[str, bytes]) -> Path:
    (root / "pyproject.toml").write_text("[tool.redislint]\n")
    pkg = root / "pkg"
    pkg.mkdir()
    for number in range(OTHERS):
        (pkg / f"mod{number:02}.py").write_text(FLUSH)
    for name, data in hostile.items():
        (pkg / name).write_bytes(data)
    return root


def _cli(args: list[str], cwd: Path, stdin: bytes | None = None):  # type: ignore[no-untyped-def]
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, args, input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)


def _assert_every_other_finding(output: str) -> None:
    for number in range(OTHERS):
        assert f"pkg/mod{number:02}.py:6:5: RL301" in output, output


HOSTILE = {
    # CPython refuses more than 200 nested brackets; libcst overflowed its stack.
    "brackets.py": b"import redis\nx = " + b"(" * 1272 + b"1" + b")" * 1272 + b"\n",
    "nested_calls.py": b"import redis\nr = redis.Redis()\n"
    + b"r.set(" * 1000
    + b"1"
    + b")" * 1000
    + b"\n",
    # Valid Python that segfaulted libcst on the main thread's stack.
    "and_chain.py": b"import redis\nr = redis.Redis()\nx = " + b" and ".join([b"r"] * 7100) + b"\n",
    # Valid Python whose libcst parse time grows with the cube of the chain.
    "pipeline_chain.py": b"import redis\nr = redis.Redis()\nr.pipeline()"
    + b'.set("a", 1)' * 1000
    + b".execute()\n",
    "nul.py": b"import redis\nx = 1\x00\n",
    "utf16.py": b"# coding: utf-16\nimport redis\n",
    "broken_no_redis.py": b"def f(:\n    pass\n",
}
EXPECTED_RL001 = {
    "brackets.py": "RL001 [parse-error] syntax error: too many nested parentheses",
    "nested_calls.py": "RL001 [parse-error] syntax error: too many nested parentheses",
    "pipeline_chain.py": "RL001 [parse-error] too deeply nested for analysis",
    "nul.py": "pkg/nul.py:2:6: RL001 [parse-error] syntax error: source code string cannot",
    "utf16.py": "pkg/utf16.py:1:1: RL001 [parse-error] cannot decode the file: encoding problem",
    "broken_no_redis.py": "pkg/broken_no_redis.py:1:7: RL001 [parse-error] syntax error",
}


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_takes_no_other_finding_with_it(
    tmp_path: Path, name: str, jobs: str
) -> None:
    root = _tree(tmp_path, {name: HOSTILE[name]})
    result = subprocess.run(
        [sys.executable, "-m", "redislint", "check", "--no-cache", "--jobs", jobs, "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, show(result)
    assert "Traceback" not in result.stderr
    _assert_every_other_finding(result.stdout)
    if name in EXPECTED_RL001:
        assert EXPECTED_RL001[name] in result.stdout, show(result)
    else:
        assert f"pkg/{name}" not in result.stdout, show(result)


def test_a_worker_that_dies_is_replaced_and_its_file_gets_rl001(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real native crash: libcst overflowing a small stack on the 7,100-operand
    chain (workers are forked, so they inherit the smaller stack size)."""
    monkeypatch.setattr(parallel, "ANALYSIS_STACK_BYTES", 1024 * 1024)
    root = _tree(tmp_path, {"and_chain.py": HOSTILE["and_chain.py"]})
    outcome = check_paths(["."], Config(root=root), cwd=root, jobs=2)
    assert not outcome.errors
    by_path = {(f.path, f.code): f for f in outcome.findings}
    for number in range(OTHERS):
        assert (f"pkg/mod{number:02}.py", "RL301") in by_path
    crashed = by_path[("pkg/and_chain.py", "RL001")]
    assert crashed.message == PARSER_CRASHED and crashed.line == 1
    assert outcome.files_checked == OTHERS + 1


# The real command line with a 1 MiB analysis stack, where the 7,100-operand chain
# really crashes libcst (set before anything runs; forked children inherit it).
SMALL_STACK_CLI = (
    "import sys; from redislint import parallel; "
    "parallel.ANALYSIS_STACK_BYTES = 1024 * 1024; "
    "parallel.CONTAIN_IN_PROCESS = sys.argv.pop(1) == 'contain'; "
    "from redislint.cli import main; main(sys.argv[1:], prog_name='redislint')"
)


@pytest.mark.parametrize(("others", "jobs"), [(OTHERS, ["--jobs", "1"]), (5, []), (0, [])])
def test_a_crash_in_an_in_process_run_is_contained(
    tmp_path: Path, others: int, jobs: list[str]
) -> None:
    """`--jobs 1`, or a run too small for a pool (5 files on any machine): the work runs
    in one forked child, and when a native crash kills it the crashing file is found
    as a dead pool worker's is. Without the child the same command dies (the control)."""
    root = _tree(tmp_path, {"and_chain.py": HOSTILE["and_chain.py"]})
    for number in range(others, OTHERS):
        (root / "pkg" / f"mod{number:02}.py").unlink()

    def run(mode: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", SMALL_STACK_CLI, mode, "check", "--no-cache", *jobs, "."]
        return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)

    control = run("in-this-process")
    assert control.returncode < 0 and not control.stdout, show(control)  # killed by a signal
    result = run("contain")
    assert result.returncode == 1, show(result)
    assert "Traceback" not in result.stderr
    for number in range(others):
        assert f"pkg/mod{number:02}.py:6:5: RL301" in result.stdout, show(result)
    assert f"pkg/and_chain.py:1:1: RL001 [parse-error] {PARSER_CRASHED}" in result.stdout
    found = f"Found {others + 1} finding{'s' if others else ''}."
    assert found in result.stdout, show(result)


def test_a_crash_in_the_editors_one_file_check_is_reported(tmp_path: Path) -> None:
    """`--stdin-filename`: one file, and still a report (RL001), never a silent exit 139."""
    root = _tree(tmp_path, {"and_chain.py": HOSTILE["and_chain.py"]})
    command = [sys.executable, "-c", SMALL_STACK_CLI, "contain", "check", "--no-cache"]
    result = subprocess.run(
        [*command, "--stdin-filename", "pkg/and_chain.py", "-"],
        cwd=root,
        input=HOSTILE["and_chain.py"].decode(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, show(result)
    assert f"pkg/and_chain.py:1:1: RL001 [parse-error] {PARSER_CRASHED}" in result.stdout


def _chain_source(links: int) -> str:
    chain = "".join(f'.set("cache:k{i}", 1).hset("cache:h{i}", "f", 1)' for i in range(links))
    return f"import redis\nr = redis.Redis()\n\n\ndef f():\n    r.pipeline(){chain}.execute()\n"


def test_rl201_work_is_linear_in_a_pipeline_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts the expiry index's probes (never time) for chains of growing length."""
    probes = {"count": 0}
    real = rl201._index_keys

    def counting(key):  # type: ignore[no-untyped-def]
        probes["count"] += 1
        return real(key)

    monkeypatch.setattr(rl201, "_index_keys", counting)
    counts = []
    for links in (10, 20, 40):
        path = tmp_path / f"chain{links}.py"
        path.write_text(_chain_source(links))
        probes["count"] = 0
        outcome = check_paths([path.name], Config(root=tmp_path), cwd=tmp_path, jobs=1)
        # One finding: every call of the chain starts where the chain starts.
        assert [f.code for f in outcome.findings] == ["RL201"]
        counts.append(probes["count"])
    # Linear: doubling the chain doubles the work (quadratic would quadruple it).
    assert counts[1] <= 2.2 * counts[0] and counts[2] <= 2.2 * counts[1], counts


# -- the cache is never the reason a run fails ------------------------------------------

CORRUPTIONS = [
    b"",
    b"not json",
    b"[]",
    b'{"findings": "x", "dependencies": {}}',
    b'{"findings": [{"code": 1}], "dependencies": {}}',
    b'{"findings": [], "dependencies": []}',
    b'{"findings": [], "dependencies": {"a": 1}}',
    b'{"findings": [], "dependencies": {}, "facts": {"k": [1]}}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"findings": [{"code": "RL301", "name": "n", "severity": "fatal", "message": "m",'
    b' "path": "p", "line": 1, "column": 1, "end_line": 1, "end_column": 1, "hint": null,'
    b' "fingerprint": "", "fix": null}], "dependencies": {}}',
]


@pytest.mark.parametrize("corruption", CORRUPTIONS, ids=lambda c: repr(c[:30]))
def test_a_corrupt_cache_entry_is_a_miss_and_is_rewritten(
    tmp_path: Path, corruption: bytes
) -> None:
    root = _tree(tmp_path, {})
    uncached = _cli(["check", "--no-cache", "."], root)
    first = _cli(["check", "."], root)
    database = root / ".redislint_cache" / "cache.sqlite3"
    with sqlite3.connect(database) as connection:
        stored = connection.execute("SELECT count(*) FROM entries").fetchone()[0]
        assert stored >= OTHERS, first.output  # a worker that could not write says why
        connection.execute("UPDATE entries SET payload = ?", (corruption.decode(),))
    again = _cli(["check", "."], root)
    assert again.exit_code == uncached.exit_code == 1
    assert again.output == uncached.output
    with sqlite3.connect(database) as connection:  # rewritten
        payloads = [row[0] for row in connection.execute("SELECT payload FROM entries")]
    assert corruption.decode() not in payloads


@pytest.mark.parametrize("damage", [b"", b"not a database", b"SQLite format 3\0" + b"\xff" * 4000])
def test_a_damaged_cache_database_is_made_again(tmp_path: Path, damage: bytes) -> None:
    root = _tree(tmp_path, {})
    uncached = _cli(["check", "--no-cache", "."], root)
    _cli(["check", "."], root)
    database = root / ".redislint_cache" / "cache.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(damage)
    again = _cli(["check", "."], root)
    assert again.exit_code == uncached.exit_code == 1
    assert again.output == uncached.output
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM entries").fetchone()[0] >= OTHERS


def _write_through_a_damaged_cache(directory: str, start: object, answers: object) -> None:
    from redislint.cache import ResultCache

    cache = ResultCache(Config(root=Path(directory)), frozenset({"RL301"}))
    start.wait()  # type: ignore[attr-defined]
    for number in range(20):
        cache.store(f"m{os.getpid()}_{number}.py", b"x = 1\n", [], {})
    answers.put(cache.finish())  # type: ignore[attr-defined]


def test_workers_that_find_the_cache_damaged_at_once_make_it_again_once(
    tmp_path: Path,
) -> None:
    """Each worker of a run may find the damage; none may delete what another has just
    made (that write then fails with "disk I/O error", seen in CI)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    workers = 4
    for trial in range(15):
        root = tmp_path / f"trial{trial}"
        database = root / ".redislint_cache" / "cache.sqlite3"
        database.parent.mkdir(parents=True)
        database.write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
        start, answers = context.Barrier(workers), context.Queue()
        processes = [
            context.Process(target=_write_through_a_damaged_cache, args=(str(root), start, answers))
            for _ in range(workers)
        ]
        for process in processes:
            process.start()
        problems = [answers.get(timeout=60) for _ in processes]
        for process in processes:
            process.join()
        assert problems == [None] * workers, (trial, problems)
        with sqlite3.connect(database) as connection:
            assert connection.execute("SELECT count(*) FROM entries").fetchone()[0] == 20 * workers


def test_a_database_made_while_the_damaged_one_is_removed_keeps_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving behind that race, forced: the moment the damaged database file
    is gone, another worker (not repairing: its first open is not under the lock) makes
    a new one at the path and writes to it. The repair must not then remove that new
    database's -wal or -shm: its next write would fail with "disk I/O error"."""
    from redislint import cache as cache_module

    database = tmp_path / "cache.sqlite3"
    database.write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
    real_unlink = os.unlink
    other: list[sqlite3.Connection] = []

    def unlink_then_another_worker_opens(path: str | os.PathLike[str]) -> None:
        real_unlink(path)
        if os.fspath(path) == str(database) and not other:
            connection = sqlite3.connect(database, isolation_level=None)
            assert connection.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
            connection.execute("CREATE TABLE other (n INTEGER)")
            connection.execute("INSERT INTO other VALUES (1)")
            other.append(connection)

    monkeypatch.setattr(cache_module.os, "unlink", unlink_then_another_worker_opens)
    repaired = cache_module._made_again(database)
    monkeypatch.undo()
    assert other, "the damaged database file was never removed"
    other[0].execute("INSERT INTO other VALUES (2)")  # "disk I/O error" before the fix
    assert other[0].execute("SELECT count(*) FROM other").fetchone() == (2,)
    assert repaired.execute("SELECT count(*) FROM other").fetchone() == (2,)
    repaired.close()
    other[0].close()


def test_a_cache_that_cannot_be_written_gives_one_warning(tmp_path: Path) -> None:
    root = _tree(tmp_path, {})
    (root / ".redislint_cache").write_text("a file where the cache folder should be")
    result = run_command([sys.executable, "-m", "redislint", "check", "--jobs", "1", "."], root)
    assert result.returncode == 1, show(result)
    _assert_every_other_finding(result.stdout)
    assert result.stderr.count("warning: cannot write the cache") == 1, result.stderr


def test_deployment_files_with_a_cache_that_cannot_be_written_warn_once(tmp_path: Path) -> None:
    """The deployment path reports the unwritable cache like the Python path, once."""
    (tmp_path / "redis.conf").write_text('save ""\nappendonly no\n')
    (tmp_path / "app.py").write_text("import redis\nr = redis.Redis()\nr.flushall()\n")
    (tmp_path / ".redislint_cache").write_text("a file where the cache folder should be")
    result = run_command([sys.executable, "-m", "redislint", "check", "--jobs", "1", "."], tmp_path)
    assert result.returncode == 1, show(result)
    assert "app.py" in result.stdout
    assert result.stderr.count("warning: cannot write the cache") == 1, result.stderr
    only_deploy = run_command(
        [sys.executable, "-m", "redislint", "check", "--jobs", "1", "redis.conf"], tmp_path
    )
    assert only_deploy.returncode == 0, show(only_deploy)
    assert only_deploy.stderr.count("warning: cannot write the cache") == 1, only_deploy.stderr


# -- file names that are not UTF-8 ------------------------------------------------------


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses such names")
def test_a_file_name_that_is_not_utf8_is_checked_reported_and_fixed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\ncache-ttl = 60\n")
    name = os.fsencode(tmp_path) + b"/bad\xff.py"
    with open(name, "wb") as handle:
        handle.write(b'import redis\nr = redis.Redis()\nr.set("cache:a", 1)\nr.flushall()\n')
    for fmt in ("text", "json", "sarif", "junit", "github"):
        result = subprocess.run(
            [sys.executable, "-m", "redislint", "check", "--format", fmt, "."],
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
        )
        assert result.returncode == 1, (fmt, result.stderr)
        assert b"Traceback" not in result.stderr
        if fmt == "json":
            paths = {d["path"] for d in json.loads(result.stdout)["diagnostics"]}
            assert paths == {"bad\udcff.py"}  # the JSON escape \udcff, as documented
        if fmt == "sarif":
            assert b'"uri": "bad%FF.py"' in result.stdout
    fixed = subprocess.run(
        [sys.executable, "-m", "redislint", "check", "--fix", "."],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    assert fixed.returncode == 1, fixed.stderr  # the FLUSHALL stays
    with open(name, "rb") as handle:
        assert b'r.set("cache:a", 1, ex=60)' in handle.read()


# -- --fix ------------------------------------------------------------------------------


def test_fixes_apply_on_lines_that_start_with_a_form_feed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\ncache-ttl = 60\n")
    source = (
        'import redis\nr = redis.Redis()\n\x0cr.set("cache:a", 1)\n'
        'if r:\n    a = 1\n\x0c    r.set("cache:b", 1)\n'
    )
    (tmp_path / "a.py").write_text(source)
    result = _cli(["check", "--fix", "."], tmp_path)
    assert result.exit_code == 0, result.output
    assert "not applied" not in result.output
    assert (tmp_path / "a.py").read_text() == source.replace(", 1)", ", 1, ex=60)")


def test_cache_ttl_beyond_what_redis_accepts_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.redislint]\ncache-ttl = {MAX_EXPIRE_SECONDS + 1}\n"
    )
    (tmp_path / "a.py").write_text("import redis\n")
    result = _cli(["check", "."], tmp_path)
    assert result.exit_code == 2
    assert "pyproject.toml" in result.output and "cache-ttl" in result.output


@pytest.mark.redis
def test_the_cache_ttl_limit_is_the_one_redis_enforces(redis_client: redis.Redis) -> None:
    assert redis_client.set("k", "v", ex=MAX_EXPIRE_SECONDS)
    with pytest.raises(redis.ResponseError, match="invalid expire time"):
        # The naive bound (the expiry in ms must fit 64 bits, ignoring the clock).
        redis_client.set("k", "v", ex=(2**63 - 1) // 1000)


# -- inputs CPython rejects, and the command line's own inputs ---------------------------


def test_stdin_closed_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "redislint", "check", "--stdin-filename", "a.py"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(0),
    )
    assert result.returncode == 2, show(result)
    assert "cannot read the source from stdin" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_directory_on_stdin_is_refused_by_cpython_as_documented(tmp_path: Path) -> None:
    """Not exit 2: CPython aborts before any Python code runs (init_sys_streams), so no
    console script can turn it into redislint's own error. The test keeps the documented
    behaviour (docs/integrations.md) true: CPython's message, exit 1, nothing on stdout,
    and never a finding or a traceback that could be taken for a result."""
    (tmp_path / "src").mkdir()
    directory = os.open(tmp_path / "src", os.O_RDONLY | os.O_DIRECTORY)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "redislint", "check", "--stdin-filename", "a.py"],
            cwd=tmp_path,
            stdin=directory,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.close(directory)
    assert result.returncode == 1, show(result)
    assert result.stdout == ""
    assert "<stdin> is a directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_m_ignores_modules_in_the_working_directory(tmp_path: Path) -> None:
    for shadow in ("click", "json", "libcst"):
        (tmp_path / f"{shadow}.py").write_text("raise SystemExit('shadowed module imported')\n")
    (tmp_path / "app.py").write_text(FLUSH)
    result = run_command([sys.executable, "-m", "redislint", "check", "app.py"], tmp_path)
    assert result.returncode == 1, show(result)
    assert "app.py:6:5: RL301" in result.stdout
