"""Which expressions are redis-py clients, pipelines and scripts, proven from their sources.

An expression is a client only when *every* source of it is proven: a redis-py
constructor or factory, a configured factory or name, an annotation naming a
redis-py class, or a project function / attribute / module-level name whose own
sources are all clients. Anything else (a dict, Django's cache, a parameter of
unknown type, one unknown branch of a conditional) is not a client, and the rules
stay silent on it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

import libcst as cst

from redislint.config import ClientName
from redislint.semantics import ir
from redislint.semantics.commands import CommandTable
from redislint.semantics.scopes import Binding, CallSite, ModuleFacts, Param, Scope

ClientKind = Literal["client", "pipeline", "sentinel", "script", "lock", "pubsub"]


@dataclass(frozen=True)
class Client:
    """A proven redis-py object and what is known about it."""

    kind: ClientKind
    is_async: bool = False
    cluster: bool = False
    # pipelines: True (MULTI/EXEC), False (transaction=False), None (unknown)
    transactional: bool | None = None
    replica: bool = False
    decode_responses: bool | None = None
    # the constructor call, for rules about connection settings (not part of identity)
    origin: ir.Call | None = field(default=None, compare=False)
    origin_scope: tuple[str, str] | None = field(default=None, compare=False)

    @property
    def sends_commands(self) -> bool:
        return self.kind in ("client", "pipeline")


@dataclass(frozen=True)
class External:
    """Something imported from outside the project: `redis.Redis`, `json.dumps`."""

    qualname: str


@dataclass(frozen=True)
class ProjectModule:
    name: str
    path: str  # the module's facts key (its file), so attributes resolve in that file


@dataclass(frozen=True)
class Function:
    path: str
    key: str


@dataclass(frozen=True)
class Class:
    path: str
    key: str


@dataclass(frozen=True)
class Instance:
    path: str
    key: str  # the class


@dataclass(frozen=True)
class BoundMethod:
    receiver: Client
    name: str


@dataclass(frozen=True)
class Factory:
    """A callable that makes a client when called: `functools.partial(redis.Redis, ...)`."""

    made: Client


Value = Client | External | ProjectModule | Function | Class | Instance | BoundMethod | Factory


def _with_from_url(names: Iterable[str]) -> list[str]:
    result = []
    for name in names:
        result += [name, f"{name}.from_url", f"{name}.from_pool"]
    return result


_SYNC = ["redis.Redis", "redis.StrictRedis", "redis.client.Redis", "redis.client.StrictRedis"]
_ASYNC = [
    "redis.asyncio.Redis",
    "redis.asyncio.StrictRedis",
    "redis.asyncio.client.Redis",
    "redis.asyncio.client.StrictRedis",
]
_CLUSTER = ["redis.RedisCluster", "redis.cluster.RedisCluster"]
_ASYNC_CLUSTER = ["redis.asyncio.RedisCluster", "redis.asyncio.cluster.RedisCluster"]
_SENTINEL = ["redis.Sentinel", "redis.sentinel.Sentinel"]
_ASYNC_SENTINEL = ["redis.asyncio.Sentinel", "redis.asyncio.sentinel.Sentinel"]

# qualified name of a callable -> the object its call returns
CONSTRUCTORS: dict[str, Client] = {
    **{n: Client("client") for n in _with_from_url(_SYNC)},
    "redis.from_url": Client("client"),
    "django_redis.get_redis_connection": Client("client"),
    # django-redis behind Django's cache object (only the object imported from
    # django.core.cache: `cache.client.get_client()`, `caches["x"].client.get_client()`)
    "django.core.cache.cache.client.get_client": Client("client"),
    "django.core.cache.caches[].client.get_client": Client("client"),
    **{n: Client("client", is_async=True) for n in _with_from_url(_ASYNC)},
    "redis.asyncio.from_url": Client("client", is_async=True),
    **{n: Client("client", cluster=True) for n in _with_from_url(_CLUSTER)},
    **{n: Client("client", is_async=True, cluster=True) for n in _with_from_url(_ASYNC_CLUSTER)},
    **{n: Client("sentinel") for n in _SENTINEL},
    **{n: Client("sentinel", is_async=True) for n in _ASYNC_SENTINEL},
}

# annotation names -> the object they declare
ANNOTATIONS: dict[str, Client] = {
    **{n: Client("client") for n in _SYNC},
    **{n: Client("client", is_async=True) for n in _ASYNC},
    **{n: Client("client", cluster=True) for n in _CLUSTER},
    **{n: Client("client", is_async=True, cluster=True) for n in _ASYNC_CLUSTER},
    "redis.client.Pipeline": Client("pipeline"),
    "redis.cluster.ClusterPipeline": Client("pipeline", cluster=True),
    "redis.asyncio.client.Pipeline": Client("pipeline", is_async=True),
    "redis.asyncio.cluster.ClusterPipeline": Client("pipeline", is_async=True, cluster=True),
}

# How many alias hops (`other = alias = r`) `Resolver.identity` follows.
_MAX_ALIAS_DEPTH = 8

_TRANSPARENT_DECORATORS = frozenset(
    {"lru_cache", "cache", "functools.lru_cache", "functools.cache", "staticmethod", "property"}
)
# Decorators that make a method an attribute: `self.client` is what the method returns.
PROPERTY_DECORATORS = frozenset(
    {"property", "cached_property", "functools.cached_property", "builtins.property"}
)
_CAST = frozenset({"typing.cast", "typing_extensions.cast"})
_PARTIAL = frozenset({"functools.partial"})
_DEPENDS = frozenset(
    {"fastapi.Depends", "fastapi.params.Depends", "fastapi.param_functions.Depends"}
)
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated", "Annotated"})
# Methods that change a container's items: a dict/list of clients mutated is not proven.
_MUTATORS = frozenset(
    {"update", "setdefault", "append", "extend", "insert", "pop", "popitem", "clear", "remove"}
)


def _queues_command(method: str) -> bool:
    """Whether `pipeline.<method>(...)` queues a command (and so returns the pipeline).

    `reset()` sends nothing and returns None; `execute()`, `watch()` and `multi()` are
    not command methods in the table.
    """
    if method == "execute_command":
        return True
    return method != "reset" and CommandTable.load().method(method) is not None


def merge(values: list[Value | None]) -> Value | None:
    """One value for several sources: all must be proven and agree."""
    if not values or any(v is None for v in values):
        return None
    first = values[0]
    if all(v == first for v in values):
        return first
    if all(isinstance(v, Client) for v in values):
        clients = [v for v in values if isinstance(v, Client)]
        kinds = {(c.kind, c.is_async, c.cluster) for c in clients}
        if len(kinds) != 1:
            return None
        tx = {c.transactional for c in clients}
        dec = {c.decode_responses for c in clients}
        return replace(
            clients[0],
            transactional=tx.pop() if len(tx) == 1 else None,
            decode_responses=dec.pop() if len(dec) == 1 else None,
            replica=any(c.replica for c in clients),
        )
    return None


def _literal_bool(value: ir.IR | None) -> bool | None:
    if isinstance(value, ir.Const) and isinstance(value.value, bool):
        return value.value
    return None


# (dotted module name, path of the importing file) -> that module's facts
FactsLoader = Callable[[str, str | None], ModuleFacts | None]
# (a module's facts key, a name) -> the facts of the project modules that import that
# module and mention the name, or None when one of them cannot be analysed
ImportersLoader = Callable[[str, str], list[ModuleFacts] | None]


def _no_module(*_args: object) -> None:
    """The loader of a closed resolver: nothing is loaded any more."""
    return None


class Resolver:
    """Evaluates IR expressions in a module's scopes to proven values, with memoisation.

    One resolver serves one run: it sees the module being checked and, through
    `load_module`, any project module it imports (loaded on demand).
    """

    def __init__(
        self,
        load_module: FactsLoader,
        facts_by_path: Callable[[str], ModuleFacts | None],
        factories: Iterable[str] = (),
        client_names: Iterable[str] = (),
        importers: ImportersLoader | None = None,
        client_name_entries: Iterable[ClientName] = (),
        relative_path: Callable[[str], str] | None = None,
        replicas: Iterable[str] = (),
    ) -> None:
        self._load_module = load_module
        self._facts_by_path = facts_by_path
        self.factories = frozenset(factories)
        self.client_names = frozenset(client_names)
        self._importers = importers
        # declared names with kind and scope; plain `client_names` are unscoped sync ones
        self._declared: dict[str, list[ClientName]] = {}
        for entry in (*client_name_entries, *(ClientName(n) for n in client_names)):
            if entry not in self._declared.setdefault(entry.name, []):
                self._declared[entry.name].append(entry)
        self.client_names = frozenset(self._declared)
        self._relative_path = relative_path or (lambda path: path)
        # configured names and factories of clients that read from a replica (RL405)
        self.replicas = frozenset(replicas)
        self._memo: dict[tuple[str, str, ir.IR], Value | None] = {}
        self._in_progress: set[tuple[str, str, ir.IR]] = set()
        self._identities: dict[tuple[str, str, ir.IR], Hashable] = {}  # see `identity`
        # module path -> function key -> its call sites in that module (`callers`); by
        # module, so that `forget` drops one module's without scanning everyone's.
        self._callers: dict[str, dict[str, list[tuple[CallSite, int]]]] = {}
        self._by_name: dict[str, dict[str, list[CallSite]]] = {}

    # -- public ---------------------------------------------------------------------
    def close(self) -> None:
        """Forget what was resolved (see `ProjectIndex.close`): the memo holds syntax
        trees, and the loaders are bound methods of the index that owns this resolver."""
        self._memo.clear()
        self._identities.clear()
        self._callers.clear()
        self._by_name.clear()
        self._load_module = _no_module
        self._facts_by_path = _no_module
        self._importers = None

    def forget(self, path: str) -> None:
        """Drop what is remembered of one module's call sites (its facts were released):
        a module parsed again has new call sites, and a rule must never be handed the
        old ones. Resolved values name modules by path and hold no syntax, so they stay."""
        self._by_name.pop(path, None)
        self._callers.pop(path, None)

    def invalidate(self, path: str) -> None:
        """The facts of module `path` changed: a resolved value anywhere may have read
        them (an imported client, a caller's argument), so none is kept."""
        self.forget(path)
        self._memo.clear()
        self._identities.clear()

    def load_module(self, name: str, near_path: str | None) -> ModuleFacts | None:
        """The facts of project module `name`, as imported from the file `near_path`."""
        return self._load_module(name, near_path)

    def value(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> Value | None:
        memo_key = (facts.path, scope, expr)
        try:  # most questions were asked before: one lookup (a key hashes its IR anew)
            return self._memo[memo_key]
        except KeyError:
            pass
        if memo_key in self._in_progress:
            return None  # recursion: not proven
        self._in_progress.add(memo_key)
        try:
            result = self._value(facts, scope, expr)
        finally:
            self._in_progress.discard(memo_key)
        self._memo[memo_key] = result
        return result

    def client(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> Client | None:
        value = self.value(facts, scope, expr)
        return value if isinstance(value, Client) else None

    def module_facts(self, path: str) -> ModuleFacts | None:
        """The facts of an already loaded module, e.g. where a resolved `Function` lives."""
        return self._facts_by_path(path)

    def lookup(
        self, facts: ModuleFacts, scope_key: str, name: str
    ) -> tuple[Scope, list[Binding]] | None:
        """Python's name lookup: local, enclosing functions (not classes), module."""
        scope: Scope | None = facts.scopes.get(scope_key)
        first = True
        while scope is not None:
            if name in scope.globals:
                scope = facts.scopes[""]
                first = True
                continue
            if (first or scope.kind != "class") and name in scope.bindings:
                return scope, scope.bindings[name]
            first = False
            scope = facts.scopes.get(scope.parent) if scope.parent is not None else None
        return None

    def qualified(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> str | None:
        value = self.value(facts, scope, expr)
        if isinstance(value, External):
            return value.qualname
        if isinstance(value, ProjectModule):
            return value.name
        if isinstance(value, Function):
            target = self._facts_by_path(value.path)
            if target is not None and target.module_name:
                return f"{target.module_name}.{value.key}"
        return None

    def identity(self, facts: ModuleFacts, scope: str, expr: ir.IR, depth: int = 0) -> Hashable:
        """A value equal for two expressions that name the same client object.

        Plain aliases (`other = r`), imports (`from app.db import client`) and module
        attributes (`db.client`) are followed to the name they stand for, so two names of
        one module-level client compare equal. Anything else keeps its own expression: a
        separately built client or pipeline is another connection.
        """
        if depth == 0:  # a rule asks about every call of a function: answered once each
            memo_key = (facts.path, scope, expr)
            known = self._identities.get(memo_key)
            if known is None:
                known = self._identities[memo_key] = self._identity(facts, scope, expr, 0)
            return known
        return self._identity(facts, scope, expr, depth)

    def _identity(self, facts: ModuleFacts, scope: str, expr: ir.IR, depth: int) -> Hashable:
        fallback = ("expr", facts.path, scope, expr)
        if depth > _MAX_ALIAS_DEPTH:
            return fallback
        if isinstance(expr, ir.Name):
            found = self.lookup(facts, scope, expr.id)
            if found is None:
                return fallback
            owner, bindings = found
            if len(bindings) == 1:
                binding = bindings[0]
                if binding.kind == "assign" and isinstance(binding.value, ir.Name | ir.Attr):
                    return self.identity(facts, binding.scope, binding.value, depth + 1)
                if binding.kind == "import" and binding.qualname:
                    return self._imported_identity(binding.qualname, facts, depth)
            return ("name", facts.path, owner.key, expr.id)
        if isinstance(expr, ir.Attr):
            base = self.value(facts, scope, expr.value)
            if isinstance(base, ProjectModule):
                target = self._facts_by_path(base.path)
                if target is not None and expr.attr in target.scopes[""].bindings:
                    return self.identity(target, "", ir.Name(expr.attr), depth + 1)
                return ("import", f"{base.name}.{expr.attr}")
            return ("attr", self.identity(facts, scope, expr.value, depth + 1), expr.attr)
        return fallback

    def _imported_identity(self, qualname: str, near: ModuleFacts, depth: int) -> Hashable:
        module_name, _, name = qualname.rpartition(".")
        target = self._load_module(module_name, near.path) if module_name else None
        if target is not None and name in target.scopes[""].bindings:
            return self.identity(target, "", ir.Name(name), depth + 1)
        return ("import", qualname)

    # -- evaluation -----------------------------------------------------------------
    def _value(self, facts: ModuleFacts, scope: str, expr: ir.IR) -> Value | None:
        if self.client_names or self.replicas:
            name = ir.dotted(expr)
            if name is not None and name in self.client_names:
                declared = self._declared_client(facts, name)
                if declared is not None:
                    return declared
            if name is not None and name in self.replicas:
                return Client("client", replica=True)
        if isinstance(expr, ir.Name):
            found = self.lookup(facts, scope, expr.id)
            if found is None:
                return None
            owner, bindings = found
            return self._bindings(facts, owner, expr.id, bindings)
        if isinstance(expr, ir.Attr):
            return self._attribute(facts, scope, expr)
        if isinstance(expr, ir.Call):
            return self._call(facts, scope, expr)
        if isinstance(expr, ir.IfExp):
            return merge(
                [self.value(facts, scope, expr.body), self.value(facts, scope, expr.orelse)]
            )
        if isinstance(expr, ir.Await):
            return self.value(facts, scope, expr.value)
        if isinstance(expr, ir.Subscript):
            return self._subscript(facts, scope, expr)
        return None

    def _declared_client(self, facts: ModuleFacts, name: str) -> Client | None:
        """The client `clients.names` declares for `name` in this file, if any."""
        rel = self._relative_path(facts.path)
        kinds = {(e.is_async, e.cluster) for e in self._declared[name] if e.applies_to(rel)}
        if len(kinds) != 1:
            return None  # not declared here, or declared as two kinds: not proven
        is_async, cluster = kinds.pop()
        return Client("client", is_async=is_async, cluster=cluster)

    def _subscript(self, facts: ModuleFacts, scope: str, expr: ir.Subscript) -> Value | None:
        """`CLIENTS["cache"]`: an item of a module-level dict/list display whose values are
        all proven clients, indexed by a literal; `caches["x"]` of an external object."""
        if len(expr.index) != 1:
            return None
        index = expr.index[0]
        if isinstance(expr.value, ir.Name):
            found = self.lookup(facts, scope, expr.value.id)
            if found is None:
                return None
            owner, bindings = found
            if owner.kind == "module" and (len(bindings) != 1 or expr.value.id in facts.mutated):
                return None
            if len(bindings) == 1 and bindings[0].kind == "assign":
                return self._container_item(facts, owner, expr.value.id, bindings[0], index)
        base = self.value(facts, scope, expr.value)
        if isinstance(base, External):
            if base.qualname in ANNOTATIONS:
                return base  # a generic alias, `Redis[bytes]`: the class itself
            return External(f"{base.qualname}[]")
        return None

    def _container_item(
        self, facts: ModuleFacts, owner: Scope, name: str, binding: Binding, index: ir.IR
    ) -> Value | None:
        node = binding.node
        if owner.kind != "module" or node is None or self._container_mutated(facts, name):
            return None
        items: list[tuple[ir.IR | None, ir.IR]] = []
        if isinstance(node, cst.Dict):
            for element in node.elements:
                if not isinstance(element, cst.DictElement):
                    return None  # `**other`: values not all known
                items.append((ir.from_cst(element.key), ir.from_cst(element.value)))
        elif isinstance(node, cst.List | cst.Tuple):
            for position, item in enumerate(node.elements):
                if isinstance(item, cst.StarredElement):
                    return None
                items.append((ir.Num(position), ir.from_cst(item.value)))
        else:
            return None
        values = [self.value(facts, binding.scope, value) for _, value in items]
        if not values or not all(isinstance(v, Client) for v in values):
            return None
        if isinstance(index, ir.Num) and isinstance(node, cst.List | cst.Tuple):
            position = int(index.value)
            if position != index.value or not -len(values) <= position < len(values):
                return None
            return values[position]
        if not isinstance(index, ir.Str | ir.Num):
            return None
        matching = [v for (key, _), v in zip(items, values, strict=True) if key == index]
        return matching[-1] if matching else None

    def _container_mutated(self, facts: ModuleFacts, name: str) -> bool:
        """Whether any call in the module changes the container `name` (`D.update(...)`)."""
        by_name = self._calls_by_name(facts)
        for method in _MUTATORS:
            for site in by_name.get(method, ()):
                if site.receiver == ir.Name(name):
                    return True
        return False

    def _bindings(
        self, facts: ModuleFacts, owner: Scope, name: str, bindings: list[Binding]
    ) -> Value | None:
        annotated = [b for b in bindings if b.kind == "annotated"]
        if annotated:
            declared = merge([self._annotation(facts, b.scope, b.value) for b in annotated])
            if declared is not None:
                return declared
            bindings = [b for b in bindings if b.kind != "annotated"]
        return merge([self._binding(facts, owner, name, b) for b in bindings])

    def _binding(
        self, facts: ModuleFacts, owner: Scope, name: str, binding: Binding
    ) -> Value | None:
        kind = binding.kind
        if kind == "assign" and binding.value is not None:
            return self.value(facts, binding.scope, binding.value)
        if kind == "import" and binding.qualname:
            return self._qualname(binding.qualname, facts)
        if kind == "def" and binding.target:
            return Function(facts.path, binding.target)
        if kind == "class" and binding.target:
            return Class(facts.path, binding.target)
        if kind == "with" and binding.value is not None:
            entered = self.value(facts, binding.scope, binding.value)
            return entered if isinstance(entered, Client) else None
        if kind == "unknown" and binding.target == "param":
            return self._param(facts, owner, name)
        return None

    def _qualname(self, qualname: str, near: ModuleFacts) -> Value | None:
        """An imported dotted name: a project module's member, or something external.

        Project modules are looked up from the importing file's source root first, so
        two projects checked in one run that both have a package `shop` stay apart.
        """
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            module_name = ".".join(parts[:cut])
            target = self._load_module(module_name, near.path)
            if target is None:
                continue
            value: Value | None = ProjectModule(module_name, target.path)
            for attr in parts[cut:]:
                value = self._member(value, attr)
                if value is None:
                    return None
            return value
        return External(qualname)

    def _member(self, base: Value | None, attr: str) -> Value | None:
        """`module.attr` for a project module: a name it binds, or a submodule."""
        if not isinstance(base, ProjectModule):
            return None
        target = self._facts_by_path(base.path)
        if target is None:
            return None
        if attr in target.scopes[""].bindings:
            return self.value(target, "", ir.Name(attr))
        submodule = self._load_module(f"{base.name}.{attr}", base.path)
        if submodule is not None:
            return ProjectModule(f"{base.name}.{attr}", submodule.path)
        return None

    def _attribute(self, facts: ModuleFacts, scope: str, expr: ir.Attr) -> Value | None:
        if isinstance(expr.value, ir.Name):
            owner_class = self.self_class(facts, scope, expr.value.id)
            if owner_class is not None:
                member = self._class_member(facts, owner_class, expr.attr, include_self=True)
                if member is None:
                    # a method inherited from redis-py: `self.pipeline()` in a subclass
                    inherited = self._class_instance(Class(facts.path, owner_class.key))
                    if isinstance(inherited, Client):
                        return BoundMethod(inherited, expr.attr)
                return member
        base = self.value(facts, scope, expr.value)
        if base is None:
            return None
        if isinstance(base, External):
            return External(f"{base.qualname}.{expr.attr}")
        if isinstance(base, ProjectModule):
            return self._member(base, expr.attr)
        if isinstance(base, Client):
            return BoundMethod(base, expr.attr)
        if isinstance(base, Class | Instance):
            target = self._facts_by_path(base.path)
            if target is None:
                return None
            return self._class_member(
                target, target.scopes[base.key], expr.attr, include_self=isinstance(base, Instance)
            )
        return None

    def self_class(self, facts: ModuleFacts, scope_key: str, name: str) -> Scope | None:
        """The class when `name` is the `self` parameter of a method (or a nested function)."""
        scope = facts.scopes.get(scope_key)
        while scope is not None and scope.kind in ("function", "lambda"):
            if name in scope.bindings and not (scope.params and scope.params[0].name == name):
                return None
            if scope.params and scope.params[0].name == name:
                if scope.parent_kind != "class" or any(
                    ir.dotted(d) in ("staticmethod", "classmethod") for d in scope.decorators
                ):
                    return None
                return facts.scopes[scope.parent] if scope.parent is not None else None
            scope = facts.scopes.get(scope.parent) if scope.parent is not None else None
        return None

    def _class_member(
        self, facts: ModuleFacts, cls: Scope, attr: str, *, include_self: bool
    ) -> Value | None:
        values: list[Value | None] = []
        if include_self and attr in cls.self_attrs:
            values.append(self._bindings(facts, cls, attr, cls.self_attrs[attr]))
        if attr in cls.bindings:
            if include_self:
                prop = self._property(facts, cls, attr)
                if prop is not None:
                    return prop
            values.append(self._bindings(facts, cls, attr, cls.bindings[attr]))
        if not values:
            for base in cls.bases:
                value = self.value(facts, cls.parent or "", base)
                if isinstance(value, Class):
                    target = self._facts_by_path(value.path)
                    if target is not None:
                        return self._class_member(
                            target, target.scopes[value.key], attr, include_self=include_self
                        )
            return None
        return merge(values)

    def _property(self, facts: ModuleFacts, cls: Scope, attr: str) -> Value | None:
        """`self.client` where `client` is a `@property` / `cached_property` method: what
        the method returns (a `@client.setter` beside it changes nothing)."""
        getters = []
        for binding in cls.bindings[attr]:
            if binding.kind != "def" or binding.target is None:
                return None
            method = facts.scopes[binding.target]
            names = {ir.dotted(d) for d in method.decorators}
            if names & PROPERTY_DECORATORS:
                getters.append(method)
            elif not all(n and n.endswith((".setter", ".deleter")) for n in names):
                return None
        if len(getters) != 1:
            return None
        return self._returned(facts, getters[0])

    def _returned(self, target: ModuleFacts, scope: Scope) -> Value | None:
        """What a function returns: its declared return type, else all its returns."""
        if scope.returns_annotation is not None:
            declared = self._annotation(target, scope.parent or "", scope.returns_annotation)
            if declared is not None:
                return declared
        if scope.is_generator or not scope.returns:
            return None
        return merge([self.value(target, scope.key, r) for r in scope.returns])

    def _annotation(self, facts: ModuleFacts, scope: str, annotation: ir.IR | None) -> Value | None:
        if annotation is None:
            return None
        if isinstance(annotation, ir.Str):  # `Optional["redis.Redis"]`, `cast("Redis", x)`
            parsed = ir.from_annotation_string(annotation.value)
            return None if isinstance(parsed, ir.Str) else self._annotation(facts, scope, parsed)
        if isinstance(annotation, ir.Subscript):
            head = self.qualified(facts, scope, annotation.value) or ir.dotted(annotation.value)
            if head in ("typing.Optional", "Optional") and len(annotation.index) == 1:
                return self._annotation(facts, scope, annotation.index[0])
            if head in _ANNOTATED and annotation.index:
                declared = self._annotation(facts, scope, annotation.index[0])
                if declared is not None:
                    return declared
                for extra in annotation.index[1:]:
                    dependency = self._dependency(facts, scope, extra)
                    if dependency is not None:
                        return dependency
                return None
            if head in ("typing.Union", "Union"):
                options = [i for i in annotation.index if i != ir.Const(None)]
                return merge([self._annotation(facts, scope, o) for o in options])
            return self._annotation(facts, scope, annotation.value)
        if isinstance(annotation, ir.BinOp) and annotation.op == "BitOr":
            sides = [s for s in (annotation.left, annotation.right) if s != ir.Const(None)]
            return merge([self._annotation(facts, scope, s) for s in sides])
        value = self.value(facts, scope, annotation)
        if isinstance(value, External):
            return ANNOTATIONS.get(value.qualname)
        if isinstance(value, Class):
            return self._class_instance(value)
        return None

    def _class_instance(self, cls: Class) -> Value | None:
        """A project class that subclasses a redis-py client is a client."""
        target = self._facts_by_path(cls.path)
        if target is None:
            return None
        scope = target.scopes[cls.key]
        for base in scope.bases:
            value = self.value(target, scope.parent or "", base)
            if isinstance(value, External) and value.qualname in ANNOTATIONS:
                return ANNOTATIONS[value.qualname]
            if isinstance(value, Class):
                inherited = self._class_instance(value)
                if isinstance(inherited, Client):
                    return inherited
        return Instance(cls.path, cls.key)

    def _call(self, facts: ModuleFacts, scope: str, call: ir.Call) -> Value | None:
        func = self.value(facts, scope, call.func)
        if isinstance(func, External):
            if func.qualname in _CAST and len(call.args) == 2:
                declared = self._annotation(facts, scope, call.args[0])
                return declared if isinstance(declared, Client) else None
            if func.qualname in _PARTIAL and call.args and not call.star:
                made = self._call(facts, scope, ir.Call(call.args[0], call.args[1:], call.kwargs))
                return Factory(made) if isinstance(made, Client) else None
            if func.qualname in CONSTRUCTORS:
                made = CONSTRUCTORS[func.qualname]
                return replace(
                    made,
                    decode_responses=decode_responses_of(func.qualname, call),
                    replica=made.replica or (made.cluster and reads_from_replicas(call)),
                    origin=call,
                    origin_scope=(facts.path, scope),
                )
            if func.qualname in self.factories:
                return Client("client", origin=None)
            if func.qualname in self.replicas:
                return Client("client", replica=True)
            return None
        if isinstance(func, Function):
            return self._function_result(func)
        if isinstance(func, Class):
            return self._class_instance(func)
        if isinstance(func, BoundMethod):
            result = self._method_result(func, call)
            if isinstance(result, Client) and result.kind == "script":
                # where the script was registered: its text is the call's first argument
                return replace(result, origin=call, origin_scope=(facts.path, scope))
            return result
        if isinstance(func, Factory):
            decode = _literal_bool(call.kwarg("decode_responses"))
            if decode is None:
                return func.made
            return replace(func.made, decode_responses=decode)
        return None

    def _function_result(self, func: Function) -> Value | None:
        target = self._facts_by_path(func.path)
        if target is None:
            return None
        scope = target.scopes[func.key]
        if target.module_name and f"{target.module_name}.{func.key}" in self.factories:
            return Client("client")
        if target.module_name and f"{target.module_name}.{func.key}" in self.replicas:
            return Client("client", replica=True)
        if any(ir.dotted(d) not in _TRANSPARENT_DECORATORS for d in scope.decorators):
            decorated = [d for d in scope.decorators if not isinstance(d, ir.Call)]
            if len(decorated) != len(scope.decorators) and not all(
                isinstance(d, ir.Call) and ir.dotted(d.func) in _TRANSPARENT_DECORATORS
                for d in scope.decorators
                if isinstance(d, ir.Call)
            ):
                return None
            if any(ir.dotted(d) not in _TRANSPARENT_DECORATORS for d in decorated):
                return None
        return self._returned(target, scope)

    def _method_result(self, method: BoundMethod, call: ir.Call) -> Value | None:
        receiver = method.receiver
        name = method.name
        if receiver.kind == "client" or (receiver.kind == "pipeline" and name == "pipeline"):
            if name == "pipeline":
                tx = call.kwarg("transaction")
                if tx is None and call.args:
                    tx = call.args[0]
                # RedisCluster.pipeline() defaults to transaction=None: no MULTI/EXEC
                default = not receiver.cluster
                transactional = default if tx is None else _literal_bool(tx)
                return Client(
                    "pipeline",
                    is_async=receiver.is_async,
                    cluster=receiver.cluster,
                    transactional=transactional,
                    decode_responses=receiver.decode_responses,
                )
            if name == "register_script":
                return Client("script", is_async=receiver.is_async, cluster=receiver.cluster)
            if name == "lock":
                return Client("lock", is_async=receiver.is_async)
            if name == "pubsub":
                return Client("pubsub", is_async=receiver.is_async)
        if receiver.kind == "sentinel" and name in ("master_for", "slave_for"):
            return Client("client", is_async=receiver.is_async, replica=name == "slave_for")
        if receiver.kind == "pipeline" and _queues_command(name):
            # a queued command returns the pipeline itself: `pipe.hset(...).expire(...)`
            return receiver
        return None

    def parameter_root(
        self, facts: ModuleFacts, scope_key: str, expr: ir.IR | None, *, through: bool = True
    ) -> str | None:
        """The parameter of function `scope_key` that `expr` is derived from, or None.

        With `through` (the default), any attribute or method call on a parameter counts
        (`ctx.redis`, `ctx.get_redis()`); without it only the parameter itself and its
        `pipeline()` (`p`, `p.pipeline()`, `pipe` from `with p.pipeline() as pipe`). Local
        names assigned once are followed. `self.x` is the object's own state, never a
        parameter. This is how a helper that receives its client is judged at its callers.
        """
        scope = facts.scopes.get(scope_key)
        for _ in range(8):
            if expr is None or scope is None:
                return None
            if isinstance(expr, ir.Await):
                expr = expr.value
            elif isinstance(expr, ir.Call):
                if not isinstance(expr.func, ir.Attr):
                    return None
                if not through and expr.func.attr != "pipeline":
                    return None
                expr = expr.func.value
            elif isinstance(expr, ir.Attr):
                if not through:
                    return None
                if isinstance(expr.value, ir.Name) and self.self_class(
                    facts, scope_key, expr.value.id
                ):
                    return None
                expr = expr.value
            elif isinstance(expr, ir.Name):
                if self.self_class(facts, scope_key, expr.id) is not None:
                    return None
                found = self.lookup(facts, scope_key, expr.id)
                if found is None or found[0] is not scope:
                    return None
                bindings = found[1]
                if any(b.kind == "unknown" and b.target == "param" for b in bindings):
                    return expr.id
                values = [b.value for b in bindings if b.kind in ("assign", "with")]
                if len(values) != 1:
                    return None
                expr = values[0]
            else:
                return None
        return None

    def bound_offset(self, facts: ModuleFacts, site: CallSite, callee: Scope) -> int:
        """1 when the call binds the callee's first parameter implicitly (a method called
        through an instance, `self.helper(p)`), else 0 (`Store.write(store, p)`, a
        static method, a plain function)."""
        if not (isinstance(site.func, ir.Attr) and callee.is_method):
            return 0
        if any(ir.dotted(d) == "staticmethod" for d in callee.decorators):
            return 0
        if any(ir.dotted(d) == "classmethod" for d in callee.decorators):
            return 1
        owner = self.value(facts, site.scope, site.func.value)
        return 0 if isinstance(owner, Class) else 1

    # -- parameters -------------------------------------------------------------------
    def _param(self, facts: ModuleFacts, scope: Scope, name: str) -> Value | None:
        param = scope.param(name)
        if param is None or param.star:
            return None
        if param.annotation is not None:
            declared = self._annotation(facts, scope.parent or "", param.annotation)
            if declared is not None or param.default is None:
                return declared
        if param.default is not None:
            dependency = self._dependency(facts, scope.parent or "", param.default)
            if dependency is not None:
                return dependency
            if param.annotation is not None:
                return None
        if param.index == 0 and self.self_class(facts, scope.key, name) is not None:
            # `self` in a project subclass of a redis-py client (or pipeline)
            assert scope.parent is not None
            inherited = self._class_instance(Class(facts.path, scope.parent))
            return inherited if isinstance(inherited, Client) else None
        return self._from_callers(facts, scope, param)

    def _dependency(self, facts: ModuleFacts, scope: str, default: ir.IR) -> Value | None:
        """FastAPI's `Depends(get_redis)`: the client the dependency returns or yields."""
        if not (isinstance(default, ir.Call) and default.args):
            return None
        if self.qualified(facts, scope, default.func) not in _DEPENDS:
            return None
        func = self.value(facts, scope, default.args[0])
        if not isinstance(func, Function):
            return None
        target = self._facts_by_path(func.path)
        if target is None:
            return None
        dependency = target.scopes[func.key]
        if dependency.is_generator:
            yielded = [self.value(target, func.key, ir.from_cst(n)) for n in dependency.yield_nodes]
            value = merge(list(yielded)) if yielded else None
        else:
            value = self._function_result(func)
        return value if isinstance(value, Client) else None

    def callers(self, facts: ModuleFacts, function_key: str) -> list[tuple[CallSite, int]]:
        """Call sites in the same module that call this function, with the argument offset.

        The offset is 1 for a method called through an instance (`self.helper(p)`),
        where the first parameter is bound implicitly.
        """
        known = self._callers.setdefault(facts.path, {})
        if function_key in known:
            return known[function_key]
        target = Function(facts.path, function_key)
        short = facts.scopes[function_key].name
        found: list[tuple[CallSite, int]] = []
        by_name = self._calls_by_name(facts)
        for site in by_name.get(short, []) + by_name.get("transaction", []):
            func = site.func
            last = func.id if isinstance(func, ir.Name) else getattr(func, "attr", None)
            if last == short and self.value(facts, site.scope, func) == target:
                found.append((site, self.bound_offset(facts, site, facts.scopes[function_key])))
            elif last == "transaction" and site.ir.args:
                receiver = site.receiver
                if receiver is None or self.client(facts, site.scope, receiver) is None:
                    continue
                if self.value(facts, site.scope, site.ir.args[0]) == target:
                    found.append((site, -1))  # marker: transaction() callback
        known[function_key] = found
        return found

    def _calls_by_name(self, facts: ModuleFacts) -> dict[str, list[CallSite]]:
        """The module's call sites by the callee's last name, built once per module."""
        index = self._by_name.get(facts.path)
        if index is None:
            index = {}
            for site in facts.calls:
                func = site.func
                last = func.id if isinstance(func, ir.Name) else getattr(func, "attr", None)
                if last is not None:
                    index.setdefault(last, []).append(site)
            self._by_name[facts.path] = index
        return index

    def _from_callers(self, facts: ModuleFacts, scope: Scope, param: Param) -> Value | None:
        if param.index < 0 or scope.kind != "function":
            return None
        sites = self.project_callers(facts, scope.key)
        if not sites:
            return None
        values: list[Value | None] = []
        for where, site, offset in sites:
            if offset == -1:
                values.append(Client("pipeline", transactional=True) if param.index == 0 else None)
                continue
            arg = argument(site.ir, param, offset)
            if arg is None:
                return None
            values.append(self.value(where, site.scope, arg))
        value = merge(values)
        return value if isinstance(value, Client) else None

    def project_callers(
        self, facts: ModuleFacts, function_key: str
    ) -> list[tuple[ModuleFacts, CallSite, int]] | None:
        """Every known call of a function, in its module and in the project modules that
        import it, as (module, site, argument offset); an `__init__` is called by
        constructing its class (`Inbox(connection=r)`, offset 1).

        None when a caller may be hidden: a module that imports this one and mentions
        the name cannot be analysed, or (for `__init__`) a project class derives from
        the class, since its own constructor may call this one with anything.
        """
        scope = facts.scopes[function_key]
        modules: list[ModuleFacts] = [facts]
        constructor = scope.name == "__init__" and scope.is_method and scope.parent is not None
        short = scope.name
        if constructor:
            assert scope.parent is not None
            short = facts.scopes[scope.parent].name
        if self._importers is not None:
            others = self._importers(facts.path, short)
            if others is None:
                return None
            modules += [m for m in others if m.path != facts.path]
        found: list[tuple[ModuleFacts, CallSite, int]] = []
        if not constructor:
            found += [(facts, site, offset) for site, offset in self.callers(facts, function_key)]
            target: Value = Function(facts.path, function_key)
            for other in modules[1:]:
                for site in self._calls_by_name(other).get(short, ()):
                    if self.value(other, site.scope, site.func) == target:
                        found.append((other, site, self.bound_offset(other, site, scope)))
            return found
        assert scope.parent is not None
        cls = Class(facts.path, scope.parent)
        for module in modules:
            if self._derives_from(module, cls):
                return None
            for site in self._calls_by_name(module).get(short, ()):
                if self.value(module, site.scope, site.func) == cls:
                    found.append((module, site, 1))
        # `cls(...)` in the class's own class methods constructs it too
        for site in self._calls_by_name(facts).get("cls", ()):
            if site.func == ir.Name("cls") and self._class_method_of(facts, site.scope) == cls:
                found.append((facts, site, 1))
        return found

    def _class_method_of(self, facts: ModuleFacts, scope_key: str) -> Class | None:
        scope = facts.scopes.get(scope_key)
        if (
            scope is None
            or not scope.is_method
            or scope.parent is None
            or not any(ir.dotted(d) == "classmethod" for d in scope.decorators)
            or not scope.params
            or scope.params[0].name != "cls"
        ):
            return None
        return Class(facts.path, scope.parent)

    def _derives_from(self, facts: ModuleFacts, cls: Class) -> bool:
        for scope in facts.scopes.values():
            if scope.kind == "class" and any(
                self.value(facts, scope.parent or "", base) == cls for base in scope.bases
            ):
                return True
        return False


def reads_from_replicas(call: ir.Call) -> bool:
    """A cluster client built to serve reads from replicas (`read_from_replicas=True`,
    or a `load_balancing_strategy`): its reads may return data the primary has already
    changed, while its writes still go to the primaries."""
    if _literal_bool(call.kwarg("read_from_replicas")) is True:
        return True
    strategy = call.kwarg("load_balancing_strategy")
    return strategy is not None and strategy != ir.Const(None)


def argument(call: ir.Call, param: Param, offset: int = 0) -> ir.IR | None:
    """The argument `call` passes for `param` (positional after `offset` implicit ones,
    or by keyword); None when not passed or hidden behind `*args`."""
    if param.star:
        return None
    position = param.index - offset
    if param.index >= 0 and 0 <= position < len(call.args) and not call.star:
        return call.args[position]
    return call.kwarg(param.name)


def decode_responses_of(qualname: str, call: ir.Call) -> bool | None:
    """What a constructor call says about `decode_responses`: True/False when proven,
    None when unknown.

    Absent means redis-py's default (False) only when nothing else can set it: no
    `**kwargs`, no `connection_pool` (the pool carries the setting), not `from_pool`,
    and for `from_url` a literal URL without a `decode_responses` query parameter.
    Factories such as django-redis's `get_redis_connection` are configured elsewhere.
    """
    given = call.kwarg("decode_responses")
    if given is not None:
        return _literal_bool(given)
    if call.star or call.kwarg("connection_pool") is not None:
        return None
    if qualname.endswith(".from_pool") or not qualname.startswith("redis."):
        return None
    if qualname.endswith("from_url"):
        url = call.args[0] if call.args else call.kwarg("url")
        if not isinstance(url, ir.Str) or "decode_responses" in url.value:
            return None
    return False
