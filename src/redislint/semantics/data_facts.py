"""Project facts about how lists and streams are consumed and which types keys hold.

Producers for `project_facts.PRODUCERS` (RL305 and RL306 decide on the whole project):

- `list-consumed`: lists popped or moved (LPOP, RPOP, BLPOP, BRPOP, LMPOP, BLMPOP, and
  the source of LMOVE, BLMOVE, RPOPLPUSH, BRPOPLPUSH), trimmed (LTRIM) or emptied by
  LREM. A list consumer whose key cannot be resolved (`blpop(queue_keys)`, a parameter)
  counts for every list: `*`. A work queue is not a leak, and a queue whose name is
  computed is still a queue.
- `stream-trimmed`: streams trimmed (XTRIM, XDEL) or capped on write (XADD with
  `maxlen`/`minid` in any form, positional or variable, or the MAXLEN/MINID words).
  Unresolvable keys count for every stream, as above.
- `key-dropped`: keys deleted as a whole (DEL, UNLINK, GETDEL) or given an expiry. An
  unresolvable key here counts for nothing: `delete(key)` helpers are everywhere, and
  treating them as deleting every list would silence the rule for any project.
- `typed-use`: every use of a resolved key pattern with a command of one data type,
  as `glob \\x1f type \\x1f path \\x1f order` records, so that the first use of a pattern
  in the project (path order, then source order) can be found even for files a run
  does not check (pre-commit passes a few files).

Every entry is prefixed with the governing configuration's root (`root \\x1f ...`): a
project is what one configuration governs (the runner gathers outside facts per
configuration root too), and two projects checked in one run (a monorepo's packages,
the fixture projects under tests/fixtures) must not exempt or contradict each other.
The project stage reads them back with `facts_types.in_project` (the record formats
live there, beside `FileFacts`, so that it needs no parser).

Files in test paths contribute nothing: a test that deletes its queue, or builds a key of
the wrong type on purpose, says nothing about production.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from redislint.semantics import ir
from redislint.semantics.expiry import DELETE_COMMANDS, FIELD_EXPIRE, given
from redislint.semantics.facts_types import SEPARATOR, use_record

if TYPE_CHECKING:
    from redislint.semantics.keys import KeyPattern
    from redislint.semantics.model import FileModel, RedisCall

ANY = "*"

# Commands that consume a list: all their keys, or only the first (the source).
_POPS_ALL = frozenset({"LPOP", "RPOP", "BLPOP", "BRPOP", "LTRIM", "LREM", "LMPOP", "BLMPOP"})
_POPS_FIRST = frozenset({"LMOVE", "BLMOVE", "RPOPLPUSH", "BRPOPLPUSH"})
_STREAM_TRIMS = frozenset({"XTRIM", "XDEL"})
_CAP_PARAMS = ("maxlen", "minid")
_CAP_WORDS = frozenset({"MAXLEN", "MINID"})


def _scoped(model: FileModel, entries: Iterator[str]) -> Iterator[str]:
    root = str(model.config.root)
    for entry in entries:
        yield f"{root}{SEPARATOR}{entry}"


def _globs(
    call: RedisCall, *, first_only: bool = False, unknown: str | None = ANY
) -> Iterator[str]:
    keys = call.keys[:1] if first_only else call.keys
    if not keys and unknown is not None:
        yield unknown  # keys passed in a way the model does not bind (*args, numkeys)
    for key in keys:
        if key.pattern is not None:
            yield key.pattern.glob
        elif unknown is not None:
            yield unknown


def list_consumed(model: FileModel) -> Iterator[str]:
    if model.is_test_path:
        return
    yield from _scoped(model, _list_consumed(model))


def _list_consumed(model: FileModel) -> Iterator[str]:
    for call in model.redis_calls:
        if call.command in _POPS_ALL:
            yield from _globs(call)
        elif call.command in _POPS_FIRST:
            yield from _globs(call, first_only=True)


def xadd_capped(model: FileModel, call: RedisCall) -> bool | None:
    """Whether an XADD caps its stream (MAXLEN/MINID given); None when unreadable."""
    if call.method == "execute_command":
        if call.site.ir.star:
            return None
        unknown = False
        for argument in call.site.ir.args[2:]:
            word = model.constant(call.site.scope, argument)
            if word is None:
                unknown = True
            elif word.upper() in _CAP_WORDS:
                return True
            elif word == "*":
                break  # the id: options end here
        return None if unknown else False
    if any(argument.star for argument in call.node.args):
        return None
    return any(given(call.param(name)) for name in _CAP_PARAMS)


def stream_trimmed(model: FileModel) -> Iterator[str]:
    if model.is_test_path:
        return
    yield from _scoped(model, _stream_trimmed(model))


def _stream_trimmed(model: FileModel) -> Iterator[str]:
    for call in model.redis_calls:
        if call.command in _STREAM_TRIMS or (
            call.command == "XADD" and xadd_capped(model, call) is not False
        ):
            yield from _globs(call, first_only=call.command == "XADD")


def key_dropped(model: FileModel) -> Iterator[str]:
    if model.is_test_path:
        return
    yield from _scoped(model, _key_dropped(model))


def _key_dropped(model: FileModel) -> Iterator[str]:
    for call in model.redis_calls:
        if call.command in DELETE_COMMANDS:
            yield from _globs(call, unknown=None)
        elif call.command not in FIELD_EXPIRE and model.expiry(call).kind in ("sets", "unknown"):
            yield from _globs(call, first_only=True, unknown=None)


def typed_uses(model: FileModel) -> Iterator[tuple[RedisCall, KeyPattern, str]]:
    """(call, key pattern, data type) of every use of a comparable key pattern with a typed
    command. A pattern is comparable when it starts with a literal: `*:x` may stand for
    keys of any namespace, so it proves nothing about another `*:x`."""
    for call in model.redis_calls:
        data_type = call.info.data_type if call.info is not None else None
        if data_type is None or call.command == "SORT":
            continue
        for key in call.keys:
            pattern = key.pattern
            if (
                pattern is not None
                and not pattern.glob.startswith(("*", "?", "["))
                and not isinstance(key.expr, ir.Other)
            ):
                yield call, pattern, data_type


def typed_use_records(model: FileModel) -> Iterator[str]:
    if model.is_test_path:
        return
    yield from _scoped(model, _typed_use_records(model))


def _typed_use_records(model: FileModel) -> Iterator[str]:
    for call, pattern, data_type in typed_uses(model):
        yield use_record(comparable(pattern), data_type, model.path, call.site.order)


def comparable(pattern: KeyPattern) -> str:
    """What RL306 compares: the glob, when it has at most one unknown part (`user:*`);
    a glob with several (`saq:*:*` from `f"saq:{name}:{kind}"`) stands for unrelated
    keys of one shape, so it is compared only with uses over the same variables."""
    if pattern.glob.count("*") <= 1:
        return pattern.glob
    names = ",".join(sorted(pattern.variables)) if pattern.variables is not None else "?"
    return f"{pattern.glob} over {names}"
