"""The pure helpers of bench/trees.py: the targets table and its verdicts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _trees() -> ModuleType:
    path = Path(__file__).parents[1] / "bench" / "trees.py"
    spec = importlib.util.spec_from_file_location("bench_trees", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_trees"] = module
    spec.loader.exec_module(module)
    return module


def test_ratios_are_medians_against_their_base_and_marked() -> None:
    trees = _trees()
    m = trees.Measure
    results = {
        "cold": m([10.0, 30.0, 20.0], [100.0, 350.0, 120.0]),
        "warm": m([0.5, 0.4, 2.0], [40.0, 40.0, 40.0]),
        "semgrep": m([25.0, 25.0, 25.0], [900.0, 900.0, 900.0]),
    }
    rows = {label: (value, verdict) for label, value, verdict in trees.ratio_rows(results, True)}
    assert rows["cold vs Semgrep (dense <= 1.0x)"] == ("0.80x", "met")
    assert rows["warm, nothing changed <= 0.05x cold"] == ("0.03x", "met")
    # The largest redislint process counts; Semgrep's memory is not ours.
    assert rows["peak memory <= 300 MiB (dense)"] == ("350 MiB", "MISSED")
    sparse = {label: verdict for label, _, verdict in trees.ratio_rows(results, False)}
    assert sparse["cold vs Semgrep (sparse <= 0.10x)"] == "MISSED"
    assert not any("MiB" in label for label in sparse)


def test_table_is_markdown() -> None:
    table = _trees().format_table(("a", "b"), [("1", "2")])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| 1 | 2 |"]
