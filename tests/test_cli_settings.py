"""Seeing and shaping what a run checks (issue 14): `-v/--verbose`, `--show-settings`,
`--show-files`, `--exclude`/`--extend-exclude` and the configuration's `extend`, all
through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import invoke_cli

from redislint.engine import PREFILTER_REASON

USES_REDIS = "import redis\n\nr = redis.Redis()\nr.flushall()\n"
PLAIN = "x = 1\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {
            "redislint.toml": 'exclude = ["vendor/"]\n',
            "app/worker.py": USES_REDIS,
            "app/plain.py": PLAIN,
            "app/gen.py": "# redislint: skip-file\n" + USES_REDIS,
            "app/api_pb2.py": USES_REDIS,
            "app/notes.txt": "redis notes\n",
            "vendor/lib.py": USES_REDIS,
            "build/out.py": USES_REDIS,
            "legacy/old.py": USES_REDIS,
            ".gitignore": "*_pb2.py\n",
            "nested/redislint.toml": 'exclude = ["skipme.py"]\ncluster = true\n',
            "nested/skipme.py": USES_REDIS,
            "nested/kept.py": USES_REDIS,
        },
    )


def stderr_lines(result: object) -> dict[str, str]:
    """`redislint: PATH: note` lines of stderr, by path."""
    lines: dict[str, str] = {}
    for line in result.stderr.splitlines():  # type: ignore[attr-defined]
        if line.startswith("redislint: ") and ": " in line[11:]:
            path, _, note = line[11:].partition(": ")
            lines[path] = note
    return lines


# -- --verbose ---------------------------------------------------------------------------


def test_verbose_names_the_config_of_each_file_and_why_files_were_skipped(tree: Path) -> None:
    result = invoke_cli(["check", "-v", "--no-cache"], tree)
    assert result.exit_code == 1, result.output
    notes = stderr_lines(result)
    assert notes["app/worker.py"] == "checked [config: redislint.toml]"
    assert notes["nested/kept.py"] == "checked [config: nested/redislint.toml]"
    assert notes["app/plain.py"] == f"{PREFILTER_REASON} [config: redislint.toml]"
    assert "prefilter: no Redis use" in PREFILTER_REASON
    assert notes["app/gen.py"].startswith("not analysed: it says `# redislint: skip-file`")
    assert notes["vendor/"] == "skipped: excluded by pattern 'vendor/' (redislint.toml)"
    assert notes["build/"] == "skipped: a directory excluded by default (build)"
    assert notes["app/api_pb2.py"] == "skipped: ignored by '*_pb2.py' (the .gitignore rules of ./)"
    assert notes["app/notes.txt"] == "skipped: not a Python or Redis deployment file"
    assert notes["nested/skipme.py"] == (
        "skipped: excluded by pattern 'skipme.py' (nested/redislint.toml)"
    )
    # the report itself is unchanged on stdout
    assert "app/worker.py:4:1: RL301" in result.stdout
    assert "redislint:" not in result.stdout


def test_verbose_says_cache_hit_and_names_cli_configs(tree: Path) -> None:
    first = invoke_cli(["check", "-v", "app/worker.py"], tree)
    assert stderr_lines(first)["app/worker.py"] == "checked [config: redislint.toml]"
    again = invoke_cli(["check", "-v", "app/worker.py"], tree)
    assert stderr_lines(again)["app/worker.py"] == (
        "cache hit: unchanged since the last run, not analysed again [config: redislint.toml]"
    )
    assert again.stdout == first.stdout  # same findings from the cache
    isolated = invoke_cli(["check", "-v", "--no-cache", "--isolated", "app/worker.py"], tree)
    assert stderr_lines(isolated)["app/worker.py"] == "checked [config: --isolated (the defaults)]"
    (tree / "other.toml").write_text("cluster = true\n")
    explicit = invoke_cli(["check", "-v", "--config", "other.toml", "app/worker.py"], tree)
    assert stderr_lines(explicit)["app/worker.py"] == "checked [config: --config other.toml]"


def test_verbose_without_a_config_file_says_defaults(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": USES_REDIS})
    result = invoke_cli(["check", "-v", "--no-cache", "a.py"], tmp_path)
    notes = stderr_lines(result)
    assert notes["a.py"] == "checked [config: defaults (no configuration file found)]"


def test_without_verbose_no_file_notes(tree: Path) -> None:
    result = invoke_cli(["check", "--no-cache"], tree)
    assert result.exit_code == 1
    assert "skipped" not in result.stderr and "checked" not in result.stderr


# -- --show-files ------------------------------------------------------------------------


def test_show_files_lists_what_would_be_checked(tree: Path) -> None:
    result = invoke_cli(["check", "--show-files"], tree)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "app/gen.py",
        "app/plain.py",
        "app/worker.py",
        "legacy/old.py",
        "nested/kept.py",
    ]
    # a named file is listed even if excluded, unless --force-exclude
    named = invoke_cli(["check", "--show-files", "vendor/lib.py"], tree)
    assert named.stdout.splitlines() == ["vendor/lib.py"]
    forced = invoke_cli(["check", "--show-files", "--force-exclude", "vendor/lib.py"], tree)
    assert (forced.exit_code, forced.stdout) == (0, "")


def test_show_files_names_a_missing_path(tree: Path) -> None:
    result = invoke_cli(["check", "--show-files", "nope"], tree)
    assert result.exit_code == 2
    assert "nope" in result.stderr


# -- --exclude / --extend-exclude ---------------------------------------------------------


def test_extend_exclude_adds_and_exclude_replaces(tree: Path) -> None:
    extended = invoke_cli(["check", "--show-files", "--extend-exclude", "legacy/"], tree)
    assert "legacy/old.py" not in extended.stdout
    assert "vendor/lib.py" not in extended.stdout  # the configured exclude still holds
    replaced = invoke_cli(["check", "--show-files", "--exclude", "legacy/,app/plain.py"], tree)
    files = replaced.stdout.splitlines()
    assert "vendor/lib.py" in files  # the configured exclude was replaced
    assert "legacy/old.py" not in files and "app/plain.py" not in files
    # the check itself honours them, and -v names the option
    checked = invoke_cli(["check", "-v", "--no-cache", "--extend-exclude", "legacy/"], tree)
    assert "legacy/old.py:" not in checked.stdout
    assert stderr_lines(checked)["legacy/"] == (
        "skipped: excluded by pattern 'legacy/' (--extend-exclude)"
    )


def test_exclude_option_reaches_nested_configurations(tree: Path) -> None:
    result = invoke_cli(["check", "--show-files", "--extend-exclude", "kept.py"], tree)
    assert "nested/kept.py" not in result.stdout
    # --exclude replaces the nested file's own exclude too
    replaced = invoke_cli(["check", "--show-files", "--exclude", "legacy/"], tree)
    assert "nested/skipme.py" in replaced.stdout


def test_bad_exclude_pattern_is_an_error_naming_the_option(tree: Path) -> None:
    result = invoke_cli(["check", "--extend-exclude", "src/[abc"], tree)
    assert result.exit_code == 2
    assert "--extend-exclude" in result.stderr and "unbalanced '['" in result.stderr


# -- --show-settings ---------------------------------------------------------------------


def _settings(result: object) -> dict[str, str]:
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out: dict[str, str] = {}
    for line in result.stdout.splitlines():  # type: ignore[attr-defined]
        if " = " in line and not line.startswith("#"):
            key, _, value = line.partition(" = ")
            out[key] = value
    return out


def test_show_settings_prints_the_resolved_settings_of_a_path(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.redislint]\n"
                'select = ["RL2", "RL3"]\nignore = ["RL301"]\n'
                'exclude = ["vendor/"]\ntest-paths = ["checks/"]\ncache-ttl = 120\n'
                'per-file-ignores = { "scripts/*" = ["RL302"] }\n'
                '[tool.redislint.clients]\nfactories = ["app.db.get_redis"]\n'
                '[[tool.redislint.keyspace]]\npattern = "order:*"\nrole = "critical"\n'
            ),
            "scripts/tool.py": USES_REDIS,
            "checks/test_x.py": USES_REDIS,
        },
    )
    settings = _settings(invoke_cli(["check", "--show-settings", "scripts/tool.py"], tmp_path))
    assert json.loads(settings["config-file"]) == "pyproject.toml"
    assert json.loads(settings["exclude"]) == ["vendor/"]
    assert json.loads(settings["test-paths"]) == ["checks/"]
    assert settings["cache-ttl"] == "120"
    assert json.loads(settings["clients.factories"]) == ["app.db.get_redis"]
    assert settings["keyspace"] == '[{ pattern = "order:*", role = "critical" }]'
    assert settings["per-file-ignores"] == '{ scripts/* = ["RL302"] }'
    selected = json.loads(settings["selected-rules"])
    assert "RL201" in selected and "RL302" in selected and "RL301" not in selected
    assert "RL101" not in selected
    for_file = json.loads(settings["rules-for-this-file"])
    assert "RL302" not in for_file and "RL201" in for_file  # per-file-ignores
    assert settings["is-test-path"] == "false"
    test_file = _settings(invoke_cli(["check", "--show-settings", "checks/test_x.py"], tmp_path))
    assert test_file["is-test-path"] == "true"
    assert all(
        code.startswith(("RL001", "RL5")) for code in json.loads(test_file["rules-for-this-file"])
    )
    # command-line options are part of what governs the file
    cli = _settings(
        invoke_cli(
            ["check", "--show-settings", "--extend-exclude", "gen/", "--select", "RL4"], tmp_path
        )
    )
    assert json.loads(cli["exclude"]) == ["vendor/", "gen/"]
    assert all(code.startswith("RL4") for code in json.loads(cli["selected-rules"]))


def test_show_settings_defaults_and_nested_configs(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    nested = _settings(invoke_cli(["check", "--show-settings", "nested/kept.py"], tree))
    assert json.loads(nested["config-file"]) == "nested/redislint.toml"
    assert nested["cluster"] == "true"
    bare = tmp_path_factory.mktemp("bare")
    defaults = _settings(invoke_cli(["check", "--show-settings"], bare))
    assert json.loads(defaults["config-file"]) == "defaults (no configuration file found)"
    assert defaults["keyspace"].endswith("# default (no [[keyspace]] declared)")
    assert '"cache:*"' in defaults["keyspace"]


# -- extend ------------------------------------------------------------------------------


def test_extend_merges_a_base_configuration(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base.toml": (
                'select = ["RL3"]\nexclude = ["gen/"]\ncache-ttl = 30\nroot = true\n'
                '[clients]\nfactories = ["app.db.get_redis"]\nnames = ["conn"]\n'
            ),
            "proj/redislint.toml": (
                'extend = "../base.toml"\nignore = ["RL301"]\ncache-ttl = 90\n'
                '[clients]\nnames = ["self.client"]\n'
            ),
            "proj/a.py": USES_REDIS,
        },
    )
    settings = _settings(invoke_cli(["check", "--show-settings", "proj/a.py"], tmp_path))
    assert json.loads(settings["extends"]) == ["base.toml"]
    assert settings["cache-ttl"] == "90"  # the extending file's option wins
    assert json.loads(settings["exclude"]) == ["gen/"]  # inherited
    assert json.loads(settings["clients.factories"]) == ["app.db.get_redis"]  # table merged
    assert (
        '"self.client"' in settings["clients.names"] and '"conn"' not in settings["clients.names"]
    )
    assert settings["root"] == "false"  # never inherited
    # selection accumulates as ruff's: the base selects RL3, this file ignores RL301
    selected = json.loads(settings["selected-rules"])
    assert selected and all(code.startswith("RL3") for code in selected)
    assert "RL301" not in selected
    check = invoke_cli(["check", "--no-cache", "proj"], tmp_path)
    assert check.exit_code == 0, check.output  # RL301 (flushall) is ignored


def test_extend_chains_and_later_select_replaces(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "root.toml": 'select = ["RL2"]\ntest-paths = []\n',
            "base.toml": 'extend = "root.toml"\nextend-select = ["RL301"]\n',
            "proj/redislint.toml": 'extend = "../base.toml"\n',
            "proj/a.py": USES_REDIS,
        },
    )
    settings = _settings(invoke_cli(["check", "--show-settings", "proj/a.py"], tmp_path))
    assert json.loads(settings["extends"]) == ["base.toml", "root.toml"]
    assert json.loads(settings["test-paths"]) == []
    selected = json.loads(settings["selected-rules"])
    assert "RL301" in selected and "RL201" in selected and "RL302" not in selected
    result = invoke_cli(["check", "--no-cache", "proj"], tmp_path)
    assert result.exit_code == 1 and "RL301" in result.stdout
    (tmp_path / "proj" / "redislint.toml").write_text('extend = "../base.toml"\nselect = ["RL5"]\n')
    replaced = _settings(invoke_cli(["check", "--show-settings", "proj/a.py"], tmp_path))
    assert all(c.startswith("RL5") for c in json.loads(replaced["selected-rules"]))


def test_extend_cycle_is_an_error_naming_both_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base.toml": 'extend = "proj/redislint.toml"\n',
            "proj/redislint.toml": 'extend = "../base.toml"\n',
            "proj/a.py": USES_REDIS,
        },
    )
    result = invoke_cli(["check", "proj"], tmp_path)
    assert result.exit_code == 2
    assert "circular" in result.stderr
    assert "proj/redislint.toml" in result.stderr and "base.toml extends" in result.stderr
    assert "Traceback" not in result.output


def test_extend_of_itself_and_of_a_missing_file(tmp_path: Path) -> None:
    write(tmp_path, {"redislint.toml": 'extend = "redislint.toml"\n', "a.py": USES_REDIS})
    itself = invoke_cli(["check", "a.py"], tmp_path)
    assert itself.exit_code == 2 and "circular" in itself.stderr
    (tmp_path / "redislint.toml").write_text('extend = "../missing/base.toml"\n')
    missing = invoke_cli(["check", "a.py"], tmp_path)
    assert missing.exit_code == 2
    assert "redislint.toml: extend: no such configuration file" in missing.stderr
    assert "missing/base.toml" in missing.stderr


def test_errors_in_the_base_name_the_base(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base.toml": 'select = ["RL999"]\n',
            "proj/pyproject.toml": '[tool.redislint]\nextend = "../base.toml"\n',
            "proj/a.py": USES_REDIS,
        },
    )
    unknown = invoke_cli(["check", "proj"], tmp_path)
    assert unknown.exit_code == 2
    assert "base.toml: select[0]: Unknown rule selector" in unknown.stderr
    (tmp_path / "base.toml").write_text("cache-ttl = 0\n")
    invalid = invoke_cli(["check", "proj"], tmp_path)
    assert invalid.exit_code == 2 and invalid.stderr.startswith(
        "redislint: error: base.toml: cache-ttl"
    )
    (tmp_path / "proj" / "pyproject.toml").write_text("[tool.redislint]\nextend = 3\n")
    wrong_type = invoke_cli(["check", "proj"], tmp_path)
    assert wrong_type.exit_code == 2
    assert "[tool.redislint] extend: expected a path" in wrong_type.stderr
