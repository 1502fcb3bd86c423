"""fixes.py on hand-built findings: offsets, conflicts, the fix loop, imports, atomic writes,
suppression comments. The CLI around it is in test_cli_fix.py."""

from __future__ import annotations

import os
import random
import re
import stat
from pathlib import Path

import libcst as cst
import pytest

from redislint import fixes
from redislint.add_noqa import add_noqa_text
from redislint.config import Config
from redislint.findings import Edit, Finding, Fix
from redislint.fixes import (
    TEMP_SUFFIX,
    FileToFix,
    FixOptions,
    SourceFormat,
    StaleFileError,
    add_imports,
    apply_fixes,
    fix_files,
    fix_text,
    line_starts,
    to_offset,
    unified_diff,
    write_atomic,
)


def finding(
    line: int,
    column: int,
    end_line: int,
    end_column: int,
    content: str,
    *,
    code: str = "RL201",
    safety: str = "safe",
    title: str = "Fix it",
    imports: tuple[tuple[str, str | None], ...] = (),
    extra: tuple[Edit, ...] = (),
) -> Finding:
    edit = Edit(line, column, end_line, end_column, content)
    fix = Fix(safety, title, (edit, *extra), imports=imports)  # type: ignore[arg-type]
    return Finding(
        code=code,
        name="x",
        severity="warning",
        message="m",
        path="a.py",
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        fix=fix,
        fingerprint=f"{code}{line}",
    )


def rename_check(old: str, new: str, *, safety: str = "safe") -> fixes.Check:
    """A stand-in rule: every `old` identifier is reported with a fix renaming it to `new`."""
    pattern = re.compile(rf"\b{re.escape(old)}\b")

    def check(text: str) -> list[Finding]:
        found = []
        for number, line in enumerate(text.split("\n"), start=1):
            for match in pattern.finditer(line):
                column = match.start() + 1
                found.append(finding(number, column, number, column + len(old), new, safety=safety))
        return found

    return check


# -- positions ---------------------------------------------------------------------------


def test_offsets_split_on_newline_only_so_crlf_columns_match_the_engine() -> None:
    text = "ab\r\ncd\r\n"
    starts = line_starts(text)
    assert starts == [0, 4, 8]
    assert text[to_offset(text, starts, 2, 1)] == "c"
    assert to_offset(text, starts, 2, 3) == 6  # just before "\r": the end of "cd"
    assert to_offset(text, starts, 3, 1) == 8  # the empty last line (end of file)
    with pytest.raises(fixes.EditError):
        to_offset(text, starts, 2, 5)  # past the line's "\n"
    with pytest.raises(fixes.EditError):
        to_offset(text, starts, 4, 1)


def test_engine_positions_on_a_crlf_file_apply_exactly(tmp_path: Path) -> None:
    """The real engine's Edit positions on CRLF text, applied by fixes.py (RL202's fix)."""
    from redislint.config import config_from_table
    from redislint.engine import check_file
    from redislint.semantics.project import ProjectIndex

    table = {"keyspace": [{"pattern": "order:*", "role": "critical"}]}
    config = config_from_table(table, "t", tmp_path)
    source = 'import redis\r\n\r\nr = redis.Redis()\r\nr.set("order:1", "é", ex=60)\r\n'
    path = tmp_path / "a.py"
    found = check_file(
        path, "a.py", config, ProjectIndex(config), data=source.encode(), selected={"RL202"}
    ).findings
    assert [f.code for f in found] == ["RL202"]
    result = apply_fixes(source, found)
    assert result.text == 'import redis\r\n\r\nr = redis.Redis()\r\nr.set("order:1", "é")\r\n'


# -- one round ---------------------------------------------------------------------------


def test_overlapping_fix_is_skipped_whatever_the_input_order() -> None:
    text = "aaaa bbbb cccc\n"
    first = finding(1, 1, 1, 10, "X", code="RL201")  # "aaaa bbbb"
    second = finding(1, 6, 1, 15, "Y", code="RL202")  # "bbbb cccc": overlaps
    third = finding(1, 11, 1, 15, "Z", code="RL301")  # "cccc": overlaps only the second
    results = set()
    for _ in range(10):
        order = [first, second, third]
        random.shuffle(order)
        result = apply_fixes(text, order)
        results.add(result.text)
        assert result.applied == [first, third]
        assert result.skipped == [second]
    assert results == {"X Z\n"}


def test_identical_fixes_are_applied_once_and_both_count() -> None:
    a = finding(1, 1, 1, 4, "new", code="RL201")
    b = finding(1, 1, 1, 4, "new", code="RL202")
    result = apply_fixes("old = 1\n", [a, b])
    assert result.text == "new = 1\n"
    assert len(result.applied) == 2


def test_insertions_at_one_point_conflict_but_touching_edits_do_not() -> None:
    insert_a = finding(1, 3, 1, 3, "A")
    insert_b = finding(1, 3, 1, 3, "B", code="RL202")
    assert apply_fixes("xxyy\n", [insert_b, insert_a]).text == "xxAyy\n"
    # An insertion right before a replacement that starts there: both apply, insertion first.
    replace_yy = finding(1, 3, 1, 5, "ZZ", code="RL202")
    assert apply_fixes("xxyy\n", [replace_yy, insert_a]).text == "xxAZZ\n"
    # An insertion strictly inside a replaced range conflicts.
    inside = finding(1, 4, 1, 4, "!", code="RL301")
    result = apply_fixes("xxyy\n", [replace_yy, inside])
    assert result.text == "xxZZ\n" and result.skipped == [inside]


def test_a_fix_with_several_edits_is_all_or_nothing() -> None:
    two = finding(1, 1, 1, 2, "A", extra=(Edit(2, 1, 2, 2, "B"),))
    blocker = finding(2, 1, 2, 2, "C", code="RL101")
    result = apply_fixes("a\nb\n", [two, blocker])
    # `two` starts at 1:1, before `blocker` (2:1): it wins, and blocker waits.
    assert result.text == "A\nB\n"
    assert result.skipped == [blocker]


def test_invalid_positions_and_self_overlapping_fixes_are_not_applied() -> None:
    outside = finding(9, 1, 9, 2, "x")
    inverted = finding(1, 3, 1, 1, "x", code="RL202")
    self_overlap = finding(1, 1, 1, 3, "x", code="RL301", extra=(Edit(1, 2, 1, 4, "y"),))
    result = apply_fixes("abcd\n", [outside, inverted, self_overlap])
    assert result.text == "abcd\n"
    assert set(map(id, result.invalid)) == {id(outside), id(inverted), id(self_overlap)}


def test_inserted_newlines_follow_the_file_style() -> None:
    fix = finding(2, 1, 2, 1, "x = 1\ny = 2\n")
    assert apply_fixes("a\r\nb\r\n", [fix]).text == "a\r\nx = 1\r\ny = 2\r\nb\r\n"
    assert apply_fixes("a\nb\n", [fix]).text == "a\nx = 1\ny = 2\nb\n"


# -- the loop ----------------------------------------------------------------------------


def test_the_loop_applies_a_skipped_fix_in_the_next_round() -> None:
    def check(text: str) -> list[Finding]:
        # Two overlapping fixes on "abc": one round takes the first, the re-check offers
        # the second again on the new text.
        found = []
        if "abc" in text:
            found.append(finding(1, 1, 1, 3, "X", code="RL201"))  # "ab"
            found.append(finding(1, 2, 1, 4, "Y", code="RL202"))  # "bc"
        if "Xc" in text:
            found.append(finding(1, 2, 1, 3, "Z", code="RL202"))
        return found

    result = fix_text("abc\n", check)
    assert result.text == "XZ\n"
    assert result.rounds == 2 and result.fixed == 2 and result.converged
    assert result.findings == []


def test_the_loop_stops_after_max_rounds_when_fixes_do_not_converge() -> None:
    def check(text: str) -> list[Finding]:
        name = "ping" if "pong" in text else "pong"
        return [finding(1, 1, 1, 5, name)]  # ping -> pong -> ping ...

    result = fix_text("ping()\n", check, max_rounds=4)
    assert not result.converged
    assert result.rounds == 4
    assert "did not converge after 4 rounds" in result.problems[0]
    cst.parse_module(result.text)


def test_a_fix_that_breaks_the_syntax_is_dropped_and_the_others_still_apply() -> None:
    good = finding(1, 1, 1, 2, "y")
    bad = finding(2, 1, 2, 6, "def (", code="RL202")

    def check(text: str) -> list[Finding]:
        found = []
        if text.startswith("x"):
            found.append(good)
        if "b = 2" in text:
            found.append(bad)
        return found

    result = fix_text("x = 1\nb = 2\n", check)
    assert result.text == "y = 1\nb = 2\n"
    assert result.rejected == [bad]
    assert not result.converged
    assert any("does not parse" in p for p in result.problems)


def test_a_fix_that_the_file_encoding_cannot_hold_is_dropped() -> None:
    fmt = SourceFormat(encoding="latin-1")
    check = rename_check("name", "n€w")
    result = fix_text("name = 1\n", check, fmt=fmt)
    assert result.text == "name = 1\n"
    assert result.rejected


def test_unsafe_fixes_need_the_flag() -> None:
    check = rename_check("old", "new", safety="unsafe")
    assert fix_text("old = 1\n", check).text == "old = 1\n"
    assert fix_text("old = 1\n", check, unsafe=True).text == "new = 1\n"


def test_a_fix_that_changes_nothing_stops_the_loop() -> None:
    result = fix_text("old = 1\n", rename_check("old", "old"))
    assert result.rounds == 1 and not result.converged
    assert "change nothing" in result.problems[0]


def test_the_trailing_newline_state_is_kept() -> None:
    # A fix that replaces the whole last line including its newline keeps the ending.
    def check(text: str) -> list[Finding]:
        if "old" in text:
            return [finding(1, 1, 2, 1, "new = 1")]  # drops the final "\n"
        return []

    assert fix_text("old = 1\n", check).text == "new = 1\n"


# -- imports -----------------------------------------------------------------------------


def test_a_fix_that_needs_an_import_adds_it_once() -> None:
    source = '"""Doc."""\r\nfrom __future__ import annotations\r\n\r\nx = a()\r\ny = a()\r\n'

    def check(text: str) -> list[Finding]:
        found = []
        for number, line in enumerate(text.split("\n"), start=1):
            col = line.find("a()")
            if col >= 0 and "=" in line:
                found.append(
                    finding(
                        number,
                        col + 1,
                        number,
                        col + 2,
                        "Redis",
                        imports=(("redis", "Redis"),),
                        code="RL201",
                    )
                )
        return found

    result = fix_text(source, check)
    assert result.converged and result.fixed == 2
    assert result.text == (
        '"""Doc."""\r\nfrom __future__ import annotations\r\nfrom redis import Redis\r\n'
        "\r\nx = Redis()\r\ny = Redis()\r\n"
    )


def test_add_imports_skips_what_is_already_imported() -> None:
    source = "import json\nfrom redis import Redis\n\nx = 1\n"
    assert add_imports(source, [("redis", "Redis"), ("json", None)]) == source
    assert add_imports("x = 1\n", [("json", None)]) == "import json\n\nx = 1\n"


def test_engine_carries_a_rules_imports_into_the_fix(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """NodeFix.imports -> Fix.imports -> added by the fix loop (no current rule needs it)."""
    from redislint import engine
    from redislint.rules._base import NodeEdit, NodeFix, Rule

    class FlushToHelper(Rule):
        CODE = "RL301"

        def check(self) -> None:
            for call in self.model.iter_calls("FLUSHDB"):
                edit = NodeEdit(call.node, "safe_flush(r)")
                fix = NodeFix("safe", "Use safe_flush", (edit,), imports=(("ops", "safe_flush"),))
                self.report_call(call, "flush", fix=fix)

    monkeypatch.setattr(engine, "all_rules", lambda: {"RL301": FlushToHelper})
    config = Config(root=tmp_path)
    source = "import redis\n\nr = redis.Redis()\nr.flushdb()\n"

    def check(text: str) -> list[Finding]:
        from redislint.semantics.project import ProjectIndex

        return engine.check_file(
            tmp_path / "a.py", "a.py", config, ProjectIndex(config), data=text.encode()
        ).findings

    found = check(source)
    assert found[0].fix is not None and found[0].fix.imports == (("ops", "safe_flush"),)
    result = fix_text(source, check)
    assert (
        result.text
        == "import redis\nfrom ops import safe_flush\n\nr = redis.Redis()\nsafe_flush(r)\n"
    )


# -- bytes and files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding", "bom", "newline"),
    [
        (b"x = 1\n", "utf-8", False, "\n"),
        (b"\xef\xbb\xbfx = 1\r\n", "utf-8", True, "\r\n"),
        (b"# -*- coding: latin-1 -*-\nx = '\xe9'\n", "iso-8859-1", False, "\n"),
    ],
)
def test_source_format_round_trips(data: bytes, encoding: str, bom: bool, newline: str) -> None:
    from redislint.semantics.project import decode_source

    fmt = SourceFormat.detect(data)
    assert (fmt.encoding, fmt.bom, fmt.newline) == (encoding, bom, newline)
    assert fmt.encode(decode_source(data)) == data


def test_write_atomic_keeps_the_mode_and_the_symlink(tmp_path: Path) -> None:
    target = tmp_path / "real.py"
    target.write_bytes(b"old\n")
    target.chmod(0o751)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    write_atomic(link, b"new\n", expected=b"old\n")
    assert link.is_symlink() and target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.py", "real.py"]


def test_write_atomic_refuses_a_file_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_bytes(b"edited by someone\n")
    with pytest.raises(StaleFileError):
        write_atomic(path, b"fixed\n", expected=b"as we read it\n")
    assert path.read_bytes() == b"edited by someone\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


def test_write_atomic_removes_its_temporary_file_on_error(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.py"
    path.write_bytes(b"old\n")
    seen: list[str] = []

    def failing_replace(src: str, dst: object) -> None:
        seen.append(os.path.basename(src))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fixes.os, "replace", failing_replace)
    with pytest.raises(OSError):
        write_atomic(path, b"new\n", expected=b"old\n")
    assert seen and seen[0].endswith(TEMP_SUFFIX) and not seen[0].endswith(".py")
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]
    assert path.read_bytes() == b"old\n"


def test_fix_files_leaves_a_file_that_changed_since_the_check(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("import redis\nr = redis.Redis()\n")
    item = FileToFix(path, "a.py", "something else\n", (finding(1, 1, 1, 2, "x"),))
    [result] = fix_files([item], Config(root=tmp_path), selected=set())
    assert not result.written and not result.changed
    assert "changed on disk since it was checked" in result.warnings[0]
    assert path.read_text() == "import redis\nr = redis.Redis()\n"


def test_fix_files_in_workers_returns_results_in_order(tmp_path: Path) -> None:
    from redislint.config import config_from_table
    from redislint.engine import check_file
    from redislint.semantics.project import ProjectIndex

    config = config_from_table(
        {"keyspace": [{"pattern": "o:*", "role": "critical"}]}, "t", tmp_path
    )
    items = []
    for n in range(30):
        path = tmp_path / f"m{n:02}.py"
        text = f'import redis\nr = redis.Redis()\nr.set("o:{n}", 1, ex={n + 1})\n'
        path.write_text(text)
        found = check_file(path, path.name, config, ProjectIndex(config), selected={"RL202"})
        items.append(FileToFix(path, path.name, text, tuple(found.findings)))
    results = fix_files(items, config, selected={"RL202"}, options=FixOptions(unsafe=True), jobs=2)
    assert [r.rel_path for r in results] == [i.rel_path for i in items]
    assert all(r.written and r.fixed == 1 for r in results)
    assert (tmp_path / "m07.py").read_text().endswith('r.set("o:7", 1)\n')


def test_unified_diff_marks_a_missing_final_newline() -> None:
    diff = unified_diff("app/x.py", "a = 1\nb = 2", "a = 1\nb = 3")
    assert diff.startswith("--- a/app/x.py\n+++ b/app/x.py\n")
    assert "-b = 2\n\\ No newline at end of file\n+b = 3\n\\ No newline at end of file\n" in diff


# -- suppression comments ----------------------------------------------------------------


def at(line: int, code: str = "RL301") -> Finding:
    return Finding(code, "n", "error", "m", "a.py", line, 1, line, 2)


def test_add_noqa_appends_and_merges() -> None:
    source = (
        "r.flushdb()\n"
        "r.set(k, v)   # keep: legacy\n"
        "r.set(k, v)  # redislint: ignore[RL202]\n"
        "x = 1\r\n"
    )
    result = add_noqa_text(source, [at(1), at(1, "RL201"), at(2, "RL201"), at(3, "RL201"), at(4)])
    assert result.text == (
        "r.flushdb()  # redislint: ignore[RL201, RL301]\n"
        "r.set(k, v)   # keep: legacy  # redislint: ignore[RL201]\n"
        "r.set(k, v)  # redislint: ignore[RL201, RL202]\n"
        "x = 1  # redislint: ignore[RL301]\r\n"
    )
    assert result.added == 5 and not result.skipped


def test_add_noqa_uses_the_statements_first_line_when_the_line_cannot_take_a_comment() -> None:
    source = 'r.eval("""\n  return 1\n""", 0); r.set("k", \\\n  1)\nx = 1\n'
    # Line 2 is inside the string and line 3 ends a continued statement whose first line
    # (line 1) ends inside the string: neither can take a comment.
    result = add_noqa_text(source, [at(2, "RL108"), at(3, "RL201")])
    assert result.text == source
    assert [f.line for f, _ in result.skipped] == [2, 3]
    # A call spread over lines in brackets: its first line can take the comment.
    source = "r.set(\n    'k',\n    1,\n)\n"
    result = add_noqa_text(source, [at(2, "RL201")])
    assert result.text == "r.set(\n    'k',  # redislint: ignore[RL201]\n    1,\n)\n"
    source = 'x = f(1, """a\nb""")\n'
    result = add_noqa_text(source, [at(2, "RL201")])
    assert result.text == 'x = f(1, """a\nb""")  # redislint: ignore[RL201]\n'


def test_add_noqa_comments_are_read_back_by_the_suppression_parser() -> None:
    from redislint.suppressions import parse_suppressions

    result = add_noqa_text("a = 1\nb = 2  # redislint: ignore[RL101]\n", [at(1), at(2)])
    parsed = parse_suppressions(result.text)
    assert parsed.match("RL301", [1]) == 1
    assert parsed.match("RL301", [2]) == 2 and parsed.match("RL101", [2]) == 2
