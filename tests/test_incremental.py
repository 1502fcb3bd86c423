"""The server's incremental re-parse (`lsp/incremental.py`) against a fresh full check.

A warm server builds the next tree from the buffer's previous one, re-parsing only the
statements an edit touched. That is only allowed if nothing can tell: for generated
edit sequences on real modules (the repository's fixtures and examples/shop, also as
CRLF and with a BOM), every tree must equal `libcst.parse_module` of the same text, and
the findings (fixes and fingerprints included) of the incremental session must equal
those of a session that parses every text in full. The edits are random but seeded:
insertions, deletions and replacements at any offset (inside strings, comments and
decorators too), indentation changes, moved lines, and edits that break the syntax and
then repair it, applied one after another to the same buffer as an editor would.
Edits inside a class or a function are spliced inside its body (`lsp/blocks.py`): the
class-heavy cases at the end aim edits at method bodies (indentation changes,
decorators, docstrings, comments and blank lines at a block's edges, text that does not
parse), and check that the positions derived from the previous check (`lsp/spans.py`)
are those of a full check.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest

from redislint.engine import analysis_settings
from redislint.lsp.incremental import IncrementalParser
from redislint.lsp.session import LintSession
from redislint.parallel import on_big_stack
from redislint.precheck import accepts_edit, precheck
from redislint.semantics.reuse import NodeMemo

REPO = Path(__file__).resolve().parent.parent
SOURCES = (
    "tests/fixtures/RL201/basic.py",
    "tests/fixtures/RL501/basic.py",
    "tests/fixtures/RL103/basic.py",
    "tests/fixtures/RL106/basic.py",
    "tests/fixtures/RL301/clientshapes/shapes.py",
    "examples/shop/shop/orders.py",
    "examples/shop/shop/cache.py",
)
# A module with the shapes whose edges are hardest to attribute: decorators, nested
# blocks, comments indented inside a block and at its end, a docstring, a trailing
# comment, and no blank line between some statements.
CLASSY = '''"""Jobs on a Redis queue."""
import functools

import redis

# The client every job uses.
r = redis.Redis()


def cached(function):
    @functools.wraps(function)
    def wrapper(*args):
        return function(*args)
    return wrapper
class Queue:
    """A queue."""

    name = "jobs"

    @cached
    def push(self, job):
        r.lpush(self.name, job)
        # indented comment at the end of a block

    @staticmethod
    def keys():
        return r.keys("job:*")  # scans the keyspace
# a comment at column 0 between statements
    # and one indented
def drain():
    while True:
        item = r.rpop("jobs")
        if item is None:
            break
    r.set("cache:drained", 1)
# the end
'''
SNIPPETS = (
    "x",
    " ",
    "\n",
    "\n\n",
    "    ",
    "\t",
    "#",
    "# note\n",
    '"',
    "'''",
    "(",
    ")",
    ":",
    ",",
    "\\\n",
    "@cached\n",
    "pass\n",
    "r.keys('a:*')\n",
    "r.set('cache:k', 1)\n",
    "def f():\n    pass\n",
    "class C:\n    x = 1\n",
    "    r.delete('k')\n",
    "if True:\n    y = 2\n",
    "\r\n",
)


def _variants() -> Iterator[tuple[str, str]]:
    for relative in SOURCES:
        text = (REPO / relative).read_text(encoding="utf-8")
        yield Path(relative).name, text
    yield "classy.py", CLASSY
    yield "crlf.py", CLASSY.replace("\n", "\r\n")
    yield "bom.py", "\ufeff" + CLASSY
    yield "crlf_orders.py", (REPO / SOURCES[5]).read_text().replace("\n", "\r\n")


def _edit(rng: random.Random, text: str) -> str:
    """One random edit of `text` (the kinds an editor produces while typing)."""
    kind = rng.randrange(8)
    at = rng.randrange(len(text) + 1)
    if kind == 0:  # insert
        return text[:at] + rng.choice(SNIPPETS) + text[at:]
    if kind == 1:  # delete a few characters
        return text[:at] + text[at + rng.randint(1, 12) :]
    if kind == 2:  # replace a range (may span statements)
        return text[:at] + rng.choice(SNIPPETS) + text[at + rng.randint(1, 80) :]
    lines = text.splitlines(keepends=True)
    if not lines:
        return rng.choice(SNIPPETS)
    number = rng.randrange(len(lines))
    if kind == 3:  # indent or dedent a line
        line = lines[number]
        lines[number] = "    " + line if rng.random() < 0.5 else line.removeprefix("    ")
    elif kind == 4:  # delete a line
        del lines[number]
    elif kind == 5:  # duplicate a line
        lines.insert(number, lines[number])
    elif kind == 6:  # move a line
        lines.insert(rng.randrange(len(lines) + 1), lines.pop(number))
    else:  # type a statement at the line's indentation
        line = lines[number]
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        lines.insert(number, f"{indent}v{rng.randrange(100)} = r.get('k')\n")
    return "".join(lines)


def _sequence(rng: random.Random, original: str, steps: int) -> Iterator[str]:
    """Edits applied one after another; a broken text is repaired (undo) half the time,
    and the buffer returns to the original now and then (as after a save and revert)."""
    text = original
    for _ in range(steps):
        edited = _edit(rng, text)
        yield edited
        if rng.random() < 0.5 and not _parses(edited):
            yield text  # the repair: the syntax error is typed away again
        else:
            text = edited
        if rng.random() < 0.1:
            text = original
            yield text


def _parses(text: str) -> bool:
    try:
        cst.parse_module(text)
    except Exception:
        return False
    return True


def _spliced_tree_is_the_full_parse(parser: IncrementalParser, name: str, text: str) -> bool:
    """Parse the edited `text` incrementally; when a tree was spliced, assert it is the
    tree (and prints the text) of a full parse. True when a spliced tree was compared."""
    module = parser.parse(name, text)
    try:
        expected: cst.Module | None = cst.parse_module(text)
    except Exception:
        expected = None
    if module is None:
        if expected is not None:
            parser.remember(name, text, expected)
        return False
    assert expected is not None, f"{name}: spliced a text that does not parse"
    assert module.code == expected.code, f"{name}: the spliced tree prints other text"
    assert module.deep_equals(expected), f"{name}: spliced tree differs:\n{text}"
    return True


def _same_check(warm: LintSession, path: Path, name: str, text: str) -> bool:
    """Assert the warm session's check of `path` is that of a fresh session, which parses
    and resolves everything anew (error, findings with positions and fixes, fingerprints);
    True when it has findings. A fresh one per text: a session kept across the texts
    would share whatever the warm one wrongly kept (its resolvers' memos, say)."""
    full = LintSession(path.parent.parent)
    full.open(path, text)
    got, expected = warm.check(path), full.check(path)
    assert full.parser.spliced == 0
    assert got.error == expected.error
    assert got.findings == expected.findings, f"{name}:\n{text}"
    assert [f.fingerprint for f in got.findings] == [f.fingerprint for f in expected.findings]
    return bool(expected.findings)


def test_spliced_trees_equal_full_parses() -> None:
    """Every spliced tree is the tree a full parse gives, and prints the same text."""

    def run() -> tuple[int, int]:
        rng = random.Random(14)
        parser = IncrementalParser()
        checked = 0
        for name, original in _variants():
            parser.remember(name, original, cst.parse_module(original))
            for text in _sequence(rng, original, 45):
                checked += _spliced_tree_is_the_full_parse(parser, name, text)
        return checked, parser.spliced

    checked, spliced = on_big_stack(analysis_settings()(run))
    print(f"{checked} spliced trees compared ({spliced} splices)")
    assert checked > 120
    assert spliced > 80  # the edits were really spliced, not parsed in full


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.redislint]\nselect = ["ALL"]\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    return tmp_path


def test_incremental_findings_equal_a_full_check(project: Path) -> None:
    """The findings of each edited buffer in a warm session, spliced, are those of a
    session that parses the same text in full (the CLI's path through the engine)."""
    rng = random.Random(1414)
    warm = LintSession(project)
    compared = 0
    with_findings = 0
    for name, original in _variants():
        path = project / "app" / name
        path.write_text(original, encoding="utf-8", newline="")
        warm.open(path, original)
        warm.check(path)
        for text in _sequence(rng, original, 16):
            warm.update(path, text)
            with_findings += _same_check(warm, path, name, text)
            compared += 1
    print(f"{compared} checks compared, {with_findings} with findings")
    assert compared > 120
    assert with_findings > compared // 2  # the edits kept most files reporting
    assert warm.parser.spliced > 20  # (broken texts and BOM/CRLF edges are parsed in full)
    print(f"reused from the previous check: {dict(warm.reused)}")
    assert warm.reused["body"] > 50  # what the statements not edited gave the last check
    assert warm.reused["anchor"] > 500


# Edits that change what a name elsewhere in the buffer resolves to: a client that
# becomes a dict, a key constant and a key builder that change, a helper's client
# argument that goes away. A warm session must not keep what it concluded before.
RESOLVED = (
    """import redis

r = redis.Redis()
PREFIX = "cache:"


def key(name):
    return PREFIX + name


def helper(client):
    client.keys("user:*")


def use():
    helper(r)
    r.set(key("a"), 1)
""",
    ("r = redis.Redis()", "r = dict()"),
    ('PREFIX = "cache:"', 'PREFIX = "user:"'),
    ("return PREFIX + name", 'return "jobs:" + name'),
    ("    helper(r)\n", ""),
)


def test_edits_that_change_what_names_resolve_to_equal_a_fresh_check(project: Path) -> None:
    """Each edit changes the verdict on lines it does not touch; the warm session sees it."""
    path = project / "app" / "resolved.py"
    original, *edits = RESOLVED
    path.write_text(original)
    warm = LintSession(project)
    warm.open(path, original)
    first = warm.check(path).findings
    assert first
    for old, new in edits:
        text = original.replace(old, new)
        assert text != original
        warm.update(path, text)
        _same_check(warm, path, "resolved.py", text)
        warm.update(path, original)
        assert warm.check(path).findings == first


# One large class (as saq's, rq's and rq-scheduler's modules are): edits land in methods.
BIG_CLASS = (
    '''"""A queue as one class."""
import redis


class Store:
    """Keys of a store.

    The docstring has lines at the class's own indentation.
    """

    prefix = "store"

'''
    + "".join(
        f'''    @property
    def name_{n}(self):
        """Method {n}."""
        r = redis.Redis()
        for item in range({n}):
            if item:
                r.set(f"cache:{n}:{{item}}", 1)
            # a comment inside the loop
        r.keys("k{n}:*")
        return r.lpush("jobs:{n}", 1)

    def other_{n}(self, value):
        with redis.Redis().pipeline() as pipe:
            pipe.incr("hits:{n}")
        # a comment at the end of the method
'''
        + ("\n" if n % 3 else "    # between methods\n\n")
        for n in range(8)
    )
    + """

def after():
    return 1
"""
)

# Edits typed inside a block: a line at the cursor's indentation, or one level deeper
# or shallower; decorators; docstring text; a comment or a blank line; syntax errors.
BLOCK_SNIPPETS = (
    "x = 1\n",
    "r.keys('a:*')\n",
    "if x:\n",
    "@property\n",
    "# note\n",
    "\n",
    "else:\n",
    "return\n",
    "f(\n",
    "'''\n",
    "def g(self):\n",
    "pass\n",
)


def _block_edit(rng: random.Random, text: str) -> str:
    """One edit on an indented line (inside a class or a function)."""
    lines = text.splitlines(keepends=True)
    indented = [i for i, line in enumerate(lines) if line.startswith(("    ", "\t"))]
    number = rng.choice(indented)
    line = lines[number]
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    unit = "\t" if indent.startswith("\t") else "    "
    kind = rng.randrange(6)
    if kind == 0:  # type a line at this indentation, or one level off
        shift = rng.choice(("", unit, "-"))
        at = indent[len(unit) :] if shift == "-" else indent + shift
        lines.insert(number, at + rng.choice(BLOCK_SNIPPETS))
    elif kind == 1:  # indent or dedent the line
        lines[number] = unit + line if rng.random() < 0.5 else line.removeprefix(unit)
    elif kind == 2:  # type inside the line (a docstring, a call, a name)
        column = rng.randrange(len(indent), len(line))
        lines[number] = line[:column] + rng.choice(("x", " ", '"', "(", ":", "'")) + line[column:]
    elif kind == 3:  # delete the line
        del lines[number]
    elif kind == 4:  # a comment or blank line with odd indentation
        lines.insert(number, rng.choice(("", "  ", indent + "  ", indent)) + "# c\n")
    else:  # replace the line's statement
        lines[number] = indent + rng.choice(BLOCK_SNIPPETS)
    return "".join(lines)


def _block_sequence(rng: random.Random, original: str, steps: int) -> Iterator[str]:
    text = original
    for _ in range(steps):
        edited = _block_edit(rng, text)
        yield edited
        if not _parses(edited):
            yield text  # typed away again
        else:
            text = edited
        if rng.random() < 0.05:
            text = original
            yield text


def _classy_sources() -> Iterator[tuple[str, str]]:
    yield "big_class.py", BIG_CLASS
    yield "classy.py", CLASSY
    yield "orders.py", (REPO / SOURCES[5]).read_text(encoding="utf-8")
    yield "tabs.py", BIG_CLASS.replace("    ", "\t")


def test_edits_inside_classes_splice_inside_and_equal_full_parses() -> None:
    """Edits in methods are spliced inside the class body (not by parsing the class
    again), and each tree is the one a full parse gives."""

    def run() -> tuple[int, int, int]:
        rng = random.Random(50)
        parser = IncrementalParser()
        checked = 0
        for name, original in _classy_sources():
            parser.remember(name, original, cst.parse_module(original))
            for text in _block_sequence(rng, original, 120):
                checked += _spliced_tree_is_the_full_parse(parser, name, text)
        return checked, parser.spliced, parser.spliced_inside

    checked, spliced, inside = on_big_stack(analysis_settings()(run))
    print(f"{checked} trees compared, {spliced} splices, {inside} inside a body")
    assert checked > 250
    assert inside > 150  # most edits were spliced inside the class, not parsed in full


def test_positions_derived_inside_classes_equal_a_full_check(project: Path) -> None:
    """After edits in methods, the findings (positions, fixes, fingerprints) of the warm
    session, whose positions are derived from its previous check, are a full check's."""
    rng = random.Random(5050)
    warm = LintSession(project)
    compared = with_findings = 0
    for name, original in _classy_sources():
        path = project / "app" / name
        path.write_text(original, encoding="utf-8", newline="")
        warm.open(path, original)
        warm.check(path)
        for text in _block_sequence(rng, original, 40):
            warm.update(path, text)
            with_findings += _same_check(warm, path, name, text)
            compared += 1
    print(f"{compared} checks compared, {warm.spans.derived} with derived positions")
    assert compared > 150
    assert with_findings > compared // 2
    assert warm.parser.spliced_inside > 60
    assert warm.spans.derived > 60  # positions came from the previous check, not codegen
    print(f"reused from the previous check: {dict(warm.reused)}")
    assert warm.reused["body"] > 300  # the body indexes of the methods not edited
    assert warm.reused["anchor"] > 1000  # and the texts their findings' fingerprints hash
    assert warm.reused["call"] > 1000  # and the IR of their calls


def test_node_memo_keeps_what_the_last_check_used_for_the_same_nodes() -> None:
    """A value is taken over only for the very node it was built from, and only what a
    check used is carried to the next one (the rest of the buffer's past is dropped)."""
    old = cst.parse_module("a = 1\nb = 2\n")
    first = NodeMemo()
    for statement in old.body:
        first.get("code", statement, old.code_for_node)
    second = NodeMemo(first)
    kept = old.body[0]
    assert second.get("code", kept, lambda _node: "rebuilt") == "a = 1\n"
    equal = cst.parse_module("a = 1\n").body[0]  # equal, but another node
    assert second.get("code", equal, lambda _node: "rebuilt") == "rebuilt"
    assert second.reused == {"code": 1}
    third = NodeMemo(second)
    assert third.get("code", old.body[1], lambda _node: "rebuilt") == "rebuilt"


# Edits libcst parses and CPython refuses, which only the edited statement shows (a
# duplicate parameter, a module-level nonlocal) or only the rest of the module does
# (a module-level `global` after a use of the name, typed above it).
REFUSED_EDITS = (
    ("def after():", "def after(a, a):"),
    ("class Store:", "nonlocal prefix\nclass Store:"),
    ("class Store:", "prefix = 1\nglobal prefix\nclass Store:"),
    ('"""A queue as one class."""\n', '"""A queue as one class."""\nprint(x)\n'),
)


def test_edits_are_prechecked_from_their_statements_as_the_whole_text_is() -> None:
    """CPython's verdict on a spliced text, taken from the re-parsed statements alone
    (`precheck.accepts_edit`), is the verdict on the whole text: on generated edits, and
    on edits whose error CPython finds in the statement or only in the rest."""

    def run() -> tuple[int, int, int]:
        rng = random.Random(99)
        parser = IncrementalParser()
        proven = compared = inside = 0
        for name, original in (*_variants(), *_classy_sources()):
            parser.remember(name, original, cst.parse_module(original))
            previous = original
            for text in _sequence(rng, original, 30):
                module = parser.parse(name, text)
                splice = parser.last_splice(name, module) if module is not None else None
                if module is None and _parses(text):
                    parser.remember(name, text, cst.parse_module(text))
                elif splice is not None and precheck(previous, guard=True) is None:
                    compared += 1
                    if accepts_edit(text, splice.region, splice.indents):
                        proven += 1
                        inside += bool(splice.indents)
                        assert precheck(text, guard=True) is None, f"{name}:\n{text}"
                previous = text if module is not None or _parses(text) else previous
        return proven, compared, inside

    proven, compared, inside = on_big_stack(analysis_settings()(run))
    print(f"{proven} of {compared} spliced edits proven from their statements, {inside} inside")
    assert proven > 100
    assert proven > compared // 2
    assert inside > 30  # statements spliced inside a body, checked under `if 1:` heads


def test_edited_statements_decide_cpythons_verdict_or_leave_it_to_the_whole_text() -> None:
    """An edit CPython's check refuses (an expression nested deeper than libcst can be
    trusted with), at the top level or in a method, is not proven from its statements;
    errors of the symbol table, which never decide the verdict (a module-level `global`
    after a use), and a `__future__` import do not stop the proof, and a text naming
    the future import that changes the grammar is always checked whole."""
    deep = "x = " + "not " * 300 + "1\n"
    made = "        r = redis.Redis()\n"
    future = "from __future__ import annotations\n" + BIG_CLASS
    barry = "from __future__ import barry_as_FLUFL\n" + BIG_CLASS
    cases = (  # (text, old, new, CPython accepts the edited text, proven from the edit)
        (BIG_CLASS, "\nclass Store:", f"\n{deep}class Store:", False, False),
        (BIG_CLASS, made, f"{made}        {deep}", False, False),  # in the methods' bodies
        (BIG_CLASS + "global y\n", "\nclass Store:", "\nprint(y)\nclass Store:", True, True),
        (future, made, f"{made}        n: int = 1\n", True, True),
        (barry, made, f"{made}        n = 1 != 2\n", True, False),
    )

    def run() -> None:
        for original, old, new, accepted, proven in cases:
            parser = IncrementalParser()
            parser.remember("m.py", original, cst.parse_module(original))
            text = original.replace(old, new)
            module = parser.parse("m.py", text)
            assert module is not None
            splice = parser.last_splice("m.py", module)
            assert splice is not None
            assert precheck(original, guard=True) is None
            assert (precheck(text, guard=True) is None) == accepted, new
            assert accepts_edit(text, splice.region, splice.indents) == proven, new
            if old == made:
                assert splice.indents  # spliced inside the class's body

    on_big_stack(analysis_settings()(run))
