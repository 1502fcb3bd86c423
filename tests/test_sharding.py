"""How a run's files are shared out between workers (`parallel.balanced_shards`,
`discovery.check_weight`, issue 13): runs of neighbouring files of about equal
estimated cost, the first and the last file in different workers (they carry the
cache-writing roles), and the same findings and cache rows as one worker gives."""

from __future__ import annotations

import shutil
import sqlite3
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import invoke_cli

from redislint import parallel, walk_memo
from redislint.config import resolve_config
from redislint.discovery import PARSED_WEIGHT, check_weight
from redislint.parallel import balanced_shards


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=60), st.integers(1, 6))
def test_shards_are_ordered_runs_covering_every_position_once(
    weights: list[int], workers: int
) -> None:
    shards = balanced_shards(weights, workers)
    assert [position for shard in shards for position in shard] == list(range(len(weights)))
    assert len(shards) == min(workers, len(weights))
    assert all(shards)  # every shard has work: the first and the last item never share one
    for shard in shards:
        assert shard == list(range(shard[0], shard[-1] + 1))


@given(st.lists(st.integers(min_value=1, max_value=1_000), min_size=2, max_size=60))
def test_two_shards_differ_by_at_most_the_heaviest_item(weights: list[int]) -> None:
    left, right = (sum(weights[i] for i in shard) for shard in balanced_shards(weights, 2))
    assert abs(left - right) <= max(weights)


def test_a_heavy_item_gets_a_shard_of_its_own() -> None:
    assert balanced_shards([1, 1, 100, 1], 2) == [[0, 1], [2, 3]]
    assert balanced_shards([100, 1, 1, 1], 2) == [[0], [1, 2, 3]]
    assert balanced_shards([1, 1, 100], 3) == [[0], [1], [2]]


def test_equal_items_are_cut_in_halves() -> None:
    assert balanced_shards([5] * 10, 2) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_a_file_that_mentions_redis_weighs_more_than_its_size(tmp_path: Path) -> None:
    config = resolve_config(tmp_path, None, False)
    plain = b"def add(a, b):\n    return a + b\n"
    cached = b"import Redis as store\n"
    assert check_weight(plain, config) == len(plain)
    assert check_weight(cached, config) == len(cached) * PARSED_WEIGHT


def test_a_configured_client_name_makes_a_file_heavy(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.redislint.clients]\nfactories = ["app.store.make_store"]\n'
    )
    config = resolve_config(tmp_path, None, False)
    data = b"from app.store import make_store\n"
    assert check_weight(data, config) == len(data) * PARSED_WEIGHT


def _shard_sizes(first: object, items: list[int]) -> list[int]:
    return items


def test_a_weighted_run_hands_out_runs_of_items() -> None:
    items = list(range(parallel.PARALLEL_THRESHOLD))
    heavy = items[-1]  # worth all the others
    parts = parallel.run_sharded(
        _shard_sizes, None, items, 2, weigh=lambda item: len(items) if item == heavy else 1
    )
    assert parts == [items[:-1], items[-1:]]


def test_what_goes_to_the_workers_is_what_ship_makes_of_each_item() -> None:
    items = list(range(parallel.PARALLEL_THRESHOLD))
    parts = parallel.run_sharded(_shard_sizes, None, items, 2, ship=lambda item: -item)
    assert sorted(item for part in parts for item in part) == sorted(-item for item in items)


def test_a_file_goes_to_another_process_without_its_bytes_and_a_text_with_them(
    tmp_path: Path,
) -> None:
    from redislint.jobs import Job

    path = tmp_path / "a.py"
    path.write_bytes(b"X = 1\n")
    shipped = Job(path, "a.py", path.read_bytes()).shipped()
    assert (shipped.data, shipped.unread) == (b"", True)
    assert shipped.loaded() == Job(path, "a.py", b"X = 1\n")
    given = Job(path, "a.py", b"edited = 2\n", from_disk=False)
    assert given.shipped() is given and given.loaded() is given


def test_a_shipped_file_gone_before_its_worker_reads_it_is_an_error_not_a_crash(
    tmp_path: Path,
) -> None:
    from redislint.catalogue import selected_codes
    from redislint.config import Config
    from redislint.jobs import Job
    from redislint.shards import check_shard

    config = Config(root=tmp_path)
    kept, gone = tmp_path / "kept.py", tmp_path / "gone.py"
    kept.write_text("import redis\nredis.Redis().flushall()\n")
    jobs = [Job(kept, "kept.py", kept.read_bytes()).shipped(), Job(gone, "gone.py", b"").shipped()]
    outcome = check_shard(config, jobs, selected_codes(config), False, None)
    assert [error.split(":")[0] for error in outcome.errors] == ["gone.py"]
    assert "cannot read" in outcome.errors[0]
    assert [finding.code for finding in outcome.findings] == ["RL301"]


ADMIN = """
import redis

r = redis.Redis()


def wipe():
    r.flushdb()
"""


def _rows(project: Path) -> dict[str, int]:
    with sqlite3.connect(project / ".redislint_cache" / "cache.sqlite3") as connection:
        return {
            table: int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("entries", "scans", "walks")
        }


def test_two_workers_find_and_record_what_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold run sharded between two forked workers reports the findings of a run in one
    process and leaves the same cache: every file's entry, the scan's rows (written by
    the worker holding the first file) and its memos (the one holding the last)."""
    monkeypatch.setattr(parallel, "CONTAIN_IN_PROCESS", True)  # forks allowed
    monkeypatch.setattr(walk_memo, "RACY_SECONDS", 0.0)  # record what was just written
    one = tmp_path / "one"
    (one / "app").mkdir(parents=True)
    (one / "pyproject.toml").write_text("[tool.redislint]\n")
    (one / "app" / "__init__.py").write_text("")
    for n in range(parallel.PARALLEL_THRESHOLD + 6):
        text = ADMIN if n % 7 == 0 else f"from app.m{n - 1 if n else 0} import *\nX{n} = {n}\n"
        (one / "app" / f"m{n}.py").write_text(textwrap.dedent(text))
    two = tmp_path / "two"
    shutil.copytree(one, two)
    args = ["check", "--select", "ALL", "--output-format", "concise", "app"]
    alone = invoke_cli([*args, "--jobs", "1"], one)
    shared = invoke_cli([*args, "--jobs", "2"], two)
    assert "RL301" in alone.output
    assert shared.output == alone.output
    assert _rows(two) == _rows(one)
    assert min(_rows(two).values()) > 0
