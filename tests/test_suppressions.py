"""Suppression comments: every form rules.md accepts, and the bookkeeping RL002 needs."""

from __future__ import annotations

import pickle

import pytest

from redislint.suppressions import (
    NO_SUPPRESSIONS,
    SuppressionComment,
    Suppressions,
    parse_suppressions,
)


def codes_on(source: str, line: int = 1) -> frozenset[str] | None:
    comments = {c.line: c.codes for c in parse_suppressions(source).comments}
    assert line in comments, f"no suppression parsed on line {line}"
    return comments[line]


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("# redislint: ignore[RL301]", {"RL301"}),
        ("# redislint: ignore[RL301, RL201]", {"RL301", "RL201"}),
        ("# redislint: ignore[RL301,RL201]", {"RL301", "RL201"}),
        ("# redislint:ignore[ RL301 ]", {"RL301"}),
        ("#redislint: ignore [RL301]", {"RL301"}),
        ("# RedisLint: IGNORE[rl301]", {"RL301"}),
        ("# noqa: RL301", {"RL301"}),
        ("# noqa: RL301,RL201", {"RL301", "RL201"}),
        ("# noqa: RL301, RL201", {"RL301", "RL201"}),
        ("# noqa:RL301 RL201", {"RL301", "RL201"}),
        ("# NOQA: rl301", {"RL301"}),
        ("# noqa: E501, RL301", {"RL301"}),  # other tools' codes are not ours
        ("# noqa: RL301 -- flushing is the point of this script", {"RL301"}),
    ],
)
def test_code_forms(comment: str, expected: set[str]) -> None:
    assert codes_on(f"r.flushall()  {comment}\n") == frozenset(expected)


@pytest.mark.parametrize(
    "comment",
    [
        "# redislint: ignore",
        "# REDISLINT: Ignore",
        "# noqa",
        "# NoQA",
        "#noqa",
        "# redislint: ignore  # why",
    ],
)
def test_bare_forms_mean_every_code(comment: str) -> None:
    s = parse_suppressions(f"r.flushall()  {comment}\n")
    assert s.comments == (SuppressionComment(1, None),)
    assert s.match("RL301", [1]) == 1
    assert s.match("RL001", [1]) == 1


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: E501",  # only another tool's code: suppresses nothing here
        "# noqa:",  # no code at all: not a blanket noqa (flake8's footgun)
        "# redislint: ignore[]",  # names nothing: must not mean "everything"
        "# redislint: ignore[RL301",  # unclosed: not a bare ignore
        "# redislint: ignored",
        "# redislint: ignore-all",
        "# noqaz",
        "# redislint ignore[RL301]",  # the colon is part of the marker
        "# type: ignore",
    ],
)
def test_not_a_suppression(comment: str) -> None:
    s = parse_suppressions(f"r.flushall()  {comment}\n")
    assert s.comments == ()
    assert s.match("RL301", [1]) is None


def test_match_returns_the_suppressing_line_in_order() -> None:
    source = "r.set(  # redislint: ignore[RL201]\n    key,\n    value,  # noqa: RL301\n)\n"
    s = parse_suppressions(source)
    # Reported on line 3, statement starts on line 1.
    assert s.match("RL301", [3, 1]) == 3
    assert s.match("RL201", [3, 1]) == 1
    assert s.match("rl201", [3, 1]) == 1  # codes compare upper-cased
    assert s.match("RL101", [3, 1]) is None  # a code no comment names
    assert s.match("RL201", [2]) is None  # a line without a comment
    assert s.match("RL201", []) is None


def test_several_markers_on_one_line_merge() -> None:
    assert codes_on("x  # redislint: ignore[RL301]  # noqa: RL201\n") == {"RL301", "RL201"}
    assert codes_on("x  # noqa: RL201  # redislint: ignore\n") is None


def test_line_numbers_follow_the_parser_for_every_line_ending() -> None:
    for newline in ("\n", "\r\n", "\r"):
        source = newline.join(["import redis", "", "r.flushall()  # noqa: RL301", ""])
        assert parse_suppressions(source).comments == (SuppressionComment(3, frozenset({"RL301"})),)


def test_skip_file_on_a_line_of_its_own_anywhere() -> None:
    assert parse_suppressions("# redislint: skip-file\nimport redis\n").skip_file
    assert parse_suppressions("import redis\n\n    # redislint: skip-file\nx = 1\n").skip_file
    assert parse_suppressions("import redis\n# REDISLINT: Skip-File  # generated\n").skip_file
    # Not on a line of its own: a trailing comment on code does not skip the file.
    assert not parse_suppressions("import redis  # redislint: skip-file\n").skip_file
    assert not parse_suppressions("# redislint: skip-files\n").skip_file
    assert not parse_suppressions("# redislint: ignore\n").skip_file


def test_files_without_markers_take_the_fast_path() -> None:
    s = parse_suppressions("import redis\nr = redis.Redis()\nr.flushall()\n")
    assert s is NO_SUPPRESSIONS
    assert not s
    assert s.match("RL301", [3]) is None
    assert s.unused(set()) == []


def test_a_marker_in_a_string_counts_accepted_imprecision() -> None:
    # Documented trade-off: no tokenizer pass, so this is read as a suppression.
    assert codes_on('s = "# noqa: RL301"\n') == {"RL301"}


def test_unused_tracking_per_code() -> None:
    source = (
        "r.flushall()  # redislint: ignore[RL301, RL201]\n"
        "r.flushdb()  # redislint: ignore\n"
        "x = 1  # redislint: ignore\n"
        "y = 2  # noqa: RL001\n"
    )
    s = parse_suppressions(source)
    used: set[tuple[int, str]] = set()
    for code, lines in (("RL301", [1]), ("RL301", [2])):
        line = s.match(code, lines)
        assert line is not None
        used.add((line, code))
    assert s.unused(used) == [
        SuppressionComment(1, frozenset({"RL201"})),
        SuppressionComment(3, None),
        SuppressionComment(4, frozenset({"RL001"})),
    ]
    # Codes of rules that did not run for this file are not called unused.
    assert s.unused(used, active_codes={"RL301"}) == [SuppressionComment(3, None)]


def test_bare_noqa_is_shared_with_other_tools_and_never_unused() -> None:
    s = parse_suppressions("x = 1  # noqa\ny = 2  # redislint: ignore\n")
    assert s.unused(set()) == [SuppressionComment(2, None)]


def test_suppressions_are_plain_values() -> None:
    # Results cross process boundaries and sit in the cache: they must pickle and compare.
    s = parse_suppressions("r.flushall()  # noqa: RL301\n")
    again = pickle.loads(pickle.dumps(s))
    assert again == s
    assert again.match("RL301", [1]) == 1
    assert Suppressions() == NO_SUPPRESSIONS
