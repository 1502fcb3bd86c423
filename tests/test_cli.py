"""The command line, through click's runner and through a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import Result
from support import invoke_cli

BAD = "import redis\n\nr = redis.Redis()\nr.flushall()\n"
CLEAN = "import redis\n\nr = redis.Redis()\nr.get('cache:a')\n"


def run(args: list[str], cwd: Path, stdin: str | None = None) -> Result:
    return invoke_cli(args, cwd, stdin=stdin)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "bad.py").write_text(BAD)
    (tmp_path / "app" / "clean.py").write_text(CLEAN)
    return tmp_path


def test_text_output_and_exit_codes(project: Path) -> None:
    result = run(["check", "app"], project)
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("app/bad.py:4:1: RL301 [flush-command] FLUSHALL")
    assert "hint:" in result.output
    assert "Found 1 finding" in result.output
    assert run(["check", "app/clean.py"], project).exit_code == 0
    assert run(["check", "app", "--exit-zero"], project).exit_code == 0


def test_json_output_matches_the_spec(project: Path) -> None:
    result = run(["check", "app", "--format", "json"], project)
    data = json.loads(result.output)
    assert data["version"] == 1 and data["tool"] == "redislint"
    assert data["files_checked"] == 2
    (diag,) = data["diagnostics"]
    assert diag["code"] == "RL301" and diag["path"] == "app/bad.py"
    assert (diag["line"], diag["column"], diag["end_line"], diag["end_column"]) == (4, 1, 4, 13)
    assert diag["fix"] is None and diag["severity"] == "error"


def test_select_ignore_and_per_file_ignores(project: Path) -> None:
    assert run(["check", "app", "--ignore", "RL301"], project).exit_code == 0
    assert run(["check", "app", "--select", "RL2"], project).exit_code == 0
    assert run(["check", "app", "--select", "RL3"], project).exit_code == 1
    (project / "pyproject.toml").write_text(
        '[tool.redislint]\nper-file-ignores = { "app/bad.py" = ["RL301"] }\n'
    )
    assert run(["check", "app"], project).exit_code == 0
    assert run(["check", "app", "--isolated"], project).exit_code == 1


def test_bad_config_names_file_and_key(project: Path) -> None:
    (project / "redislint.toml").write_text("cache-ttl = 'abc'\n")
    result = run(["check", "app"], project)
    assert result.exit_code == 2
    assert "redislint.toml" in result.output and "cache-ttl" in result.output
    assert "Traceback" not in result.output


def test_bad_option_value_is_a_usage_error(project: Path) -> None:
    result = run(["check", "app", "--select", "E501"], project)
    assert result.exit_code == 2 and "--select" in result.output


def test_stdin_filename(project: Path) -> None:
    result = run(["check", "--stdin-filename", "app/new.py"], project, stdin=BAD)
    assert result.exit_code == 1
    assert result.output.startswith("app/new.py:4:1: RL301")


def test_syntax_error_is_reported_and_the_run_continues(project: Path) -> None:
    (project / "app" / "broken.py").write_text("import redis\ndef f(:\n    pass\n")
    (project / "app" / "latin.py").write_bytes(b"import redis\nx = '\xe9'\n")
    result = run(["check", "app"], project)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("app/broken.py:2:7: RL001") for line in lines), lines
    assert any(line.startswith("app/latin.py:1:1: RL001") for line in lines), lines
    assert any(line.startswith("app/bad.py:4:1: RL301") for line in lines), lines


def test_missing_path_is_an_error_but_others_are_checked(project: Path) -> None:
    result = run(["check", "app", "nope.py"], project)
    assert result.exit_code == 2
    assert "nope.py" in result.output and "RL301" in result.output


def test_rules_and_explain(project: Path) -> None:
    listing = run(["rules"], project)
    assert "RL301" in listing.output and "flush-command" in listing.output
    rows = json.loads(run(["rules", "--format", "json"], project).output)
    by_code = {row["code"]: row for row in rows}
    assert by_code["RL301"]["mission"] is True and by_code["RL002"]["default"] is False
    for spelling in ("RL301", "rl301", "flush-command"):
        page = run(["explain", spelling], project)
        assert page.exit_code == 0 and "## Why is this bad?" in page.output
    unknown = run(["explain", "RL999"], project)
    assert unknown.exit_code == 2 and "unknown rule" in unknown.output


def test_output_file(project: Path) -> None:
    result = run(["check", "app", "--format", "json", "--output-file", "out.json"], project)
    assert result.exit_code == 1
    assert json.loads((project / "out.json").read_text())["diagnostics"]


def test_real_subprocess(project: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "redislint", "check", "app"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "app/bad.py:4:1: RL301" in proc.stdout
    assert proc.stderr == ""


def test_parallel_run_gives_the_same_findings_as_serial(tmp_path: Path) -> None:
    for number in range(40):
        body = BAD if number % 3 == 0 else CLEAN
        (tmp_path / f"m{number}.py").write_text(body)
    serial = run(["check", ".", "--jobs", "1", "--format", "json"], tmp_path)
    parallel = run(["check", ".", "--jobs", "2", "--format", "json"], tmp_path)
    assert json.loads(serial.output) == json.loads(parallel.output)
    assert len(json.loads(serial.output)["diagnostics"]) == 14


def test_internal_error_names_the_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from redislint.rules import rl301_flush_command

    def boom(self: object) -> None:
        raise ValueError("kaput")

    monkeypatch.setattr(rl301_flush_command.FlushCommand, "check", boom)
    result = run(["check", "app", "--jobs", "1"], project)
    assert result.exit_code == 2
    assert "app/bad.py" in result.output and "internal error" in result.output
    assert "Traceback" not in result.output


def test_skip_file_and_suppression_on_statement_first_line(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("# redislint: skip-file\n" + BAD)
    (tmp_path / "b.py").write_text(
        textwrap.dedent(
            """\
            import redis
            r = redis.Redis()
            x = (  # redislint: ignore[RL301]
                r.flushall()
            )
            """
        )
    )
    assert run(["check", "."], tmp_path).exit_code == 0


def test_one_file_using_a_client_imported_from_another_module(tmp_path: Path) -> None:
    """pre-commit and editors check one file: the client's module is not in the run."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "db.py").write_text("import redis\nr = redis.Redis()\n")
    admin = "from app.db import r\n\n\ndef wipe():\n    r.flushdb()\n"
    (tmp_path / "app" / "admin.py").write_text(admin)
    (tmp_path / "app" / "other.py").write_text("from app import db\n\ndb.r.flushall()\n")
    one = run(["check", "app/admin.py"], tmp_path)
    assert one.exit_code == 1 and "app/admin.py:5:5: RL301" in one.output
    attribute = run(["check", "app/other.py"], tmp_path)
    assert attribute.exit_code == 1 and "app/other.py:3:1: RL301" in attribute.output
    editor = run(["check", "--stdin-filename", "app/admin.py"], tmp_path, stdin=admin)
    assert editor.exit_code == 1 and "app/admin.py:5:5: RL301" in editor.output


def test_force_exclude_applies_exclude_to_named_files(tmp_path: Path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "m1.py").write_text(BAD)
    (tmp_path / "pyproject.toml").write_text('[tool.redislint]\nexclude = ["migrations/"]\n')
    assert run(["check", "migrations/m1.py"], tmp_path).exit_code == 1
    assert run(["check", "--force-exclude", "migrations/m1.py"], tmp_path).exit_code == 0
    assert run(["check", "."], tmp_path).exit_code == 0
    piped = run(
        ["check", "--force-exclude", "--stdin-filename", "migrations/m1.py"], tmp_path, stdin=BAD
    )
    assert piped.exit_code == 0


def test_a_deeply_nested_module_is_checked_not_reported(tmp_path: Path) -> None:
    """One long implicit concatenation nests thousands deep (as pydoc_data/topics.py)."""
    parts = "\n".join(f"    'part {n} '" for n in range(2500))
    (tmp_path / "big.py").write_text(f"import redis\n\nTEXT = (\n{parts}\n)\n{BAD}")
    result = run(["check", "big.py", "--no-cache"], tmp_path)
    assert "RL001" not in result.output
    assert result.exit_code == 1 and "RL301" in result.output


def test_each_file_uses_its_nearest_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.redislint]\nignore = ["RL301"]\n')
    (tmp_path / "top.py").write_text(BAD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "redislint.toml").write_text('exclude = ["skipped.py"]\n')
    (tmp_path / "sub" / "inner.py").write_text(BAD)
    (tmp_path / "sub" / "skipped.py").write_text(BAD)
    result = run(["check", ".", "--no-cache"], tmp_path)
    assert result.exit_code == 1
    assert "sub/inner.py:4:1: RL301" in result.output
    assert "top.py" not in result.output and "skipped.py" not in result.output
    # the command line's selection applies on top of every file's configuration
    assert run(["check", ".", "--ignore", "RL301", "--no-cache"], tmp_path).exit_code == 0
    # --config: one configuration for every file
    single = run(["check", ".", "--config", "pyproject.toml", "--no-cache"], tmp_path)
    assert single.exit_code == 0, single.output
    # a file named on the command line is checked even when its configuration excludes it
    named = run(["check", "sub/skipped.py", "--no-cache"], tmp_path)
    assert "sub/skipped.py:4:1: RL301" in named.output
