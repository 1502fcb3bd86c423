"""Which calls write the primary database: the store Redis holds a copy of.

RL302 needs to know whether a function (or a project function it calls) writes the
source of truth. That is knowledge about other libraries, not about Redis, so it lives
here, beside the client and key models, where any rule can ask it:

- SQL: a statement whose text is known (a literal, a module or class constant, an
  f-string whose leading words are literal, `text("...")`, `sql.SQL("...")`) and whose
  first keyword writes (INSERT, UPDATE, DELETE, MERGE, REPLACE, UPSERT; a `WITH`
  statement that inserts, updates, deletes or merges anywhere), passed to any
  `.execute` / `.executemany` / `.execute_many` / `.executescript` / asyncpg
  `.fetch*`, whatever the receiver is; SQLAlchemy Core statements (`insert(T)`,
  `table.update()`) passed to `.execute`.
- Sessions and connections: SQLAlchemy `session.add/add_all/merge/delete/flush/commit`
  (a receiver named `*session`, or bound to `Session()` / `sessionmaker` results), and
  `commit()` on a receiver named like a database connection or transaction.
- Django: `Model.objects.create/update/get_or_create/...`, querysets
  (`.objects.filter(...).update()`), `instance.save()` / `instance.delete()`.
- pymongo / motor: `insert_one`, `update_many`, `bulk_write`, `find_one_and_*` ...
- peewee / Tortoise: `Model.create(...)`, `Model.insert(...).execute()`,
  `.delete_instance()`.
- The project's own markers: `[tool.redislint.primary-db] writes = ["app.outbox.enqueue"]`.

A call on a proven Redis client is never a primary-database write. Everything here errs
towards "yes, that is a write": RL302 is an error-level rule, and a write we wrongly
recognise only makes it quiet, while a write we miss makes it accuse correct code.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from redislint.semantics import ir
from redislint.semantics.clients import Class, External, Function, Resolver
from redislint.semantics.keys import KeyResolver
from redislint.semantics.scopes import Binding, CallSite, ModuleFacts

__all__ = ["PrimaryDbWrites", "sql_writes"]

# First keywords of SQL statements that change data.
WRITE_SQL_KEYWORDS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT"})
# Inside a WITH statement (`replace(...)` is also a string function there), and the words
# that make them clauses rather than statements (`FOR UPDATE`, `ON DELETE CASCADE`).
_CTE_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
_NOT_A_STATEMENT = frozenset({"FOR", "KEY", "ON", "DO"})

# Methods that take a SQL statement as their first argument (DB-API, asyncpg, SQLAlchemy).
SQL_METHODS = frozenset(
    {
        "execute",
        "executemany",
        "execute_many",
        "executescript",
        "exec_driver_sql",
        "fetch",
        "fetchrow",
        "fetchval",
    }
)
_SQL_KEYWORD_ARGS = ("sql", "query", "operation", "statement", "stmt", "sql_script")
# SQLAlchemy Core statement builders (functions and Table methods).
_SQLALCHEMY_STATEMENTS = frozenset({"insert", "update", "delete"})
_SQLALCHEMY_PACKAGES = ("sqlalchemy", "sqlmodel")

# asyncpg bulk loads.
_BULK_COPY = frozenset({"copy_records_to_table", "copy_to_table"})

MONGO_WRITES = frozenset(
    {
        "insert_one",
        "insert_many",
        "update_one",
        "update_many",
        "replace_one",
        "delete_one",
        "delete_many",
        "bulk_write",
        "find_one_and_update",
        "find_one_and_replace",
        "find_one_and_delete",
    }
)

SESSION_WRITES = frozenset(
    {
        "add",
        "add_all",
        "merge",
        "delete",
        "flush",
        "commit",
        "bulk_save_objects",
        "bulk_insert_mappings",
        "bulk_update_mappings",
    }
)

DJANGO_MANAGER_WRITES = frozenset(
    {
        "create",
        "update",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "delete",
        "acreate",
        "aupdate",
        "aget_or_create",
        "aupdate_or_create",
        "abulk_create",
        "abulk_update",
        "adelete",
    }
)
# `instance.save()` / `instance.delete()`: only without positional arguments, which keeps
# `image.save(path)`, `requests.Session().delete(url)` and `cache.delete(key)` out.
_INSTANCE_WRITES = frozenset({"save", "asave", "delete", "adelete", "delete_instance"})
_FILE_KEYWORDS = frozenset({"filename", "fp", "file", "path", "filepath", "format"})

# peewee query builders that are executed with `.execute()`.
PEEWEE_QUERY_WRITES = frozenset(
    {"insert", "insert_many", "insert_from", "update", "delete", "replace", "replace_many"}
)
# Libraries whose classes have an ORM-style `Model.create(...)`.
_ORM_PACKAGES = ("peewee", "playhouse", "tortoise", "pony", "mongoengine", "ormar", "piccolo")

# `X.commit()` commits a database transaction when X is named like one of these (the
# last component of a dotted name, lower-case). `consumer.commit()` (Kafka offsets) and
# `repo.index.commit(...)` (git) are not.
_COMMIT_NAMES = frozenset(
    {
        "conn",
        "connection",
        "db",
        "database",
        "cnx",
        "con",
        "dbconn",
        "transaction",
        "txn",
        "tx",
        "uow",
        "unit_of_work",
    }
)
_COMMIT_SUFFIXES = ("session", "_conn", "_connection", "_db", "_tx", "_txn", "_transaction")
# Session look-alikes from HTTP libraries.
_HTTP_PACKAGES = ("requests", "httpx", "aiohttp", "urllib3", "niquests")

_WRITE_METHODS = (
    SQL_METHODS
    | _BULK_COPY
    | MONGO_WRITES
    | SESSION_WRITES
    | DJANGO_MANAGER_WRITES
    | _INSTANCE_WRITES
    | {"commit", "create"}
)

DEFAULT_MAX_DEPTH = 4


# -- SQL text ------------------------------------------------------------------------
_SQL_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<line_comment>(?:--|\#)[^\n]*)
    | (?P<block_comment>/\*.*?(?:\*/|$))
    | (?P<string>'(?:[^']|'')*'?|"(?:[^"]|"")*"?|`[^`]*`?)
    | (?P<word>[A-Za-z_][A-Za-z_0-9]*)
    | (?P<open>\()
    | (?P<close>\))
    | (?P<semicolon>;)
    | (?P<other>.)
    """,
    re.S | re.X,
)


def _statements(text: str) -> Iterator[list[str]]:
    """The upper-case words of each `;`-separated statement (comments and strings skipped)."""
    depth = 0
    words: list[str] = []
    for match in _SQL_TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "word":
            words.append(match.group().upper())
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
        elif kind == "semicolon" and depth == 0:
            yield words
            words = []
    yield words


def sql_writes(text: str) -> bool:
    """Whether a SQL text (or script) contains a statement that changes data.

    The first keyword decides (comments and whitespace before it are skipped). A `WITH`
    statement writes when its main statement does (`WITH x AS (...) INSERT ...`) or when
    one of its common table expressions does (PostgreSQL's `WITH d AS (DELETE ...
    RETURNING id) SELECT ...`). A partial text (the literal start of an f-string) is
    fine: only the leading keywords are needed.
    """
    for words in _statements(text):
        if not words:
            continue
        first = words[0]
        if first == "WITH":
            if any(
                word in _CTE_WRITES and previous not in _NOT_A_STATEMENT
                for previous, word in itertools.pairwise(words)
            ):
                return True
        elif first in WRITE_SQL_KEYWORDS:
            return True
    return False


def _literal_prefix(glob: str) -> str:
    """The literal text of a key-style glob up to its first wildcard (`[*]` is a literal `*`)."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "[" and i + 2 < len(glob) and glob[i + 2] == "]":
            out.append(glob[i + 1])
            i += 3
            continue
        if char in "*?[":
            break
        out.append(char)
        i += 1
    return "".join(out)


# -- the detector ---------------------------------------------------------------------
class PrimaryDbWrites:
    """Answers "is this call a primary-database write?" and "does this function write?".

    One instance serves one file check; it remembers the functions found to write so that
    a project's helpers are searched once.
    """

    def __init__(
        self,
        resolver: Resolver,
        keys: KeyResolver | None = None,
        markers: Iterable[str] = (),
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        self.resolver = resolver
        self.keys = keys
        self.markers = frozenset(markers)
        self.max_depth = max_depth
        self._writers: set[tuple[str, str]] = set()

    # -- one call -----------------------------------------------------------------
    def call_write(self, facts: ModuleFacts, site: CallSite) -> str | None:
        """Why `site` writes the primary database ("SQL INSERT", "Django save()", ...) or None."""
        return self._write(facts, site.scope, site.func, site.ir)

    def _write(self, facts: ModuleFacts, scope: str, func: ir.IR, call: ir.Call) -> str | None:
        if self.markers:
            marker = self._marker(facts, scope, func)
            if marker is not None:
                return f"configured write {marker}"
        if not isinstance(func, ir.Attr) or func.attr not in _WRITE_METHODS:
            return None
        method, receiver = func.attr, func.value
        if self.resolver.client(facts, scope, receiver) is not None:
            return None  # a Redis command is never a primary-database write
        positional = call.args
        if method in SQL_METHODS:
            statement = self._statement_arg(call)
            if statement is not None:
                reason = self._statement_writes(facts, scope, statement)
                if reason is not None:
                    return reason
            elif (
                method == "execute"
                and not positional
                and not call.star
                and self._peewee_query(facts, scope, receiver)
            ):
                return "peewee query"
        if method in MONGO_WRITES:
            return f"MongoDB {method}()"
        if method in _BULK_COPY:
            return f"asyncpg {method}()"
        if method == "commit" and self._commit_receiver(facts, scope, receiver):
            return f"{ir.render(receiver)}.commit()"
        if method in SESSION_WRITES and self._session(facts, scope, receiver):
            return f"SQLAlchemy session.{method}()"
        if method in DJANGO_MANAGER_WRITES and "objects" in self._chain_names(
            facts, scope, receiver
        ):
            return f"Django objects.{method}()"
        if (
            method in _INSTANCE_WRITES
            and not positional
            and not any(name in _FILE_KEYWORDS for name, _ in call.kwargs)
        ):
            return f"ORM {method}()"
        if method in ("create", "acreate") and self._orm_class(facts, scope, receiver):
            return f"ORM {ir.render(receiver)}.{method}()"
        return None

    def _marker(self, facts: ModuleFacts, scope: str, func: ir.IR) -> str | None:
        for name in (self.resolver.qualified(facts, scope, func), ir.dotted(func)):
            if name is not None and name in self.markers:
                return name
        return None

    @staticmethod
    def _statement_arg(call: ir.Call) -> ir.IR | None:
        if call.args:
            return call.args[0]
        for name in _SQL_KEYWORD_ARGS:
            value = call.kwarg(name)
            if value is not None:
                return value
        return None

    def _statement_writes(self, facts: ModuleFacts, scope: str, statement: ir.IR) -> str | None:
        text = self.sql_text(facts, scope, statement)
        if text is not None and sql_writes(text):
            return f"SQL {text.split(None, 1)[0].upper()}"
        for call in self._calls_in_chain(facts, scope, statement):
            func = call.func
            if isinstance(func, ir.Attr) and func.attr in _SQLALCHEMY_STATEMENTS:
                return f"SQLAlchemy {func.attr}()"  # `table.insert().values(...)`
            qualified = self.resolver.qualified(facts, scope, func) or ""
            head, _, last = qualified.rpartition(".")
            if last in _SQLALCHEMY_STATEMENTS and head.split(".")[0] in _SQLALCHEMY_PACKAGES:
                return f"SQLAlchemy {last}()"  # `insert(User).values(...)`
        return None

    def sql_text(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> str | None:
        """The known leading text of a SQL argument, through `text()` / `SQL()` wrappers."""
        for _ in range(4):
            if (
                isinstance(expr, ir.Call)
                and isinstance(expr.func, ir.Attr)
                and expr.func.attr == "format"  # psycopg `sql.SQL("...").format(...)`
            ):
                expr = expr.func.value
                continue
            if isinstance(expr, ir.Call) and expr.args:
                head = ir.dotted(expr.func) or ""
                if head.rpartition(".")[2] in ("text", "SQL"):
                    expr = expr.args[0]
                    continue
            break
        if isinstance(expr, ir.Str):
            return expr.value
        if self.keys is None:
            return None
        glob = self.keys.glob(facts, scope, expr, whole=True)
        if glob is None:
            return None
        prefix = _literal_prefix(glob)
        return prefix or None

    # -- receivers ------------------------------------------------------------------
    def _chain(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> Iterator[ir.IR]:
        """The calls and attributes along a method chain, outermost first. A local name
        assigned once (`qs = Order.objects.filter()`) is followed, so `qs.update()` is
        seen whole."""
        follow = 3
        for _ in range(32):
            if isinstance(expr, ir.Await):
                expr = expr.value
            elif isinstance(expr, ir.Call):
                yield expr
                expr = expr.func
            elif isinstance(expr, ir.Attr):
                yield expr
                expr = expr.value
            elif isinstance(expr, ir.Name) and follow > 0:
                value = self._single_assignment(facts, scope, expr.id)
                if value is None:
                    return
                expr = value
                follow -= 1
            else:
                return

    def _chain_names(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> list[str]:
        """The attribute names along a method chain: `Order.objects.filter(x)` gives
        ["filter", "objects"]."""
        return [link.attr for link in self._chain(facts, scope, expr) if isinstance(link, ir.Attr)]

    def _calls_in_chain(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> Iterator[ir.Call]:
        """The calls along a method chain, outermost first (`a.b(x).c(y)` -> c(y), b(x))."""
        return (link for link in self._chain(facts, scope, expr) if isinstance(link, ir.Call))

    def _single_assignment(self, facts: ModuleFacts, scope: str, name: str) -> ir.IR | None:
        found = self.resolver.lookup(facts, scope, name)
        if found is None:
            return None
        owner, bindings = found
        if owner.kind == "module" or len(bindings) != 1 or bindings[0].kind != "assign":
            return None
        return bindings[0].value

    def _origins(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> list[str]:
        """Dotted names of the calls that produced `expr` (`session = Session()` -> Session)."""
        bindings: list[Binding] = []
        if isinstance(expr, ir.Name):
            found = self.resolver.lookup(facts, scope, expr.id)
            if found is not None:
                bindings = found[1]
        elif isinstance(expr, ir.Attr) and isinstance(expr.value, ir.Name):
            cls = self.resolver.self_class(facts, scope, expr.value.id)
            if cls is not None:
                bindings = cls.self_attrs.get(expr.attr, []) + cls.bindings.get(expr.attr, [])
        names: list[str] = []
        for binding in bindings:
            value = binding.value
            if isinstance(value, ir.Await):
                value = value.value
            if binding.kind in ("assign", "with") and isinstance(value, ir.Call):
                func = value.func
                name = self.resolver.qualified(facts, binding.scope, func) or ir.dotted(func)
                if name is not None:
                    names.append(name)
        return names

    def _http(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> bool:
        return any(
            name.split(".")[0] in _HTTP_PACKAGES or "client" in name.rpartition(".")[2].lower()
            for name in self._origins(facts, scope, expr)
        )

    def _session(self, facts: ModuleFacts, scope: str, receiver: ir.IR) -> bool:
        dotted = ir.dotted(receiver)
        if dotted is None:
            return False
        if self._http(facts, scope, receiver):
            return False
        if dotted.rpartition(".")[2].lower().endswith("session"):
            return True
        return any(
            "session" in name.rpartition(".")[2].lower()
            for name in self._origins(facts, scope, receiver)
        )

    def _commit_receiver(self, facts: ModuleFacts, scope: str, receiver: ir.IR) -> bool:
        dotted = ir.dotted(receiver)
        if dotted is None:
            return False
        last = dotted.rpartition(".")[2].lower()
        if last in _COMMIT_NAMES or last.endswith(_COMMIT_SUFFIXES):
            return not self._http(facts, scope, receiver)
        return self._session(facts, scope, receiver)

    def _orm_class(self, facts: ModuleFacts, scope: str, receiver: ir.IR) -> bool:
        value = self.resolver.value(facts, scope, receiver)
        if isinstance(value, Class):
            return True
        if isinstance(value, External):
            return value.qualname.split(".")[0] in _ORM_PACKAGES
        return False

    def _peewee_query(self, facts: ModuleFacts, scope: str, receiver: ir.IR) -> bool:
        """`Model.update(...).where(...).execute()` and kin, on a project model class."""
        return any(
            isinstance(call.func, ir.Attr)
            and call.func.attr in PEEWEE_QUERY_WRITES
            and self._orm_class(facts, scope, call.func.value)
            for call in self._calls_in_chain(facts, scope, receiver)
        )

    # -- functions ------------------------------------------------------------------
    def function_writes(self, facts: ModuleFacts, scope_key: str) -> bool:
        """Whether the function writes the primary database, itself or through project
        functions it calls (to `max_depth` calls deep, across modules)."""
        return self._search(facts, scope_key, self.max_depth, set())

    def _search(
        self, facts: ModuleFacts, key: str, depth: int, visited: set[tuple[str, str]]
    ) -> bool:
        marker = (facts.path, key)
        if marker in self._writers:
            return True
        if marker in visited or key not in facts.scopes:
            return False
        visited.add(marker)
        sites = facts.scopes[key].calls
        for site in sites:
            if self.call_write(facts, site) is not None or self._callable_args_write(facts, site):
                self._writers.add(marker)
                return True
        if depth <= 0:
            return False
        for site in sites:
            for callee in self._callees(facts, site):
                target = self.resolver.module_facts(callee.path)
                if target is not None and self._search(target, callee.key, depth - 1, visited):
                    self._writers.add(marker)
                    return True
        return False

    def _callable_args_write(self, facts: ModuleFacts, site: CallSite) -> bool:
        """A bound method passed to be called later: `sync_to_async(order.save)`,
        `run_in_executor(None, session.commit)`."""
        return any(
            isinstance(arg, ir.Attr)
            and self._write(facts, site.scope, arg, ir.Call(arg, (), ())) is not None
            for arg in site.ir.args
        )

    def _callees(self, facts: ModuleFacts, site: CallSite) -> Iterator[Function]:
        """The project functions a call runs: its callee (a class's `__init__`), and
        functions passed to it as arguments (callbacks, `transaction(fn)`)."""
        value = self.resolver.value(facts, site.scope, site.func)
        if isinstance(value, Function):
            yield value
        elif isinstance(value, Class):
            init = self.resolver.value(facts, site.scope, ir.Attr(site.func, "__init__"))
            if isinstance(init, Function):
                yield init
        for arg in (*site.ir.args, *(v for _, v in site.ir.kwargs)):
            if isinstance(arg, ir.Name | ir.Attr):
                passed = self.resolver.value(facts, site.scope, arg)
                if isinstance(passed, Function):
                    yield passed
