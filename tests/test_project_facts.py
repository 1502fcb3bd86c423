"""Project-wide facts: each file's share, merged over the project, cached, and the
deferred findings that rules decide once every file is done."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from redislint.cache import ResultCache
from redislint.config import Config, ConfigSet, load_config
from redislint.engine import resolve_deferred
from redislint.findings import Finding
from redislint.rules import all_rules
from redislint.rules._base import Rule
from redislint.semantics.deferred import RESOLVERS
from redislint.semantics.model import FileModel
from redislint.semantics.project_facts import FileFacts, ProjectFacts, file_facts
from redislint.warm import project_roots
from tests.semantics.helpers import model_for


def _written_globs(model: FileModel) -> list[str]:
    return [
        key.pattern.glob
        for call in model.redis_calls
        if call.is_write
        for key in call.keys
        if key.pattern is not None
    ]


def test_file_facts_collects_each_producer_sorted_and_distinct(tmp_path: Path) -> None:
    model = model_for(
        tmp_path,
        {
            "app.py": """
                import redis
                r = redis.Redis()

                def f(uid):
                    r.set(f"user:{uid}", 1)
                    r.set("b:1", 2)
                    r.set(f"user:{uid}", 3)
                    r.get("read:only")
            """
        },
    )
    facts = file_facts(model, (("written", _written_globs), ("none", lambda m: [])))
    assert facts.facts == {"written": ("b:1", "user:*")}


def test_project_facts_merge_every_file() -> None:
    merged = ProjectFacts(
        [FileFacts({"lock-key": ("lock:*",)}), FileFacts({"lock-key": ("job:*",), "x": ("a",)})]
    )
    assert merged.globs("lock-key") == {"lock:*", "job:*"}
    assert merged.has("x", "a") and not merged.has("x", "b")
    assert merged.globs("absent") == frozenset()


@pytest.mark.parametrize("bad", [[], {"k": "not-a-list"}, {"k": [1]}, {1: ["a"]}, "text"], ids=repr)
def test_cached_facts_of_the_wrong_shape_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        FileFacts.from_json(bad)


def _finding(code: str, line: int, deferred: tuple[str, ...] | None = None) -> Finding:
    return Finding(code, "name", "error", "message", "a.py", line, 1, line, 5, deferred=deferred)


def test_the_cache_keeps_deferred_payloads_and_facts(tmp_path: Path) -> None:
    cache = ResultCache(Config(root=tmp_path), frozenset({"RL301"}))
    facts = FileFacts({"lock-key": ("lock:*",)})
    stored = [_finding("RL301", 3, ("lock:*", "DEL")), _finding("RL301", 4)]
    assert cache.store("a.py", b"data", stored, {}, facts) is None
    assert cache.flush() is None  # writes are buffered until the shard ends
    cached = ResultCache(Config(root=tmp_path), frozenset({"RL301"})).lookup("a.py", b"data")
    assert cached is not None
    assert cached == (stored, facts)
    assert cached[0][0].deferred == ("lock:*", "DEL")


def test_project_stage_resolvers_are_registered_not_overridden() -> None:
    # The warm path decides deferred findings from `RESOLVERS` without importing the rules:
    # a rule that overrode `resolve_project` would be decided differently there.
    overriding = [
        code
        for code, rule in all_rules().items()
        if any("resolve_project" in vars(cls) for cls in rule.__mro__ if cls is not Rule)
    ]
    assert overriding == []
    assert set(RESOLVERS) <= set(all_rules())
    facts = ProjectFacts([FileFacts({"lock-key": ("lock:*",)})])
    deferred = [_finding("RL104", 3, ("lock:job",)), _finding("RL104", 5, ("cache:job",))]
    by_class = all_rules()["RL104"].resolve_project(deferred, facts)
    assert by_class == RESOLVERS["RL104"](deferred, facts) == [replace(deferred[0], deferred=None)]


def test_resolve_deferred_keeps_immediate_findings_and_sorts() -> None:
    immediate = _finding("RL301", 9)
    deferred = _finding("RL301", 2, ("payload",))
    resolved = resolve_deferred([immediate, deferred], ProjectFacts())
    # RL301 does not override resolve_project: its deferred findings are all kept.
    assert resolved == [deferred, immediate]
    assert resolved[1] == replace(immediate)


def test_project_roots_come_from_a_config_file_or_git_never_a_bare_directory(
    tmp_path: Path,
) -> None:
    configured = tmp_path / "configured"
    (configured / "pkg").mkdir(parents=True)
    (configured / "pyproject.toml").write_text("[tool.redislint]\n")
    configs = ConfigSet(load_config(configured / "pyproject.toml"), hierarchical=True)
    assert project_roots(configs, ["pkg"], configured) == {configured}

    in_git = tmp_path / "repo"
    (in_git / ".git").mkdir(parents=True)
    (in_git / "src").mkdir()
    bare = ConfigSet(Config(root=in_git / "src"), hierarchical=False)
    assert project_roots(bare, ["."], in_git / "src") == {in_git}

    nowhere = tmp_path / "loose"
    nowhere.mkdir()
    assert (
        project_roots(ConfigSet(Config(root=nowhere), hierarchical=False), ["."], nowhere) == set()
    )
