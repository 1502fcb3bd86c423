"""Config loading, validation messages, selection semantics and path matching."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from redislint import config as config_module
from redislint.config import (
    DEFAULT_CACHE_PATTERNS,
    Config,
    ConfigError,
    ConfigSet,
    KeyspaceEntry,
    find_config_file,
    load_config,
    resolve_config,
)

FULL_TABLE = """\
select = ["RL"]
ignore = ["RL404"]
extend-select = ["RL002"]
exclude = ["migrations/", "vendor/"]
per-file-ignores = { "scripts/*" = ["RL301"] }
test-paths = ["tests/", "conftest.py"]
cluster = true
cache-ttl = 3600
root = true

[clients]
factories = ["myapp.db.get_redis"]
names = ["self.client"]

[[keyspace]]
pattern = "cache:*"
role = "cache"

[[keyspace]]
pattern = "order:*"
role = "critical"
type = "hash"

[primary-db]
writes = ["myapp.outbox.enqueue"]
"""


def as_pyproject(table: str) -> str:
    """The same settings under [tool.redislint] (sub-tables get the prefix too)."""
    out = ["[project]", 'name = "demo"', "", "[tool.redislint]"]
    for line in table.splitlines():
        if line.startswith("[[") and line.endswith("]]"):
            line = f"[[tool.redislint.{line[2:-2]}]]"
        elif line.startswith("[") and line.endswith("]"):
            line = f"[tool.redislint.{line[1:-1]}]"
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    """Run in tmp_path so messages show paths relative to it."""
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def error_for(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


# -- valid configs in all three forms ----------------------------------------------------


@pytest.mark.parametrize("name", ["pyproject.toml", "redislint.toml", ".redislint.toml"])
def test_full_config_in_each_file_form(in_tmp: Path, name: str) -> None:
    path = in_tmp / name
    path.write_text(as_pyproject(FULL_TABLE) if name == "pyproject.toml" else FULL_TABLE)
    config = load_config(path)
    assert config.select == ("RL",)
    assert config.ignore == ("RL404",)
    assert config.extend_select == ("RL002",)
    assert config.exclude == ("migrations/", "vendor/")
    assert config.per_file_ignores == (("scripts/*", ("RL301",)),)
    assert config.test_paths == ("tests/", "conftest.py")
    assert config.cluster is True
    assert config.cache_ttl == 3600
    assert config.is_root is True
    assert config.client_factories == ("myapp.db.get_redis",)
    assert config.client_names == ("self.client",)
    assert config.keyspace == (
        KeyspaceEntry("cache:*", "cache"),
        KeyspaceEntry("order:*", "critical", "hash"),
    )
    assert config.primary_db_writes == ("myapp.outbox.enqueue",)
    assert config.config_path == path
    assert config.root == in_tmp


def test_defaults() -> None:
    config = load_config(None)
    assert config.select is None
    assert config.root == Path.cwd()
    assert config.config_path is None
    assert config.effective_keyspace() == tuple(
        KeyspaceEntry(p, "cache") for p in DEFAULT_CACHE_PATTERNS
    )


def test_src_defaults_to_the_root_and_its_src_and_is_relative_to_the_root(in_tmp: Path) -> None:
    assert load_config(None).source_roots() == (Path.cwd() / ".", Path.cwd() / "src")
    (in_tmp / "sub").mkdir()
    (in_tmp / "sub" / "redislint.toml").write_text('src = ["lib", "../shared"]\n')
    config = load_config(in_tmp / "sub" / "redislint.toml")
    assert config.source_roots() == (in_tmp / "sub" / "lib", in_tmp / "sub" / "../shared")


def test_declared_keyspace_replaces_default_cache_patterns(in_tmp: Path) -> None:
    (in_tmp / "redislint.toml").write_text('[[keyspace]]\npattern = "order:*"\nrole = "critical"\n')
    config = load_config(in_tmp / "redislint.toml")
    assert config.effective_keyspace() == (KeyspaceEntry("order:*", "critical"),)


def test_config_is_frozen_picklable_and_hashable(in_tmp: Path) -> None:
    (in_tmp / "redislint.toml").write_text(FULL_TABLE)
    config = load_config(in_tmp / "redislint.toml").with_overrides(select=["RL2"])
    config.is_test_path("tests/a.py")  # fills the pattern caches; must not break pickling
    config.ignored_for_path("scripts/a.py")
    clone = pickle.loads(pickle.dumps(config))
    assert clone == config
    assert hash(clone) == hash(config)
    assert clone.is_test_path("tests/a.py")
    with pytest.raises(AttributeError):
        config.cluster = False  # type: ignore[misc]


# -- finding the config ----------------------------------------------------------------


def test_upward_search_from_file_and_directory(tmp_path: Path) -> None:
    (tmp_path / "redislint.toml").write_text("cluster = true\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "m.py").write_text("")
    assert find_config_file(deep) == tmp_path / "redislint.toml"
    assert find_config_file(deep / "m.py") == tmp_path / "redislint.toml"


def test_order_within_a_directory(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\n")
    assert find_config_file(tmp_path) == tmp_path / "pyproject.toml"
    (tmp_path / ".redislint.toml").write_text("")
    assert find_config_file(tmp_path) == tmp_path / ".redislint.toml"
    (tmp_path / "redislint.toml").write_text("")
    assert find_config_file(tmp_path) == tmp_path / "redislint.toml"


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.redislint]\ncluster = true\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text('[project]\nname = "sub"\n# not redislint\n')
    assert find_config_file(sub) == tmp_path / "pyproject.toml"


def test_nearest_config_wins_and_root_true_ends_search(tmp_path: Path) -> None:
    (tmp_path / "redislint.toml").write_text("cluster = true\n")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "redislint.toml").write_text("root = true\n")
    found = find_config_file(inner / "x.py")
    assert found == inner / "redislint.toml"
    config = resolve_config(inner, None, False)
    # Nothing from the outer config leaks in: the inner one is the whole configuration.
    assert config.cluster is False
    assert config.is_root is True
    assert config.root == inner


def test_a_run_asks_each_folder_for_its_configuration_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file gets the configuration `find_config_file` finds for it, and each folder
    on the way is asked once however many folders below it hold files (a 1,000-folder
    tree asked its ancestors' names 27,000 times on every warm run)."""
    (tmp_path / "redislint.toml").write_text("cache-ttl = 10\n")
    (tmp_path / "pkg" / "inner").mkdir(parents=True)
    (tmp_path / "pkg" / "inner" / "pyproject.toml").write_text("[tool.redislint]\nroot = true\n")
    (tmp_path / "pkg" / "pyproject.toml").write_text('[project]\nname = "pkg"\n')
    files = [tmp_path / "pkg" / f"m{number}" / "deep" / "leaf.py" for number in range(5)]
    files += [tmp_path / "pkg" / "inner" / "a" / "b.py", tmp_path / "top.py"]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    expected = [find_config_file(path.parent) for path in files]
    assert expected[0] == tmp_path / "redislint.toml"
    assert expected[5] == tmp_path / "pkg" / "inner" / "pyproject.toml"
    asked: list[Path] = []
    real = config_module.config_file_in

    def counted(directory: Path) -> Path | None:
        asked.append(directory)
        return real(directory)

    monkeypatch.setattr(config_module, "config_file_in", counted)
    configs = ConfigSet(Config(root=tmp_path), hierarchical=True)
    for _ in range(2):
        assert [configs.for_path(path).config_path for path in files] == expected
    assert len(asked) == len(set(asked))
    # the folders holding files, their ancestors up to the configuration found
    assert tmp_path / "pkg" in asked and tmp_path in asked


def test_no_config_found(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    found = find_config_file(tmp_path)
    # Nothing in tmp_path qualifies; whatever lies above it is not ours to assert on.
    assert found is None or tmp_path not in found.parents


def test_resolve_config_precedence(in_tmp: Path) -> None:
    (in_tmp / "redislint.toml").write_text("cache-ttl = 10\n")
    other = in_tmp / "elsewhere" / "custom.toml"
    other.parent.mkdir()
    other.write_text("cache-ttl = 20\n")
    assert resolve_config(in_tmp, None, False).cache_ttl == 10
    explicit = resolve_config(in_tmp, Path("elsewhere/custom.toml"), False)
    assert explicit.cache_ttl == 20
    assert explicit.root == other.parent
    assert resolve_config(in_tmp, other, True).cache_ttl == 20  # explicit wins
    isolated = resolve_config(in_tmp, None, True)
    assert isolated.cache_ttl is None
    assert isolated.root == in_tmp
    assert isolated.config_path is None


def test_explicit_config_missing(in_tmp: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found"):
        resolve_config(in_tmp, Path("nope.toml"), False)


# -- errors ------------------------------------------------------------------------------


def test_unknown_key_with_suggestion(in_tmp: Path) -> None:
    message = error_for(in_tmp / "redislint.toml", "cach-ttl = 3\n")
    assert message == "redislint.toml: unknown key 'cach-ttl' (did you mean 'cache-ttl'?)"


def test_unknown_key_in_pyproject_and_nested(in_tmp: Path) -> None:
    message = error_for(in_tmp / "pyproject.toml", "[tool.redislint.clients]\nfactory = []\n")
    assert message == (
        "pyproject.toml: [tool.redislint] unknown key 'clients.factory' "
        "(did you mean 'clients.factories'?)"
    )


def test_snake_case_key_suggests_dashed(in_tmp: Path) -> None:
    message = error_for(in_tmp / "redislint.toml", "per_file_ignores = {}\n")
    assert "did you mean 'per-file-ignores'?" in message


def test_unknown_key_without_close_match(in_tmp: Path) -> None:
    message = error_for(in_tmp / "redislint.toml", "zzzzzz = 1\n")
    assert message == "redislint.toml: unknown key 'zzzzzz'"


def test_wrong_type_cache_ttl(in_tmp: Path) -> None:
    message = error_for(in_tmp / "pyproject.toml", '[tool.redislint]\ncache-ttl = "abc"\n')
    assert message == (
        'pyproject.toml: [tool.redislint] cache-ttl: expected an integer greater than 0, got "abc"'
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cache-ttl = 0", "cache-ttl: expected an integer greater than 0, got 0"),
        ("cache-ttl = true", "cache-ttl: expected an integer greater than 0, got true"),
        ('cluster = "yes"', 'cluster: expected a boolean (true or false), got "yes"'),
        ('select = "RL"', 'select: expected an array of rule codes, got "RL"'),
        ("exclude = [1]", "exclude[0]: expected a string, got 1"),
        ('src = "lib"', 'src: expected an array of folders, got "lib"'),
        ('src = [""]', 'src[0]: expected a non-empty path, got ""'),
        ("clients = []", "clients: expected a table, got an array"),
        (
            'clients = { names = ["a-b"] }',
            'clients.names[0]: expected a dotted name like "myapp.db.get_redis", got "a-b"',
        ),
        ("keyspace = {}", "keyspace: expected an array of tables ([[keyspace]]), got a table"),
        (
            '[[keyspace]]\npattern = ""\nrole = "cache"',
            'keyspace[0].pattern: expected a non-empty key pattern like "cache:*", got ""',
        ),
        ('[[keyspace]]\nrole = "cache"', "keyspace[0].pattern: missing"),
        (
            '[[keyspace]]\npattern = "a:*"\nrole = "cache"\ntype = "hsh"',
            'keyspace[0].type: expected one of string, hash, list, set, zset, stream, got "hsh"',
        ),
    ],
)
def test_wrong_types(in_tmp: Path, text: str, expected: str) -> None:
    message = error_for(in_tmp / "redislint.toml", text + "\n")
    assert message.startswith("redislint.toml: ")
    assert expected in message


def test_bad_role(in_tmp: Path) -> None:
    text = (
        '[[keyspace]]\npattern = "a:*"\nrole = "cache"\n'
        '[[keyspace]]\npattern = "b:*"\nrole = "foo"\n'
    )
    message = error_for(in_tmp / "redislint.toml", text)
    assert message == (
        "redislint.toml: keyspace[1].role: expected one of cache, ephemeral, critical, "
        'primary, got "foo"'
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('exclude = ["vendor/[abc"]', "exclude[0]"),
        ('test-paths = ["tests/", "t["]', "test-paths[1]"),
        ('per-file-ignores = { "scripts/[x" = ["RL301"] }', 'per-file-ignores."scripts/[x"'),
        ('[[keyspace]]\npattern = "cache:[ab"\nrole = "cache"', "keyspace[0].pattern"),
    ],
)
def test_bad_glob(in_tmp: Path, text: str, key: str) -> None:
    message = error_for(in_tmp / "sub" / "pyproject.toml", as_pyproject(text))
    assert message.startswith(f"sub{os.sep}pyproject.toml: [tool.redislint] {key}: ")
    assert "unbalanced '['" in message


def test_escaped_and_closed_brackets_are_fine(in_tmp: Path) -> None:
    (in_tmp / "redislint.toml").write_text(
        'exclude = ["a[bc]d", "x\\\\[y", "[]]z"]\n'
        '[[keyspace]]\npattern = "user:[0-9]*"\nrole = "cache"\n'
    )
    config = load_config(in_tmp / "redislint.toml")
    assert config.exclude == ("a[bc]d", "x\\[y", "[]]z")


def test_bad_toml_names_file_and_line(in_tmp: Path) -> None:
    message = error_for(
        in_tmp / "pyproject.toml", '[tool.redislint]\nselect = ["RL"]\ncache-ttl = = 3\n'
    )
    assert message.startswith("pyproject.toml: invalid TOML at line 3")


def test_bad_toml_in_pyproject_found_on_the_way_up(in_tmp: Path) -> None:
    (in_tmp / "pyproject.toml").write_text("[tool.redislint\n")
    with pytest.raises(ConfigError, match=r"^pyproject\.toml: invalid TOML at line 1"):
        find_config_file(in_tmp)


@pytest.mark.parametrize("code", ["rl1", "E501", "RL1234", "RLX", "all", ""])
def test_bad_code(in_tmp: Path, code: str) -> None:
    message = error_for(in_tmp / "redislint.toml", f'ignore = ["RL1", "{code}"]\n')
    assert message.startswith("redislint.toml: ignore[1]: expected a rule code or prefix")
    assert message.endswith(f'got "{code}"')


def test_bad_code_in_per_file_ignores(in_tmp: Path) -> None:
    message = error_for(in_tmp / "redislint.toml", 'per-file-ignores = { "a.py" = ["X1"] }\n')
    assert message.startswith('redislint.toml: per-file-ignores."a.py"[0]: expected a rule code')


def test_pyproject_table_of_wrong_type(in_tmp: Path) -> None:
    message = error_for(in_tmp / "pyproject.toml", "[tool]\nredislint = 3\n")
    assert message == "pyproject.toml: [tool.redislint]: expected a table, got 3"


def test_message_uses_absolute_path_outside_cwd(tmp_path: Path) -> None:
    outside = tmp_path / "redislint.toml"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        message = error_for(outside, "cluster = 1\n")
    finally:
        os.chdir(old)
    assert message.startswith(f"{outside}: cluster: expected a boolean")


# -- rule selection --------------------------------------------------------------------

ALL_CODES = ("RL001", "RL002", "RL101", "RL102", "RL201", "RL202", "RL301", "RL404")
DEFAULT_CODES = tuple(c for c in ALL_CODES if c not in ("RL002", "RL404"))


def selected(config: Config) -> set[str]:
    return set(config.selected_codes(ALL_CODES, DEFAULT_CODES))


def test_default_selection() -> None:
    assert selected(Config()) == set(DEFAULT_CODES)


def test_select_prefix_replaces_defaults() -> None:
    assert selected(Config(select=("RL2",))) == {"RL201", "RL202"}
    assert selected(Config(select=("RL",))) == set(ALL_CODES)
    assert selected(Config(select=("ALL",))) == set(ALL_CODES)
    assert selected(Config(select=())) == set()


def test_extend_select_adds_to_defaults() -> None:
    assert selected(Config(extend_select=("RL404",))) == set(DEFAULT_CODES) | {"RL404"}


def test_ignore_removes() -> None:
    assert selected(Config(ignore=("RL1",))) == set(DEFAULT_CODES) - {"RL101", "RL102"}


def test_more_specific_wins() -> None:
    # ignore "RL2" with select "RL201" keeps RL201
    assert selected(Config(select=("RL201",), ignore=("RL2",))) == {"RL201"}
    assert selected(Config(select=("RL2",), ignore=("RL201",))) == {"RL202"}
    assert selected(Config(select=("RL", "RL201"), ignore=("RL2",))) == (set(ALL_CODES) - {"RL202"})
    # equal specificity: ignore wins
    assert selected(Config(select=("RL201",), ignore=("RL201",))) == set()


def test_command_line_select_replaces_config_selection() -> None:
    config = Config(select=("RL1",), ignore=("RL404",))
    assert selected(config.with_overrides(select=["RL404"])) == {"RL404"}
    assert selected(config.with_overrides(select=["RL2", "RL3"])) == {"RL201", "RL202", "RL301"}


def test_command_line_ignore_and_extend_select_add() -> None:
    config = Config(select=("RL201",))
    assert selected(config.with_overrides(ignore=["RL2"])) == set()
    assert selected(config.with_overrides(extend_select=["RL3"])) == {"RL201", "RL301"}
    config = Config(ignore=("RL201",))
    assert "RL201" in selected(config.with_overrides(extend_select=["RL2"]))
    assert "RL201" not in selected(config.with_overrides(ignore=["RL3"]))


def test_with_overrides_splits_commas_and_validates() -> None:
    config = Config().with_overrides(select=["RL1,RL2", " RL3 "])
    assert config.selection_overrides[-1].select == ("RL1", "RL2", "RL3")
    assert Config().with_overrides() == Config()
    with pytest.raises(ConfigError, match=r'^--ignore: expected a rule code .* got "E501"'):
        Config().with_overrides(ignore=["E501"])


def test_unknown_selectors() -> None:
    config = Config(select=("RL9",), per_file_ignores=(("a.py", ("RL8",)),))
    assert config.with_overrides(ignore=["RL7"]).unknown_selectors(ALL_CODES) == (
        "RL9",
        "RL7",
        "RL8",
    )
    assert Config(select=("RL", "ALL")).unknown_selectors(ALL_CODES) == ()


# -- per-file ignores and test paths ------------------------------------------------------


def test_per_file_ignores() -> None:
    config = Config(
        per_file_ignores=(
            ("scripts/*", ("RL301",)),
            ("*_migration.py", ("RL1", "RL201")),
            ("!src/", ("RL404",)),
        )
    )
    assert config.ignored_for_path("scripts/reset.py") == {"RL301", "RL404"}
    assert config.ignored_for_path("pkg/scripts/reset.py") == {"RL404"}
    assert config.ignored_for_path("src/x_migration.py") == {"RL1", "RL201"}
    assert config.ignored_for_path("src/x_migration.py", ALL_CODES) == {
        "RL101",
        "RL102",
        "RL201",
    }
    assert config.ignored_for_path("src/app.py") == frozenset()
    assert config.ignored_for_path("./scripts/a.py") == {"RL301", "RL404"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/x.py", True),
        ("pkg/test/y.py", True),
        ("a/testing/z.py", True),
        ("test_a.py", True),
        ("pkg/test_a.py", True),
        ("a_test.py", True),
        ("conftest.py", True),
        ("sub/conftest.py", True),
        ("contest.py", False),
        ("latest.py", False),
        ("src/app.py", False),
        ("testsuite/x.py", False),
        ("attest.py", False),
    ],
)
def test_default_test_paths(path: str, expected: bool) -> None:
    assert Config().is_test_path(path) is expected


def test_test_paths_can_be_disabled_or_replaced() -> None:
    assert not Config(test_paths=()).is_test_path("tests/x.py")
    custom = Config(test_paths=("spec/",))
    assert custom.is_test_path("spec/a.py")
    assert not custom.is_test_path("tests/a.py")


def test_relative_path(tmp_path: Path) -> None:
    config = Config(root=tmp_path)
    assert config.relative_path(tmp_path / "pkg" / "a.py") == "pkg/a.py"
    assert config.relative_path("pkg/a.py") == "pkg/a.py"
    outside = tmp_path.parent / "tests" / "b.py"
    rel = config.relative_path(outside)
    assert not rel.startswith("/")
    assert config.is_test_path(rel)


def test_is_excluded() -> None:
    config = Config(exclude=("migrations/", "/vendor", "*.gen.py", "!keep.gen.py"))
    assert config.is_excluded("app/migrations", is_dir=True)
    assert not config.is_excluded("app/migrations", is_dir=False)
    assert config.is_excluded("vendor", is_dir=True)
    assert not config.is_excluded("pkg/vendor", is_dir=True)
    assert config.is_excluded("a/b.gen.py")
    assert not config.is_excluded("a/keep.gen.py")
