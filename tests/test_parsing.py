"""`parse_checked`: libcst's parse without its per-node self-checks, for texts CPython
accepted. The tree must be the one `cst.parse_module` gives, and every node built
outside it (by a fix, on another thread) must still check itself."""

from __future__ import annotations

import platform
import threading
from pathlib import Path

import libcst as cst
import pytest
import redis

from redislint.semantics import parsing
from redislint.semantics.parsing import parse_checked

FIXTURES = Path(__file__).parent / "fixtures"


def _corpus() -> list[Path]:
    """Every fixture that parses, and a sixth of redis-py's own package (real code of
    every shape: f-strings, decorators, async, deep expressions; `deep_equals` is slow)."""
    package = sorted(Path(redis.__file__).parent.rglob("*.py"))
    files = sorted(FIXTURES.rglob("*.py")) + package[::6]
    return [f for f in files if "RL001" not in f.parts]


def test_the_tree_is_the_one_libcst_parses() -> None:
    compared = 0
    for path in _corpus():
        text = path.read_text(encoding="utf-8")
        try:
            expected = cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue
        fast = parse_checked(text)
        assert fast.deep_equals(expected), path
        assert fast.code == text, path
        compared += 1
    assert compared > 160


def test_the_self_checks_are_skipped_inside_and_kept_outside() -> None:
    assert parsing._skipping_installed()
    calls: list[str] = []
    original = cst.Name._validate

    def counting(self: cst.Name) -> None:
        calls.append(self.value)
        original(self)

    cst.Name._validate = counting  # type: ignore[method-assign]
    try:
        parse_checked("first = second\n")
        assert calls == []  # parsed: not checked
        cst.parse_module("third = 1\n")
        assert calls == ["third"]  # libcst's own parse still checks
    finally:
        cst.Name._validate = original  # type: ignore[method-assign]
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")  # a node built by hand still checks itself


def test_another_thread_keeps_its_checks_while_one_parses() -> None:
    big = "\n".join(f"value_{n} = f'{{a}}' + str([{n}, ({n})])" for n in range(5_000))
    parsing_done = threading.Event()
    refused: list[bool] = []

    def parse() -> None:
        parse_checked(big)
        parsing_done.set()

    worker = threading.Thread(target=parse)
    worker.start()
    while not parsing_done.is_set():
        try:
            cst.Name("")
            refused.append(False)
        except cst.CSTValidationError:
            refused.append(True)
    worker.join()
    assert refused and all(refused)


def test_a_libcst_that_looks_different_is_parsed_as_libcst_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where `__post_init__` does more than `_validate`, nothing is replaced."""
    parsing._skipping_installed.cache_clear()

    def post_init(self: cst.CSTNode) -> None:
        self._validate()
        self._extra = True  # type: ignore[attr-defined]

    with monkeypatch.context() as patch:
        patch.setattr(cst.CSTNode, "__post_init__", post_init)
        assert not parsing._skipping_installed()
        assert cst.CSTNode.__post_init__ is post_init
    parsing._skipping_installed.cache_clear()
    assert parsing._skipping_installed()


@pytest.mark.parametrize("skipping", [True, False], ids=["checks-skipped", "plain-libcst"])
def test_a_large_text_returns_the_parsers_memory_after_the_parse(
    monkeypatch: pytest.MonkeyPatch, skipping: bool
) -> None:
    """Only from `RETURN_SCRATCH_FROM` characters on, and only once the tree is built
    (the parser's memory is free then), whichever way the text is parsed."""
    returned: list[int] = []
    monkeypatch.setattr(parsing, "RETURN_SCRATCH_FROM", 40)
    monkeypatch.setattr(parsing, "_skipping_installed", lambda: skipping)
    monkeypatch.setattr(parsing, "_return_scratch_memory", lambda: returned.append(1))
    parse_checked("short = 1\n")
    assert returned == []
    module = parse_checked("".join(f"name_{n} = {n}\n" for n in range(4)))
    assert returned == [1]
    assert len(module.body) == 4


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_is_asked_to_return_free_memory() -> None:
    trim = parsing._malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)  # 1: memory was returned, 0: there was none to return
    parsing._return_scratch_memory()
