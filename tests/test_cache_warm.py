"""The warm path (issue 13): a re-run answered from the cache reads no unchanged file,
imports no parser, and gives exactly the cold run's output; what changed, and what
imports it, is checked again."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import Result
from support import invoke_cli, run_listing_imports

from redislint import shards, walk_memo
from redislint.semantics.import_scan import ImportScan

DB = """
import redis
r = redis.Redis()
"""
ADMIN = """
from app.db import r


def wipe():
    r.flushdb()
"""
# RL306 is decided in the project stage: the first use of user:* (a hash) is in
# a_models.py, so b_views.py's GET is the conflict.
MODELS = """
from app.db import r


def save(uid):
    r.hset(f"user:{uid}", "name", "ada")
"""
VIEWS = """
from app.db import r


def load(uid):
    return r.get(f"user:{uid}")
"""
ARGS = ["check", "--select", "ALL", "--output-format", "concise", "--jobs", "1"]
PAST = time.time() - 3600  # older than the racy window: stats are recorded


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The files were just written (their ctime is now): let their stats be recorded
    # at once instead of after the racy window.
    monkeypatch.setattr(walk_memo, "RACY_SECONDS", 0.0)
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n")
    files = {
        "app/__init__.py": "",
        "app/db.py": DB,
        "app/admin.py": ADMIN,
        "app/a_models.py": MODELS,
        "app/b_views.py": VIEWS,
        "app/plain.py": "def nothing():\n    return 1\n",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        os.utime(path, (PAST, PAST))
    return tmp_path


def _refuse_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the runner fail on any file it analyses; returns the names it was asked for."""
    asked: list[str] = []

    def refuse(path: Path, *args: object, **kwargs: object) -> None:
        asked.append(path.name)
        raise AssertionError(f"{path.name} was checked again")

    monkeypatch.setattr(shards, "check_file", refuse)
    return asked


def _checked_names(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the files the runner analyses (and let it analyse them; in this process:
    the autouse `in_this_process` fixture)."""
    seen: list[str] = []
    real = shards.check_file

    def record(path: Path, *args: object, **kwargs: object) -> object:
        seen.append(path.name)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(shards, "check_file", record)
    return seen


def test_warm_equals_cold_equals_no_cache(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_cache = invoke_cli([*ARGS, "--no-cache", "app"], project)
    cold = invoke_cli([*ARGS, "app"], project)
    assert "b_views.py:6:12: RL306" in cold.output and "admin.py:6:5: RL301" in cold.output
    assert cold.output == no_cache.output and cold.exit_code == no_cache.exit_code == 1
    _refuse_checks(monkeypatch)
    warm = invoke_cli([*ARGS, "app"], project)
    assert warm.output == cold.output and warm.exit_code == 1


def _parser_and_rules(modules: list[str]) -> list[str]:
    heavy = ("libcst", "redislint.rules", "redislint.engine", "redislint.shards")
    return [name for name in modules if name.startswith(heavy)]


def test_a_run_imports_the_parser_only_in_its_workers(project: Path) -> None:
    """The run's own process hands the checks to a child (`parallel.Task`), also the first
    run's; a warm run answered from the cache has no child do anything either."""
    # No deferred finding here (tests/test_project_stage_warm.py has a warm project stage).
    for name in ("a_models.py", "b_views.py"):
        (project / "app" / name).unlink()
    cold = run_listing_imports([*ARGS, "app"], project)
    assert "RL301" in cold[0] and cold[1] == 1  # checked, by a child
    assert _parser_and_rules(cold[2]) == []
    warm = run_listing_imports([*ARGS, "app"], project)
    assert warm[:2] == cold[:2]
    assert _parser_and_rules(warm[2]) == []
    # An edit of a file that uses Redis: the run's process asks which cached files its
    # import lines name (a helper's verdict may change) without the parser.
    db = project / "app" / "db.py"
    db.write_text(db.read_text() + "TIMEOUT = 5\n")
    edited = run_listing_imports([*ARGS, "app"], project)
    assert edited[:2] == cold[:2]
    assert "redislint.semantics.modules" in edited[2]
    assert _parser_and_rules(edited[2]) == []


def test_an_unchanged_tree_is_validated_without_reading_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke_cli([*ARGS, "app"], project)
    with sqlite3.connect(project / ".redislint_cache" / "cache.sqlite3") as connection:
        recorded = {row[0] for row in connection.execute("SELECT path FROM stats")}
    assert {"app/db.py", "app/b_views.py", "app/plain.py"} <= recorded
    real_open, real_read = open, Path.read_bytes

    def refuse(file: object) -> None:
        if str(file).endswith(".py"):
            raise AssertionError(f"{file} was read")

    def no_source_open(file: object, *args: object, **kwargs: object) -> object:
        refuse(file)
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    def no_source_read(self: Path) -> bytes:
        refuse(self)
        return real_read(self)

    monkeypatch.setattr("builtins.open", no_source_open)
    monkeypatch.setattr(Path, "read_bytes", no_source_read)
    assert "RL306" in invoke_cli([*ARGS, "app"], project).output


def test_a_stat_change_without_a_content_change_is_still_a_hit(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = invoke_cli([*ARGS, "app"], project)
    for name in ("db.py", "b_views.py"):
        os.utime(project / "app" / name, (PAST - 60, PAST - 60))
    _refuse_checks(monkeypatch)
    assert invoke_cli([*ARGS, "app"], project).output == first.output


def test_editing_a_dependency_rechecks_it_and_its_importers_only(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "admin.py:6:5: RL301" in invoke_cli([*ARGS, "app"], project).output
    db = project / "app" / "db.py"
    # Same size and the old mtime: only the ctime (and the content) tell.
    db.write_text(textwrap.dedent(DB).replace("redis.Redis()", "dict(a=1,b=2)"))
    assert db.stat().st_size == len(textwrap.dedent(DB))
    os.utime(db, (PAST, PAST))
    seen = _checked_names(monkeypatch)
    result = invoke_cli([*ARGS, "app"], project)
    assert "RL301" not in result.output and "RL306" not in result.output
    assert sorted(seen) == ["a_models.py", "admin.py", "b_views.py", "db.py"]
    assert result.output == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def test_editing_one_file_keeps_the_others_cached(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke_cli([*ARGS, "app"], project)
    views = project / "app" / "b_views.py"
    views.write_text(
        textwrap.dedent(VIEWS) + "\n\ndef again(uid):\n    return r.get(f'user:{uid}')\n"
    )
    seen = _checked_names(monkeypatch)
    result = invoke_cli([*ARGS, "app"], project)
    assert seen == ["b_views.py"]
    assert result.output.count("RL306") == 2  # the project stage still sees a_models.py
    assert result.output == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def test_the_same_stdin_text_twice_is_checked_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = textwrap.dedent(ADMIN)
    args = [*ARGS, "--stdin-filename", "app/admin.py"]
    first = invoke_cli(args, project, stdin=text)
    assert "app/admin.py:6:5: RL301" in first.output
    _refuse_checks(monkeypatch)
    assert invoke_cli(args, project, stdin=text).output == first.output
    # Another text under the same name is not served from the cache.
    other = invoke_cli(args, project, stdin=text + "\n\ndef more():\n    r.flushall()\n")
    assert "admin.py was checked again" in other.output


# A key builder in its own module: RL306 sees `user:*` as a hash in a_models.py and as a
# string in b_views.py only while both build their keys with it.
KEYS = """
def user_key(uid):
    return f"user:{uid}"
"""
KEYED_MODELS = """
from app.db import r
from app.keys import user_key


def save(uid):
    r.hset(user_key(uid), "name", "ada")
"""
KEYED_VIEWS = """
from app.db import r
from app.keys import user_key


def load(uid):
    return r.get(user_key(uid))
"""


@pytest.fixture
def keyed(project: Path) -> Path:
    for name, text in {
        # Checked first, and never analysed (no Redis in it or in keys.py): its result
        # depends only on the prefilter's verdict on keys.py, a_models.py's on its code.
        "app/_early.py": "from app.keys import user_key\n\nKEY = user_key\n",
        "app/keys.py": KEYS,
        "app/a_models.py": KEYED_MODELS,
        "app/b_views.py": KEYED_VIEWS,
    }.items():
        path = project / name
        path.write_text(textwrap.dedent(text))
        os.utime(path, (PAST, PAST))
    return project


def _edit(path: Path, text: str) -> None:
    path.write_text(text)
    os.utime(path, (PAST, PAST))  # the old mtime: only ctime, size and content tell


def test_a_comment_edit_in_a_dependency_rechecks_only_that_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = invoke_cli([*ARGS, "app"], project)
    assert "admin.py:6:5: RL301" in first.output and "RL306" in first.output
    db = project / "app" / "db.py"
    original = db.read_text()
    _edit(db, "# The one client.\n\n" + original.replace("()\n", "()  # shared\n") + "\n\n# end\n")
    seen = _checked_names(monkeypatch)
    edited = invoke_cli([*ARGS, "app"], project)
    assert seen == ["db.py"]  # admin.py, a_models.py, b_views.py come from the cache
    assert edited.output != first.output  # db.py's own finding moved down two lines
    assert edited.output == invoke_cli([*ARGS, "--no-cache", "app"], project).output
    # The importers' entries now name the new text: nothing is checked again.
    seen.clear()
    assert invoke_cli([*ARGS, "app"], project).output == edited.output
    assert seen == []


def test_a_key_builder_edit_that_changes_the_keys_rechecks_its_importers(
    keyed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = invoke_cli([*ARGS, "app"], keyed)
    assert "b_views.py:7:12: RL306" in first.output
    assert first.output == invoke_cli([*ARGS, "--no-cache", "app"], keyed).output
    keys = keyed / "app" / "keys.py"
    _edit(keys, textwrap.dedent(KEYS).replace('f"user:{uid}"', 'f"u:{uid}:{uid}"'))
    seen = _checked_names(monkeypatch)
    edited = invoke_cli([*ARGS, "app"], keyed)
    assert sorted(seen) == ["a_models.py", "b_views.py", "keys.py"]
    assert "RL306" in edited.output and "'u:*:* over uid'" in edited.output
    assert edited.output != first.output
    assert edited.output == invoke_cli([*ARGS, "--no-cache", "app"], keyed).output


def test_a_key_builder_edit_that_keeps_the_keys_rechecks_only_the_builder(
    keyed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = invoke_cli([*ARGS, "app"], keyed)
    keys = keyed / "app" / "keys.py"
    text = textwrap.dedent(KEYS)
    _edit(keys, text.replace("def user_key", "# Keys of users.\ndef user_key") + "\n\n\n")
    seen = _checked_names(monkeypatch)
    edited = invoke_cli([*ARGS, "app"], keyed)
    assert seen == ["keys.py"]
    assert edited.output == first.output
    assert edited.output == invoke_cli([*ARGS, "--no-cache", "app"], keyed).output


def test_a_comment_that_mentions_redis_rechecks_the_importers_it_lets_through(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # reader.py never mentions Redis; it is analysed only if an imported module does.
    reader = project / "app" / "reader.py"
    _edit(reader, "from app.plain import nothing\n\n\ndef read():\n    return nothing()\n")
    first = invoke_cli([*ARGS, "app"], project)
    plain = project / "app" / "plain.py"
    _edit(plain, "# helpers\n\n\n" + plain.read_text() + "# more helpers\n")
    seen = _checked_names(monkeypatch)
    assert invoke_cli([*ARGS, "app"], project).output == first.output
    assert seen == ["plain.py"]  # the prefilter's verdict on plain.py did not change
    _edit(plain, plain.read_text() + "# a Redis helper, one day\n")
    seen.clear()
    assert invoke_cli([*ARGS, "app"], project).output == first.output
    assert sorted(seen) == ["plain.py", "reader.py"]


def test_a_skipped_file_depends_on_the_text_of_its_imports_not_on_theirs(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the prefilter skips read only the text of the modules it imports (does one
    mention Redis?): an edit further down the import chain leaves its entry valid. Its
    entry named every module of the chain, and on a sparse tree most of the graph."""
    # reader.py -> views.py (no Redis named) -> app.db (a Redis client)
    _edit(project / "app" / "views.py", "from app.db import r\n\n\ndef get():\n    return r\n")
    _edit(
        project / "app" / "reader.py",
        "from app.views import get\n\n\ndef read():\n    return get()\n",
    )
    first = invoke_cli([*ARGS, "app"], project)
    db = project / "app" / "db.py"
    _edit(db, db.read_text().replace("redis.Redis()", "redis.Redis(socket_timeout=1)"))
    seen = _checked_names(monkeypatch)
    edited = invoke_cli([*ARGS, "app"], project)
    assert "reader.py" not in seen and "views.py" in seen and "db.py" in seen
    assert edited.output != first.output  # db.py's RL404 is gone
    assert edited.output == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def test_a_module_becomes_a_helper_and_stops_being_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module that never mentions Redis is analysed only while a Redis-using file
    imports it: the warm run follows the importer's edits both ways, as `--no-cache`."""
    monkeypatch.setattr(walk_memo, "RACY_SECONDS", 0.0)
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n")
    (tmp_path / "helpers.py").write_text("def wipe(c):\n    c.flushall()\n")
    plain = "import redis\n\nr = redis.Redis()\n"
    importing = "import redis\nfrom helpers import wipe\n\nr = redis.Redis()\nwipe(r)\n"
    app = tmp_path / "app.py"
    outputs = []
    for text in (plain, importing, plain):
        app.write_text(text)
        os.utime(app, (PAST + len(outputs), PAST + len(outputs)))
        # `-v` looks every file up in the runner, the plain run in the warm path
        verbose = invoke_cli([*ARGS, "-v", "."], tmp_path).stdout
        warm = invoke_cli([*ARGS, "."], tmp_path).output
        cold = invoke_cli([*ARGS, "--no-cache", "."], tmp_path).output
        assert warm == cold == verbose, text
        outputs.append(warm)
    assert "helpers.py:2:5: RL301" in outputs[1]
    assert "RL301" not in outputs[0] and "RL301" not in outputs[2]


def test_rechecking_a_helper_does_not_read_the_unchanged_project_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A helper's re-check asks which Redis-using files import it: the import scan of the
    project answers that from what the last run stored of each unchanged file, without
    reading it (it read all of a 2,800-file project at each such edit)."""
    helper = project / "app" / "helpers.py"
    helper.write_text("def wipe(client):\n    client.flushdb()\n")
    user = project / "app" / "user.py"
    user.write_text("import redis\nfrom app.helpers import wipe\n\nwipe(redis.Redis())\n")
    for path in (helper, user):
        os.utime(path, (PAST, PAST))
    first = invoke_cli([*ARGS, "app"], project)
    assert "helpers.py:2:5: RL301" in first.output
    helper.write_text(helper.read_text() + "# edited\n")
    read: list[str] = []
    real_read = Path.read_bytes

    def record(self: Path) -> bytes:
        read.append(self.name)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", record)
    warm = invoke_cli([*ARGS, "app"], project)
    monkeypatch.setattr(Path, "read_bytes", real_read)
    assert warm.output == first.output == invoke_cli([*ARGS, "--no-cache", "app"], project).output
    assert "helpers.py" in read  # the edited file, and what its analysis needs
    assert not {"plain.py", "admin.py", "a_models.py", "b_views.py"} & set(read), read


def _resolved_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose import lines the import scan resolves (not taken from its memo)."""
    resolved: list[str] = []
    real = ImportScan._resolve_imports

    def record(self: ImportScan, key: str, candidates: list[str]) -> tuple[str, ...]:
        resolved.append(Path(key).name)
        return real(self, key, candidates)

    monkeypatch.setattr(ImportScan, "_resolve_imports", record)
    return resolved


def _helper_project(project: Path) -> Path:
    helper = project / "app" / "helpers.py"
    helper.write_text("def wipe(client):\n    client.flushdb()\n")
    user = project / "app" / "user.py"
    user.write_text("import redis\nfrom app.helpers import wipe\n\nwipe(redis.Redis())\n")
    for path in (helper, user, project / "app"):
        os.utime(path, (PAST, PAST))
    return helper


def _edit_and_recheck(
    helper: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], Result]:
    """Append a comment to the helper and check again: the files whose imports the scan
    resolved (not taken from its memo), and the run."""
    helper.write_text(helper.read_text() + "# edited\n")
    resolved = _resolved_files(monkeypatch)
    return resolved, invoke_cli([*ARGS, "app"], project)


def test_rechecking_a_helper_resolves_the_imports_of_the_edited_file_only(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import scan keeps what each file's imports resolved to (`graph_memo.py`):
    after an edit, only the edited file's imports are resolved again."""
    helper = _helper_project(project)
    first = invoke_cli([*ARGS, "app"], project)
    resolved, warm = _edit_and_recheck(helper, project, monkeypatch)
    assert resolved == ["helpers.py"], resolved
    assert warm.output == first.output == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def test_files_that_cannot_be_modules_beside_the_edited_one_keep_the_graph_memo(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor's atomic save, a report or a log in a folder module resolution listed
    changes the folder's mtime, not what an import resolves to: only the edited file's
    imports are resolved again."""
    helper = _helper_project(project)
    first = invoke_cli([*ARGS, "app"], project)
    for name in (".helpers.py.swp", "report.json", "4913", "notes.txt"):
        (project / "app" / name).write_text("x\n")
    (project / "run.log").write_text("x\n")  # the working directory, a source root
    resolved, warm = _edit_and_recheck(helper, project, monkeypatch)
    assert resolved == ["helpers.py"], resolved
    assert warm.output == first.output == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def test_a_folder_written_as_the_scan_runs_is_kept_by_its_module_names(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report written into the working directory just before each run (a benchmark's
    output file, a CI log) leaves that folder's stat too young to trust: the graph's
    memo keeps the folder by the names resolution can ask about, and is still used."""
    monkeypatch.setattr(walk_memo, "RACY_SECONDS", 2.0)
    helper = _helper_project(project)
    (project / "run.log").write_text("first\n")  # now: the folder's stat is racy
    first = invoke_cli([*ARGS, "app"], project)
    (project / "run2.log").write_text("second\n")
    resolved, warm = _edit_and_recheck(helper, project, monkeypatch)
    assert resolved == ["helpers.py"], resolved
    assert warm.output == first.output


@pytest.mark.parametrize(
    ("module", "packages"),
    [
        ("app.tools", 0),
        ("app.sub.tools", 1),
        ("app.sub.deeper.tools", 2),
        ("app.assets.icons.tools", 0),
    ],
)
def test_a_new_module_that_an_unchanged_file_imports_is_resolved(
    project: Path, monkeypatch: pytest.MonkeyPatch, module: str, packages: int
) -> None:
    """user.py imports the module before it exists; creating it changes what the
    unchanged user.py's import resolves to (a folder's listing changed), and the new
    module is a helper of a Redis-using file. Inside new packages, the folders
    resolution found missing (`app/sub`, and `app/sub/deeper` below it) now exist: the
    memo must not take them for missing because the folder above them was. `app/assets`
    exists from the start, and resolution never lists it (it looks in
    `app/assets/icons`): the new folder changes no folder the memo recorded, only the
    missing one it recorded itself."""
    (project / "app" / "assets").mkdir()
    (project / "app" / "assets" / "logo.svg").write_text("<svg/>\n")
    user = project / "app" / "user.py"
    user.write_text(f"import redis\nfrom {module} import wipe\n\nwipe(redis.Redis())\n")
    os.utime(user, (PAST, PAST))
    os.utime(project / "app", (PAST, PAST))
    _edit(project / "app" / "plain.py", "def nothing():\n    return 2\n")  # a scan runs
    first = invoke_cli([*ARGS, "app"], project)
    assert "tools.py" not in first.output
    tools = project.joinpath(*module.split(".")).with_suffix(".py")
    tools.parent.mkdir(parents=True, exist_ok=True)
    for package in list(tools.parents)[:packages]:
        (package / "__init__.py").write_text("")
    tools.write_text("def wipe(client):\n    client.flushdb()\n")
    os.utime(tools, (PAST, PAST))
    warm = invoke_cli([*ARGS, "app"], project)
    assert "tools.py:2:5: RL301" in warm.output
    assert warm.output == invoke_cli([*ARGS, "--no-cache", "app"], project).output


def _count_rows(database: Path, table: str) -> int:
    """The rows of one table of the cache's database (0 before it exists)."""
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_of_the_workers_scanning_one_project_one_records_the_scan(project: Path) -> None:
    """Every worker of a run scans the project's imports; the shard holding the
    group's first file writes what the scan read of each file, the one holding its
    last the memos of the scan's walk and graph (the same rows, once each)."""
    from redislint.cache import ResultCache
    from redislint.catalogue import selected_codes
    from redislint.config import resolve_config
    from redislint.jobs import Job
    from redislint.shards import check_shard

    config = resolve_config(project, None, False)
    selected = selected_codes(config)
    plain = project / "app" / "plain.py"
    jobs = [Job(plain, "app/plain.py", plain.read_bytes())]  # skipped: a scan runs
    others = project / "other.py", project / "another.py"

    def rows(table: str) -> int:
        return _count_rows(project / ".redislint_cache" / "cache.sqlite3", table)

    def shard(first: Path, last: Path) -> None:
        cache = ResultCache(config, selected)
        check_shard(config, jobs, selected, False, cache, False, False, first, last)

    shard(*others)  # other workers' shards hold the first and the last file
    assert (rows("scans"), rows("walks")) == (0, 0)
    shard(plain, others[0])
    assert (rows("scans"), rows("walks")) == (len(list(project.rglob("*.py"))), 0)
    shard(others[0], plain)
    assert rows("walks") == 2  # the walk of the scan and its import graph


def test_a_project_the_holders_of_the_first_and_last_file_never_scan_is_recorded_by_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shards are runs of neighbours: with two projects in one run, one worker may hold
    files of one project only, and the holders of the group's first and last files may
    never scan the other. The worker scanning it then records its scan (before, nobody
    did, and the first re-check of a helper after a cold run scanned the project again
    without a memo)."""
    from redislint.cache import ResultCache
    from redislint.catalogue import selected_codes
    from redislint.config import Config
    from redislint.jobs import Job
    from redislint.shards import check_shard

    monkeypatch.setattr(walk_memo, "RACY_SECONDS", 0.0)
    files = ["a/app/__init__.py", "a/app/plain.py", "b/lib/__init__.py", "b/lib/one.py"]
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import os\n")
        os.utime(path, (PAST, PAST))
    config = Config(root=tmp_path)  # no configuration file: a project is its source root
    selected = selected_codes(config)
    plain = tmp_path / "a" / "app" / "plain.py"
    jobs = [Job(plain, "a/app/plain.py", plain.read_bytes())]
    database = tmp_path / ".redislint_cache" / "cache.sqlite3"

    def rows(table: str) -> int:
        return _count_rows(database, table)

    def shard(first: Path, last: Path) -> None:
        cache = ResultCache(config, selected)
        check_shard(config, jobs, selected, False, cache, False, False, first, last)

    other = tmp_path / "a" / "app" / "__init__.py"
    shard(other, other)  # another worker holds both files, in this project: it records
    assert (rows("scans"), rows("walks")) == (0, 0)
    shard(tmp_path / "b" / "lib" / "one.py", tmp_path / "b" / "lib" / "__init__.py")
    assert (rows("scans"), rows("walks")) == (2, 2)  # project a's two files; walk, graph


# `redislint ARGS` as the command runs it (its standby worker forked first), recording
# in LOG the process id of every import scan that read a project (the workers' too:
# the patch is made before the fork). The first line is the run's own process id.
_RECORD_SCANS = """
import os, sys
from redislint.semantics import import_scan
log, sys.argv = sys.argv[1], ["redislint", *sys.argv[2:]]
with open(log, "w") as out:
    out.write(f"{os.getpid()}\\n")
real = import_scan.ImportScan.scan
def scan(self, near):
    grew = real(self, near)
    if grew:
        with open(log, "a") as out:
            out.write(f"{os.getpid()}\\n")
    return grew
import_scan.ImportScan.scan = scan
from redislint.launch import main
main()
"""


def _scanning_processes(project: Path, args: list[str]) -> tuple[str, int, list[str]]:
    """A real run's output, its process id and the ids of the processes that scanned."""
    log = project.parent / f"{project.name}-scans.log"  # outside the tree it checks
    done = subprocess.run(
        [sys.executable, "-c", _RECORD_SCANS, str(log), *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    parent, *scanners = log.read_text().split()
    return done.stdout, int(parent), [int(pid) for pid in scanners]


def test_the_run_scans_the_imports_for_its_standby_worker(project: Path) -> None:
    """After an edit of a helper, the run's own process scans the project's imports
    while its standby worker imports libcst and the rules, and the worker checks with
    that graph instead of scanning again (issue 13); the findings are a cold run's."""
    helper = _helper_project(project)
    args = [*ARGS[:-2], "app"]  # the default --jobs: the standby checks a small run
    _scanning_processes(project, args)
    helper.write_text(helper.read_text() + "# edited\n")
    output, parent, scanners = _scanning_processes(project, args)
    assert scanners and set(scanners) == {parent}, (parent, scanners)
    assert output == invoke_cli([*ARGS, "--no-cache", "app"], project).output
    assert "helpers.py:2:5: RL301" in output
