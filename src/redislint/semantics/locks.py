"""Lock knowledge: which keys are locks, which lock objects exist, what holds a lock.

A Redis lock is a key written only if absent (`SET key token NX PX ttl`, or the older
SETNX); whoever wrote it holds the lock until it is deleted or expires. redis-py's
`r.lock(name, timeout=...)` (`redis.lock.Lock`) does exactly that and releases with a
Lua compare-and-delete, so only the holder's own token is removed. The rules ask:

- RL104: is a deleted key a lock key? A key is a lock key when its pattern is written
  with NX (or is the name of a redis-py Lock) anywhere in the project, because the
  release usually lives in another function or module than the acquire;
- RL105: does a lock expire? (`r.lock(name)` without `timeout`, SET NX without expiry);
- RL102: is a read-modify-write done while holding a lock (then it is serialised)?
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from redislint.semantics import ir
from redislint.semantics.clients import BoundMethod, Client
from redislint.semantics.expiry import given
from redislint.semantics.globs import has_text
from redislint.semantics.keys import KeyPattern
from redislint.semantics.model import FileModel, KeyArg, RedisCall
from redislint.semantics.scopes import CallSite

# redis-py's Lock classes: `Lock(redis, name, timeout=None, ...)`.
REDIS_PY_LOCKS = frozenset({"redis.lock.Lock", "redis.asyncio.lock.Lock"})
# Lock objects of lock libraries: holding one serialises the code it guards.
LIBRARY_LOCKS = frozenset(
    {
        "redis_lock.Lock",
        "pottery.Redlock",
        "pottery.redlock.Redlock",
        "redlock.Redlock",
        "redlock.RedLock",
        "aioredlock.Aioredlock",
        *REDIS_PY_LOCKS,
    }
)
DELETE_COMMANDS = frozenset({"DEL", "UNLINK"})
_LOCK_WORDS = ("lock", "mutex", "semaphore", "leader")


@dataclass(frozen=True)
class LockObject:
    """A redis-py Lock built in this file: `r.lock(name, ...)` or `Lock(r, name, ...)`."""

    site: CallSite
    name: ir.IR | None
    pattern: KeyPattern | None
    # the `timeout` argument: None when absent; `unknown` when `*args`/`**kwargs` hide it
    timeout: cst.Arg | None
    unknown: bool


def is_nx_write(model: FileModel, call: RedisCall) -> bool:
    """SETNX, or SET with `nx=True` (keyword or positional) / the NX token."""
    if call.command == "SETNX":
        return True
    if call.command != "SET":
        return False
    if call.method == "execute_command":
        tokens = [model.constant(call.site.scope, a) for a in call.site.ir.args[3:]]
        return any(t is not None and t.upper() == "NX" for t in tokens)
    return given(call.param("nx"), flag=True)


def nx_keys(model: FileModel) -> Iterator[tuple[RedisCall, KeyArg]]:
    """Every key this file writes with NX, with the writing call."""
    for call in model.iter_calls("SET", "SETNX"):
        if is_nx_write(model, call):
            for key in call.keys:
                yield call, key


def lock_objects(model: FileModel) -> list[LockObject]:
    """The redis-py Lock objects this file creates, with their name and timeout."""
    found: list[LockObject] = []
    facts, resolver = model.facts, model.resolver
    for site in facts.calls:
        func = site.func
        last = func.attr if isinstance(func, ir.Attr) else getattr(func, "id", None)
        if last not in ("lock", "Lock"):
            continue  # cheap test first: resolving every callee would cost a third of a run
        if isinstance(func, ir.Attr) and func.attr == "lock":
            bound = resolver.value(facts, site.scope, func)
            if not (isinstance(bound, BoundMethod) and bound.receiver.kind == "client"):
                continue
            name_at, timeout_at = 0, 1
        elif isinstance(func, ir.Name | ir.Attr) and (
            resolver.qualified(facts, site.scope, func) in REDIS_PY_LOCKS
        ):
            name_at, timeout_at = 1, 2
        else:
            continue
        name_arg = _argument(site.node, "name", name_at)
        name = ir.from_cst(name_arg.value) if name_arg is not None else None
        pattern = model.key_pattern(site.scope, name) if name is not None else None
        timeout = _argument(site.node, "timeout", timeout_at)
        unknown = timeout is None and any(a.star for a in site.node.args)
        found.append(LockObject(site, name, pattern, timeout, unknown))
    return found


def lock_globs(model: FileModel) -> frozenset[str]:
    """The globs of this file's lock keys: keys written with NX and Lock names.

    redis-py's Lock stores its token under the lock's name itself (SET name token NX PX),
    so deleting that key by hand breaks the lock like any other.
    """
    globs = {key.pattern.glob for _, key in nx_keys(model) if key.pattern is not None}
    globs |= {lock.pattern.glob for lock in lock_objects(model) if lock.pattern is not None}
    return frozenset(globs)


def lock_key_facts(model: FileModel) -> frozenset[str]:
    """The "lock-key" project fact: this file's lock key globs that name something
    (a bare `*`, a key that is only a parameter, would match every key)."""
    return frozenset(glob for glob in lock_globs(model) if has_text(glob))


def released_key_facts(model: FileModel) -> frozenset[str]:
    """The "released-key" project fact: keys deleted or handed to a script here."""
    return frozenset(glob for glob in released_globs(model) if has_text(glob))


def named_like_lock(glob: str) -> bool:
    """The key's literal text says it is a lock (`lock:job:*`, `mutex`, `leader`)."""
    text = glob.lower()
    return any(word in text for word in _LOCK_WORDS)


def released_globs(model: FileModel) -> frozenset[str]:
    """Globs of keys this file deletes (DEL, UNLINK, GETDEL) or hands to a script as a
    key (a Lua compare-and-delete release): evidence that an NX key is a lock."""
    globs: set[str] = set()
    for call in model.redis_calls:
        keys: tuple[KeyArg, ...] | list[KeyArg] = ()
        if call.command in ("DEL", "UNLINK", "GETDEL") or call.method == "<script>":
            keys = call.keys
        elif call.command in ("EVAL", "EVALSHA"):
            keys = _eval_keys(model, call)
        globs |= {k.pattern.glob for k in keys if k.pattern is not None}
    return frozenset(globs)


def holds_lock(model: FileModel, site: CallSite) -> bool:
    """Whether `site` runs while a lock is held: inside `with <lock>:` or in a function
    that calls `<lock>.acquire()` (redis-py's Lock or a lock library's)."""
    if any(_is_lock(model, site.scope, item) for item in site.with_stack):
        return True
    return model.enclosing_function(site.scope).key in model.lock_acquiring_scopes


def acquiring_scopes(model: FileModel) -> frozenset[str]:
    """The scopes (functions, the module body) whose own calls include
    `<lock>.acquire()`: `holds_lock` for every call site of those scopes."""
    found: set[str] = set()
    for scope in model.facts.scopes.values():
        for other in scope.calls:
            receiver = other.receiver
            if (
                other.method == "acquire"
                and receiver is not None
                and _is_lock(model, other.scope, receiver)
            ):
                found.add(scope.key)
                break
    return frozenset(found)


def _is_lock(model: FileModel, scope: str, expr: ir.IR, depth: int = 0) -> bool:
    facts, resolver = model.facts, model.resolver
    if isinstance(expr, ir.Await):
        expr = expr.value
    value = resolver.value(facts, scope, expr)
    if isinstance(value, Client) and value.kind == "lock":
        return True
    if isinstance(expr, ir.Call) and isinstance(expr.func, ir.Name | ir.Attr):
        return resolver.qualified(facts, scope, expr.func) in LIBRARY_LOCKS
    if isinstance(expr, ir.Name) and depth < 4:
        found = resolver.lookup(facts, scope, expr.id)
        if found is not None:
            bindings = [b for b in found[1] if b.kind in ("assign", "with")]
            return len(bindings) == len(found[1]) > 0 and all(
                b.value is not None and _is_lock(model, b.scope, b.value, depth + 1)
                for b in bindings
            )
    return False


def _eval_keys(model: FileModel, call: RedisCall) -> list[KeyArg]:
    """The keys of `eval(script, numkeys, *keys_and_args)` when numkeys is a literal."""
    args = call.site.ir.args
    if call.method == "execute_command":
        args = args[1:]
    if len(args) < 2 or not isinstance(args[1], ir.Num) or not isinstance(args[1].value, int):
        return []
    count = args[1].value
    return [
        KeyArg(None, expr, model.key_pattern(call.site.scope, expr)) for expr in args[2 : 2 + count]
    ]


def _argument(node: cst.Call, name: str, position: int) -> cst.Arg | None:
    positional = 0
    for argument in node.args:
        if argument.star:
            continue
        if argument.keyword is not None:
            if argument.keyword.value == name:
                return argument
        else:
            if positional == position:
                return argument
            positional += 1
    return None
