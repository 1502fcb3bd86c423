"""Baselines: the file format, multiset matching, paths, and `--baseline` / `--write-baseline`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from redislint.baseline import (
    BASELINE_VERSION,
    BaselineError,
    baseline_text,
    load_baseline,
    write_baseline,
)
from redislint.cli import main
from redislint.findings import Finding


def flush(path: str, line: int, fingerprint: str = "fp1", message: str = "flush") -> Finding:
    return Finding("RL301", "flush-command", "error", message, path, line, 1, line, 10,
                   fingerprint=fingerprint)  # fmt: skip


def test_file_format_is_sorted_json_with_paths_relative_to_the_baseline(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    findings = [flush("repo/b.py", 3), flush("repo/a.py", 9, "fp2", "FLUSHDB ...")]
    text = baseline_text(findings, folder, tmp_path)
    data = json.loads(text)
    assert data == {
        "version": BASELINE_VERSION,
        "tool": "redislint",
        "entries": [
            {"code": "RL301", "path": "a.py", "fingerprint": "fp2", "message": "FLUSHDB ..."},
            {"code": "RL301", "path": "b.py", "fingerprint": "fp1", "message": "flush"},
        ],
    }
    assert text.endswith("}\n")


def test_matching_ignores_lines_and_messages_and_is_a_multiset(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(path, [flush("a.py", 3), flush("a.py", 7)], cwd=tmp_path)
    baseline = load_baseline(path)
    assert len(baseline) == 2
    moved = [flush("a.py", 30, message="reworded"), flush("a.py", 70)]
    assert baseline.filter(moved, tmp_path) == []
    third = flush("a.py", 90)
    assert baseline.filter([*moved, third], tmp_path) == [third]  # the last one is new
    other_file = flush("b.py", 3)
    other_statement = flush("a.py", 3, fingerprint="fp9")
    assert baseline.filter([other_file, other_statement], tmp_path) == [
        other_file,
        other_statement,
    ]


def test_paths_resolve_from_the_baseline_folder_whatever_the_cwd(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "baseline.json"
    write_baseline(path, [flush("sub/a.py", 3)], cwd=tmp_path)
    baseline = load_baseline(path)
    # Run from inside sub/: the finding's path is now "a.py".
    assert baseline.filter([flush("a.py", 3)], tmp_path / "sub") == []


def test_findings_without_a_fingerprint_match_on_their_message(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    parse_error = flush("a.py", 1, fingerprint="", message="syntax error: invalid syntax")
    write_baseline(path, [parse_error], cwd=tmp_path)
    baseline = load_baseline(path)
    same = flush("a.py", 5, fingerprint="", message=parse_error.message)
    assert baseline.filter([same], tmp_path) == []
    other = flush("a.py", 5, fingerprint="", message="syntax error: unmatched ')'")
    assert baseline.filter([other], tmp_path) == [other]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such baseline file"),
        ("{not json", "invalid JSON"),
        ('{"version": 99, "entries": []}', "version 1"),
        ('{"version": 1, "entries": {}}', "'entries' must be a list"),
        ('{"version": 1, "entries": [{"code": "RL301"}]}', "entry 0 needs"),
    ],
)
def test_bad_baselines_are_clear_errors(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BaselineError, match=expected):
        load_baseline(path)


# -- the command line --------------------------------------------------------------------

LEGACY = """import redis

r = redis.Redis()


def reset():
    r.flushdb()
"""


def test_write_then_use_a_baseline_across_unrelated_edits(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(LEGACY)
    runner = CliRunner()
    written = runner.invoke(main, ["check", "--isolated", "--write-baseline", "bl.json", "."])
    assert written.exit_code == 0, written.output
    assert "Recorded 1 finding in bl.json." in written.output
    assert [e["code"] for e in json.loads((tmp_path / "bl.json").read_text())["entries"]] == [
        "RL301"
    ]

    # Unrelated edits above and inside the statement's whitespace: still the same finding.
    edited = LEGACY.replace(
        "def reset():\n    r.flushdb()", "# a comment\n\n\ndef reset():\n    r.flushdb( )"
    )
    (tmp_path / "app.py").write_text(edited)
    clean = runner.invoke(main, ["check", "--isolated", "--baseline", "bl.json", "."])
    assert clean.exit_code == 0, clean.output
    assert "All checks passed!" in clean.output

    # A second, identical flush is new: the baseline holds one entry for one finding.
    (tmp_path / "app.py").write_text(edited + "\n\ndef again():\n    r.flushdb()\n")
    new = runner.invoke(main, ["check", "--isolated", "--baseline", "bl.json", "."])
    assert new.exit_code == 1
    assert "app.py:14:5: RL301" in new.output
    assert "Found 1 finding." in new.output


def test_a_missing_baseline_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(LEGACY)
    result = CliRunner().invoke(main, ["check", "--isolated", "--baseline", "nope.json", "."])
    assert result.exit_code == 2
    assert "nope.json: no such baseline file" in result.output


def test_write_baseline_does_not_combine_with_fix(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--write-baseline", "b.json", "--fix", "."])
    assert result.exit_code == 2
    assert "--write-baseline cannot be combined with --fix" in result.output
