"""`redislint server`: the real server over stdio, driven with raw JSON-RPC messages."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsp_client import LspClient, apply_edits

from redislint.lsp.positions import UTF8, UTF16, UTF32, from_lsp, minimal_edit, to_lsp

pytest.importorskip("pygls")

DB = "import redis\n\nr = redis.Redis()\n"
# The KEYS call sits after an emoji (one code point, two UTF-16 units) and an accented
# letter (one of each): a column counted in code points would be one off in UTF-16.
PREFIX = '    label = "é😀"; found = '
USE = f'from app.db import r\n\n\ndef names():\n{PREFIX}r.keys("user:*")\n    return found\n'
BOTH = (
    "import redis\n\nr = redis.Redis()\n\n\ndef remember(token):\n"
    '    r.set("session:1", token)\n    r.expire("session:1", 60)\n    return r.keys("user:*")\n'
)
PUSH = 'import redis\n\nr = redis.Redis()\n\n\ndef push(x):\n    r.lpush("jobs", x)\n'
POP = 'import redis\n\nr = redis.Redis()\n\n\ndef work():\n    return r.brpop("jobs")\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "db.py").write_text(DB)
    (app / "use.py").write_text(USE, encoding="utf-8")
    (app / "both.py").write_text(BOTH)
    (app / "push.py").write_text(PUSH)
    (app / "pop.py").write_text(POP)
    return tmp_path


@pytest.fixture
def client(project: Path) -> Iterator[LspClient]:
    lsp = LspClient(project)
    lsp.initialize(project)
    yield lsp
    lsp.close()


def _codes(diagnostics: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return sorted(d["code"] for d in diagnostics)


def _actions(client: LspClient, uri: str, diagnostic: dict) -> list[dict]:  # type: ignore[type-arg]
    return list(
        client.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": diagnostic["range"],
                "context": {"diagnostics": [diagnostic]},
            },
        )
    )


def test_initialize_advertises_the_features(project: Path) -> None:
    lsp = LspClient(project)
    try:
        result = lsp.initialize(project)
        capabilities = result["capabilities"]
        assert result["serverInfo"]["name"] == "redislint"
        assert capabilities["hoverProvider"]
        kinds = capabilities["codeActionProvider"]["codeActionKinds"]
        assert "quickfix" in kinds and "source.fixAll.redislint" in kinds
        assert capabilities.get("positionEncoding", "utf-16") == "utf-16"
    finally:
        lsp.close()


def test_open_fix_change_clears_the_diagnostic(client: LspClient, project: Path) -> None:
    uri = client.open(project / "app" / "use.py")
    diagnostics = client.diagnostics(uri)
    assert _codes(diagnostics) == ["RL303"]
    (found,) = diagnostics
    assert found["source"] == "redislint" and found["severity"] == 2  # warning
    # The range in UTF-16 units of the line, counted here independently of the server.
    start = len(PREFIX.encode("utf-16-le")) // 2
    assert start == len(PREFIX) + 1  # the emoji makes the two counts differ
    call = 'r.keys("user:*")'
    assert found["range"] == {
        "start": {"line": 4, "character": start},
        "end": {"line": 4, "character": start + len(call)},
    }
    actions = _actions(client, uri, found)
    titles = [a["title"] for a in actions]
    (fix,) = [a for a in actions if "ignore" not in a["title"]]
    assert "unsafe" in fix["title"] and fix["kind"] == "quickfix", titles
    assert fix["isPreferred"] is False
    fixed = apply_edits(USE, fix["edit"]["changes"][uri])
    assert 'list(r.scan_iter(match="user:*"))' in fixed and "r.keys" not in fixed
    client.change(uri, fixed, 2)
    assert client.diagnostics(uri) == []
    assert client.shutdown() == 0


def test_hover_shows_the_rule_page(client: LspClient, project: Path) -> None:
    uri = client.open(project / "app" / "use.py")
    (found,) = client.diagnostics(uri)
    inside = dict(found["range"]["start"], character=found["range"]["start"]["character"] + 3)
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": inside})
    text = hover["contents"]["value"]
    assert hover["contents"]["kind"] == "markdown"
    assert "keys-command (RL303)" in text and "## Why is this bad?" in text
    assert "KEYS 'user:*'" in text  # the finding's own message comes first
    elsewhere = {"line": 0, "character": 0}
    assert (
        client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": elsewhere})
        is None
    )


def test_add_ignore_action_suppresses_the_finding(client: LspClient, project: Path) -> None:
    uri = client.open(project / "app" / "use.py")
    (found,) = client.diagnostics(uri)
    (ignore,) = [a for a in _actions(client, uri, found) if "ignore" in a["title"]]
    assert ignore["title"] == "redislint: add `# redislint: ignore[RL303]`"
    edited = apply_edits(USE, ignore["edit"]["changes"][uri])
    assert edited.splitlines()[4].endswith('r.keys("user:*")  # redislint: ignore[RL303]')
    client.change(uri, edited, 2)
    assert client.diagnostics(uri) == []


def test_fix_all_applies_the_safe_fixes_as_check_fix(client: LspClient, project: Path) -> None:
    path = project / "app" / "both.py"
    uri = client.open(path)
    assert _codes(client.diagnostics(uri)) == ["RL103", "RL303"]
    actions = client.request(
        "textDocument/codeAction",
        {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            "context": {"diagnostics": [], "only": ["source.fixAll"]},
        },
    )
    (fix_all,) = actions
    assert fix_all["kind"] == "source.fixAll.redislint"
    fixed = apply_edits(BOTH, fix_all["edit"]["changes"][uri])
    # The same text `check --fix --stdin-filename` prints (safe fixes only).
    cli = subprocess.run(
        [sys.executable, "-m", "redislint", "check", "--fix", "--stdin-filename", "app/both.py"],
        cwd=project,
        input=BOTH,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert fixed == cli.stdout
    assert 'r.set("session:1", token, ex=60)' in fixed and "r.keys" in fixed
    client.change(uri, fixed, 2)
    assert _codes(client.diagnostics(uri)) == ["RL303"]


def test_debounced_changes_publish_once_for_the_last_text(client: LspClient, project: Path) -> None:
    uri = client.open(project / "app" / "both.py")
    client.diagnostics(uri)
    without_keys = BOTH.replace('    return r.keys("user:*")\n', "")
    client.change(uri, BOTH.replace("session:1", "session:2"), 2)
    client.change(uri, BOTH + "\n", 3)
    client.change(uri, without_keys, 4)
    published = client.quiet(uri, 3.0)
    assert len(published) == 1, published
    assert _codes(published[0]["params"]["diagnostics"]) == ["RL103"]


def test_watched_change_of_a_client_module_refreshes_its_importer(
    client: LspClient, project: Path
) -> None:
    uri = client.open(project / "app" / "use.py")
    assert _codes(client.diagnostics(uri)) == ["RL303"]
    db = project / "app" / "db.py"
    db.write_text("r = {}\n")  # no longer exports a Redis client
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": db.as_uri(), "type": 2}]})
    assert client.diagnostics(uri) == []
    db.write_text(DB)
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": db.as_uri(), "type": 2}]})
    assert _codes(client.diagnostics(uri)) == ["RL303"]


def test_project_facts_decide_deferred_findings_and_follow_disk(
    client: LspClient, project: Path
) -> None:
    # RL305: a pushed list is unbounded only if nothing in the project pops it; pop.py
    # (never opened) pops it, so push.py is clean until pop.py stops popping.
    uri = client.open(project / "app" / "push.py")
    assert client.diagnostics(uri) == []
    pop = project / "app" / "pop.py"
    pop.write_text(POP.replace('r.brpop("jobs")', 'r.get("jobs:count")'))
    client.notify(
        "workspace/didChangeWatchedFiles", {"changes": [{"uri": pop.as_uri(), "type": 2}]}
    )
    assert _codes(client.diagnostics(uri)) == ["RL305"]
    pop.unlink()
    client.notify(
        "workspace/didChangeWatchedFiles", {"changes": [{"uri": pop.as_uri(), "type": 3}]}
    )
    assert _codes(client.diagnostics(uri)) == ["RL305"]


def test_open_buffer_facts_count_before_saving(client: LspClient, project: Path) -> None:
    push = client.open(project / "app" / "push.py")
    assert client.diagnostics(push) == []
    pop_path = project / "app" / "pop.py"
    pop = client.open(pop_path)
    client.diagnostics(pop)
    client.change(pop, POP.replace('r.brpop("jobs")', 'r.get("jobs:count")'), 2)
    client.diagnostics(pop)
    client.notify("textDocument/didSave", {"textDocument": {"uri": pop}})
    client.diagnostics(pop)
    assert _codes(client.diagnostics(push)) == ["RL305"]  # the unsaved buffer's facts


def test_configuration_governs_the_server_like_the_cli(client: LspClient, project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.redislint]\nignore = ["RL303"]\n')
    uri = client.open(project / "app" / "both.py")
    assert _codes(client.diagnostics(uri)) == ["RL103"]
    (project / "pyproject.toml").write_text("[tool.redislint]\n")
    changed = (project / "pyproject.toml").as_uri()
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": changed, "type": 2}]})
    assert _codes(client.diagnostics(uri)) == ["RL103", "RL303"]


def test_broken_configuration_is_shown_not_a_clean_file(client: LspClient, project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.redislint]\nselect = "RL1"\n')
    uri = client.open(project / "app" / "both.py")
    (problem,) = client.diagnostics(uri)
    assert "cannot check this file" in problem["message"] and "select" in problem["message"]


def test_shutdown_and_exit_end_the_process_cleanly(project: Path) -> None:
    lsp = LspClient(project)
    lsp.initialize(project)
    assert lsp.request("shutdown", None) is None
    lsp.notify("exit", None)
    assert lsp.process.wait(30) == 0
    lsp.close()


def test_check_never_imports_pygls(project: Path) -> None:
    code = (
        "import runpy, sys\n"
        "sys.argv = ['redislint', 'check', 'app']\n"
        "try:\n    runpy.run_module('redislint', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert "RL303" in result.stdout  # the check ran
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("encoding", "expected"), [(UTF16, (0, 4)), (UTF8, (0, 7)), (UTF32, (0, 3))]
)
def test_positions_count_code_units(encoding: str, expected: tuple[int, int]) -> None:
    lines = ["é😀x = 1", ""]
    assert to_lsp(lines, 1, 4, encoding) == expected  # before "x"
    assert from_lsp(lines, *expected, encoding) == (1, 4)
    assert to_lsp(lines, 3, 1, encoding) == (1, 0)  # past the end: clamped


def test_minimal_edit_replaces_only_the_difference() -> None:
    assert minimal_edit("a\nbc\nd", "a\nbXc\nd") == (2, 2, 2, 2, "X")
    assert minimal_edit("a\nbc\n", "a\n") == (2, 1, 3, 1, "")


def _cli_diagnostics(root: Path, relative: str) -> list[tuple[str, int, int, int, int, str]]:
    import json

    from support import invoke_cli

    result = invoke_cli(["check", "--format", "json", "--exit-zero", relative], root)
    return sorted(
        (
            d["code"],
            d["line"] - 1,
            d["column"] - 1,
            d["end_line"] - 1,
            d["end_column"] - 1,
            d["message"] + (f"\nhint: {d['hint']}" if d["hint"] else ""),
        )
        for d in json.loads(result.output)["diagnostics"]
    )


def _lsp_diagnostics(diagnostics: list[dict]) -> list[tuple[str, int, int, int, int, str]]:  # type: ignore[type-arg]
    return sorted(
        (
            d["code"],
            d["range"]["start"]["line"],
            d["range"]["start"]["character"],
            d["range"]["end"]["line"],
            d["range"]["end"]["character"],
            d["message"],
        )
        for d in diagnostics
    )


def test_server_diagnostics_equal_check_output(tmp_path: Path) -> None:
    """The example project in a warm server: on open and after an edit (the spliced
    re-parse path), each file's diagnostics are those `redislint check` prints for the
    same text (ASCII files: UTF-16 columns are the CLI's columns minus one)."""
    import shutil

    root = tmp_path / "shop"
    shutil.copytree(Path(__file__).resolve().parent.parent / "examples" / "shop", root)
    files = sorted((root / "shop").glob("*.py"))
    lsp = LspClient(root)
    try:
        lsp.initialize(root)
        reporting = 0
        for path in files:
            relative = str(path.relative_to(root))
            text = path.read_text()
            uri = lsp.open(path, text)
            expected = _cli_diagnostics(root, relative)
            assert _lsp_diagnostics(lsp.diagnostics(uri, timeout=120)) == expected, relative
            reporting += bool(expected)
            # Type a statement before the last top-level one, then save it to disk for
            # the CLI; the server re-checks from its previous tree.
            lines = text.splitlines(keepends=True)
            last = max((i for i, line in enumerate(lines) if line[:1].isalpha()), default=0)
            edited = "".join([*lines[:last], "EDITED = r'x'\n\n\n", *lines[last:]])
            path.write_text(edited)
            lsp.notify("textDocument/didSave", {"textDocument": {"uri": uri}, "text": edited})
            got = _lsp_diagnostics(lsp.diagnostics(uri, timeout=120))
            assert got == _cli_diagnostics(root, relative), relative
        assert reporting >= 3  # the comparison covered files with findings
        assert lsp.shutdown() == 0
    finally:
        lsp.close()
