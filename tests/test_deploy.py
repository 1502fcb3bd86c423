"""Deployment files: the readers (redis.conf, command lines, Compose, Kubernetes,
Dockerfiles), and `redislint check` / `deployments` on them end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from support import invoke_cli, run_listing_imports

from redislint.deploy.model import Location
from redislint.deploy.redisconf import (
    SplitError,
    Token,
    memory_bytes,
    parse_command_line,
    parse_conf_text,
    split_args,
)
from redislint.deploy.server import image_kind

PRIMARY = '[tool.redislint]\n[[tool.redislint.keyspace]]\npattern = "order:*"\nrole = "primary"\n'


def run(args: list[str], cwd: Path) -> Result:
    return invoke_cli(args, cwd)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# -- redis.conf as Redis reads it -------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "args"),
    [
        ('requirepass "a b\\x41\\n"', ["requirepass", "a bA\n"]),
        ("requirepass 'it\\'s'", ["requirepass", "it's"]),
        ('save ""', ["save", ""]),
        ("bind  127.0.0.1\t-::1", ["bind", "127.0.0.1", "-::1"]),
        ('rename-command FLUSHALL ""', ["rename-command", "FLUSHALL", ""]),
        ('a"b c"', ["ab c"]),
    ],
)
def test_split_args_follows_sdssplitargs(line: str, args: list[str]) -> None:
    assert [a for a, _, _ in split_args(line)] == args


@pytest.mark.parametrize("line", ['requirepass "open', 'requirepass "a"b', "x 'y"])
def test_unbalanced_quotes_are_errors(line: str) -> None:
    with pytest.raises(SplitError):
        split_args(line)


def test_conf_text_positions_and_problems() -> None:
    text = '# comment\n  APPENDONLY Yes\nappendonly maybe\nrequirepass "x\n'
    found, problems = parse_conf_text(text, "redis.conf")
    (directive, _raw) = found[0]
    assert (directive.name, directive.args) == ("appendonly", ("yes",))
    assert (directive.location.line, directive.location.column) == (2, 3)
    assert [(p.location.line, p.location.column) for p in problems] == [(3, 1), (4, 13)]


def test_memory_units_are_redis_units() -> None:
    assert memory_bytes("1gb") == 1024**3
    assert memory_bytes("1G") == 10**9
    assert memory_bytes("100mb") == 100 * 1024**2
    assert memory_bytes("0") == 0
    assert memory_bytes("lots") is None


def _tokens(*words: str) -> list[Token]:
    return [Token(w, Location("c", 1, n + 1, 1, n + 2)) for n, w in enumerate(words)]


def test_command_line_config_then_overrides() -> None:
    config, directives = parse_command_line(
        _tokens("/etc/redis.conf", "--appendonly", "no", "--save", "--port", "6380")
    )
    assert config is not None and config.text == "/etc/redis.conf"
    assert [(d.name, d.args) for d in directives] == [
        ("appendonly", ("no",)),
        ("save", ("",)),  # `--save` followed by another option means save ""
        ("port", ("6380",)),
    ]
    assert all(d.source == "command" for d in directives)
    _none, last = parse_command_line(_tokens("--save"))
    assert [(d.name, d.args) for d in last] == [("save", ("",))]


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        ("redis", "official"),
        ("redis:7.2-alpine", "official"),
        ("docker.io/library/redis:7@sha256:abc", "official"),
        ("valkey/valkey:8", "official"),
        ("bitnami/redis:7.2", "bitnami"),
        ("registry.example.com:5000/redis:7", "official"),
        ("rediscommander/redis-commander", "other"),
        ("oliver6/redis_exporter", "other"),
        ("memcached:1.6", "other"),
        ("redis-stack-server", "other"),
    ],
)
def test_image_kinds(image: str, kind: str) -> None:
    assert image_kind(image) == kind


# -- check: the same machinery as Python files --------------------------------------------


def test_check_reports_deployments_with_python_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": PRIMARY,
            "app.py": "import redis\nr = redis.Redis()\nr.flushall()\n",
            "redis.conf": "appendonly no\n",
        },
    )
    result = run(["check", "--no-cache", "--format", "json"], tmp_path)
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["files_checked"] == 2
    found = {(d["path"], d["line"], d["code"]) for d in data["diagnostics"]}
    assert found == {("app.py", 3, "RL301"), ("redis.conf", 1, "RL601")}
    fix = next(d["fix"] for d in data["diagnostics"] if d["code"] == "RL601")
    assert fix["safety"] == "unsafe" and fix["edits"][0]["content"] == "appendonly yes"


def test_yaml_that_never_names_redis_brings_no_rule_into_the_run(tmp_path: Path) -> None:
    """A tree whose only YAML is a fixture has no deployment: the run imports no rule
    (nor libcst) for it; its Python files are checked in a child as always."""
    write(
        tmp_path,
        {
            "app.py": "import redis\nr = redis.Redis()\nr.flushall()\n",
            "fixtures/users.yaml": "- model: auth.user\n  pk: 1\n",
        },
    )
    args = ["check", "--no-cache", "--format", "json", "."]
    output, code, modules = run_listing_imports(args, tmp_path)
    assert code == 1 and [d["code"] for d in json.loads(output)["diagnostics"]] == ["RL301"]
    assert "libcst" not in modules and "redislint.rules" not in modules
    # A YAML file that names Redis is a deployment: its rules are run here.
    write(tmp_path, {"compose.yaml": "services:\n  cache:\n    image: redis:7\n"})
    _, _, modules = run_listing_imports(args, tmp_path)
    assert "redislint.rules" in modules


@pytest.mark.parametrize("fmt", ["sarif", "github", "junit", "text"])
def test_every_output_format_carries_deployment_findings(tmp_path: Path, fmt: str) -> None:
    write(tmp_path, {"pyproject.toml": PRIMARY, "deploy/redis.conf": "appendonly no\n"})
    result = run(["check", "--no-cache", "--format", fmt], tmp_path)
    assert result.exit_code == 1
    assert "RL601" in result.output and "deploy/redis.conf" in result.output


def test_suppression_on_the_line_before_in_redis_conf(tmp_path: Path) -> None:
    conf = "# redislint: ignore[RL601]\nappendonly no\n"
    write(tmp_path, {"pyproject.toml": PRIMARY, "redis.conf": conf})
    assert run(["check", "--no-cache"], tmp_path).exit_code == 0
    write(tmp_path, {"redis.conf": "# redislint: ignore[RL604]\nappendonly no\n"})
    assert "RL601" in run(["check", "--no-cache"], tmp_path).output


def test_yaml_suppression_is_on_the_line(tmp_path: Path) -> None:
    compose = "services:\n  redis:  # redislint: ignore[RL601]\n    image: redis\n"
    write(tmp_path, {"pyproject.toml": PRIMARY, "compose.yaml": compose})
    assert run(["check", "--no-cache"], tmp_path).exit_code == 0
    compose = "services:\n  # redislint: ignore[RL601]\n  redis:\n    image: redis\n"
    write(tmp_path, {"compose.yaml": compose})
    assert "RL601" in run(["check", "--no-cache"], tmp_path).output


def test_selection_and_per_file_ignores(tmp_path: Path) -> None:
    config = PRIMARY.replace(
        "[tool.redislint]\n", '[tool.redislint]\nper-file-ignores = { "ops/*" = ["RL6"] }\n'
    )
    write(tmp_path, {"pyproject.toml": config, "ops/redis.conf": "appendonly no\n"})
    assert run(["check", "--no-cache"], tmp_path).exit_code == 0
    write(tmp_path, {"pyproject.toml": PRIMARY})
    assert run(["check", "--no-cache", "--ignore", "RL601"], tmp_path).exit_code == 0
    assert run(["check", "--no-cache", "--select", "RL601"], tmp_path).exit_code == 1


def test_deployments_in_test_paths_are_not_judged(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": PRIMARY,
            "tests/docker-compose.yml": "services:\n  r:\n    image: redis\n",
        },
    )
    assert run(["check", "--no-cache"], tmp_path).exit_code == 0


def test_cache_serves_deployments_and_sees_an_included_file_change(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": PRIMARY,
            "redis.conf": "include extra/more.conf\n",
            "extra/more.conf": "appendonly no\n",
        },
    )
    first = run(["check", "--format", "json"], tmp_path)
    found = [(d["path"], d["line"]) for d in json.loads(first.output)["diagnostics"]]
    assert found == [("extra/more.conf", 1)]
    assert (tmp_path / ".redislint_cache").is_dir()
    again = run(["check", "--format", "json"], tmp_path)
    assert json.loads(again.output)["diagnostics"] == json.loads(first.output)["diagnostics"]
    (tmp_path / "extra" / "more.conf").write_text("appendonly yes\n", encoding="utf-8")
    assert run(["check"], tmp_path).exit_code == 0


def test_a_warm_run_answers_yaml_that_never_names_redis_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": PRIMARY,
            "app.py": "import redis\nr = redis.Redis()\nr.flushall()\n",
            "fixtures/users.yaml": "- model: auth.user\n  pk: 1\n",
        },
    )
    first = run(["check", "--format", "json"], tmp_path)
    assert [d["code"] for d in json.loads(first.output)["diagnostics"]] == ["RL301"]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the runner was asked")

    from redislint import runner

    monkeypatch.setattr(runner, "check_paths", refuse)  # every file answered by the cache
    assert run(["check", "--format", "json"], tmp_path).output == first.output


def test_missing_include_makes_defaults_unknown(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": PRIMARY, "redis.conf": "include /etc/redis/base.conf\n"})
    assert run(["check", "--no-cache"], tmp_path).exit_code == 0
    listing = run(["deployments"], tmp_path).output
    assert "unknown" in listing and "/etc/redis/base.conf" in listing


def test_bad_input_is_rl001_and_the_run_goes_on(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": PRIMARY,
            "redis.conf": 'requirepass "open\nappendonly no\n',
            "docker-compose.yml": "services:\n  redis: [\n",
            "chart/templates/redis.yaml": "kind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n"
            "spec:\n  containers:\n    - name: r\n      image: redis\n",
            "other/valkey.conf": "\xff".encode("latin-1").decode("latin-1"),
        },
    )
    (tmp_path / "other" / "valkey.conf").write_bytes(b"appendonly \xff\n")
    result = run(["check", "--no-cache", "--format", "json"], tmp_path)
    assert result.exit_code == 1, result.output
    found = {
        (d["path"], d["line"], d["column"], d["code"])
        for d in json.loads(result.output)["diagnostics"]
    }
    assert ("redis.conf", 1, 13, "RL001") in found
    assert ("redis.conf", 2, 1, "RL601") in found  # the good line is still judged
    assert ("chart/templates/redis.yaml", 3, 9, "RL001") in found
    assert ("other/valkey.conf", 1, 1, "RL001") in found
    assert any(p == "docker-compose.yml" and c == "RL001" for p, _, _, c in found)


def test_config_errors_name_the_file_and_key(tmp_path: Path) -> None:
    bad = PRIMARY + '[[tool.redislint.deployment]]\npath = "redis.conf"\nserves = ["hot"]\n'
    write(tmp_path, {"pyproject.toml": bad, "redis.conf": "appendonly no\n"})
    result = run(["check"], tmp_path)
    assert result.exit_code == 2
    assert "pyproject.toml: [tool.redislint] deployment[0].serves[0]: expected one of" in (
        result.output
    )
    typo = PRIMARY + '[[tool.redislint.deployment]]\npath = "redis.conf"\nserve = ["cache"]\n'
    write(tmp_path, {"pyproject.toml": typo})
    assert "unknown key 'deployment[0].serve'" in run(["check"], tmp_path).output
    write(tmp_path, {"pyproject.toml": PRIMARY.replace("]\n", "]\ndeploy-paths = 3\n", 1)})
    assert "deploy-paths: expected an array of paths" in run(["check"], tmp_path).output


def test_deploy_paths_name_files_of_any_name(tmp_path: Path) -> None:
    config = PRIMARY.replace("[tool.redislint]\n", '[tool.redislint]\ndeploy-paths = ["ops/"]\n')
    write(tmp_path, {"pyproject.toml": config, "ops/orders.conf": "appendonly no\n"})
    result = run(["check", "--no-cache"], tmp_path)
    assert "ops/orders.conf:1:1: RL601" in result.output
    write(tmp_path, {"pyproject.toml": PRIMARY})
    assert run(["check", "--no-cache"], tmp_path).exit_code == 0


def test_unsafe_fix_keeps_every_other_byte(tmp_path: Path) -> None:
    conf = "# Orders.\r\nport 6379   \r\n\r\nappendonly no\r\n# tail comment\r\n"
    write(tmp_path, {"pyproject.toml": PRIMARY})
    (tmp_path / "redis.conf").write_bytes(conf.encode())
    assert run(["check", "--fix"], tmp_path).exit_code == 1  # unsafe: not applied
    assert (tmp_path / "redis.conf").read_bytes() == conf.encode()
    result = run(["check", "--fix", "--unsafe-fixes"], tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "redis.conf").read_bytes() == conf.replace("only no", "only yes").encode()


def test_fix_appends_when_the_directive_is_absent(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": PRIMARY, "redis.conf": "save 60 1"})
    result = run(["check", "--fix", "--unsafe-fixes"], tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "redis.conf").read_text() == "save 60 1\nappendonly yes"


def test_a_finding_in_compose_gets_a_hint_not_a_fix(tmp_path: Path) -> None:
    compose = "services:\n  redis:\n    image: redis\n    command: redis-server --appendonly no\n"
    write(tmp_path, {"pyproject.toml": PRIMARY, "compose.yaml": compose})
    data = json.loads(run(["check", "--no-cache", "--format", "json"], tmp_path).output)
    (diag,) = data["diagnostics"]
    assert (diag["line"], diag["column"], diag["fix"]) == (4, 27, None)
    assert diag["hint"]


def test_deployments_command_lists_settings_roles_and_unmapped(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": PRIMARY,
            "redis-cache.conf": "maxmemory 1gb\nmaxmemory-policy allkeys-lru\n",
            "compose.yaml": "services:\n  orders:\n    image: redis\n"
            "    command: redis-server --appendonly yes --requirepass $$PASS\n",
        },
    )
    result = run(["deployments", "--format", "json"], tmp_path)
    assert result.exit_code == 0
    data = json.loads(result.output)
    by_path = {d["path"]: d for d in data["deployments"]}
    cache = by_path["redis-cache.conf"]
    assert cache["serves"] is None
    assert cache["settings"]["maxmemory-policy"] == {
        "value": "allkeys-lru",
        "source": "redis-cache.conf:2",
    }
    orders = by_path["compose.yaml"]
    assert orders["settings"]["appendonly"]["source"] == "compose.yaml:4"
    assert orders["settings"]["save"]["source"] == "default"
    assert orders["auth"]["requirepass"] is True
    assert "PASS" not in result.output  # never print a password
    assert sorted(data["unmapped"]) == ["compose.yaml (orders)", "redis-cache.conf"]
    keys = run(["keys"], tmp_path)
    assert "Redis deployments not mapped to roles" in keys.output
    assert "redis-cache.conf" in keys.output


def test_pyyaml_is_imported_only_for_yaml_files(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "import redis\n", "redis.conf": "appendonly no\n"})
    code = (
        "import sys\nfrom pathlib import Path\nfrom redislint.config import Config\n"
        "from redislint import parallel\n"
        "from redislint.runner import check_paths\n"
        "parallel.CONTAIN_IN_PROCESS = False  # the analysis imports here, not in a child\n"
        "check_paths(['.'], Config(root=Path.cwd()), jobs=1)\n"
        "print('yaml' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_the_deployment_page_shows_the_real_listing() -> None:
    repo = Path(__file__).resolve().parents[1]
    page = (repo / "docs" / "deployment.md").read_text(encoding="utf-8")
    block = page.split("$ redislint deployments examples/shop\n", 1)[1].split("```", 1)[0]
    assert run(["deployments", "examples/shop"], repo).output == block
