"""What a command does to its key's expiry (TTL), as every TTL rule and the inventory see it.

Redis's TTL semantics are easy to get wrong, which is why three families of findings
exist (RL201, RL202, RL204) and why the keyspace inventory reports "sets a TTL": they
all read the answer from here.

- Some commands always give a key (or hash fields) an expiry: SETEX, EXPIRE, HEXPIRE...
- Some do when given an option: SET / GETEX / HSETEX ... with ex/px/exat/pxat, or
  keep the existing one (`keepttl`).
- The SET family replaces the value *and discards the TTL* (SET without an expiry or
  keepttl, GETSET, SETNX, MSET, MSETNX).
- Many writes create a missing key with no TTL (HSET, SADD, INCR, ...).

An option counts when it is present and not a literal None/False: a variable TTL is a
TTL as far as the code's intent goes (rules.md on RL105). When the arguments cannot be
read (`*args`, a non-constant `execute_command` token) the answer is "unknown" and the
rules stay quiet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import libcst as cst

from redislint.semantics import ir

if TYPE_CHECKING:
    from redislint.semantics.model import FileModel, RedisCall

# Commands that always set an expiry (on the key, or on hash fields for the H* ones).
ALWAYS_EXPIRE = frozenset(
    {
        "SETEX",
        "PSETEX",
        "EXPIRE",
        "PEXPIRE",
        "EXPIREAT",
        "PEXPIREAT",
        "HEXPIRE",
        "HPEXPIRE",
        "HEXPIREAT",
        "HPEXPIREAT",
    }
)
# The EXPIRE family proper: only give an existing key an expiry.
EXPIRE_COMMANDS = frozenset({"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"})
# Hash-field commands: the expiry deletes fields, not the whole key.
FIELD_EXPIRE = frozenset({"HEXPIRE", "HPEXPIRE", "HEXPIREAT", "HPEXPIREAT", "HSETEX", "HGETEX"})
# Commands that set an expiry only when given one of EXPIRY_PARAMS (or keep it: KEEPTTL).
OPTIONAL_EXPIRE = frozenset({"SET", "GETEX", "HSETEX", "HGETEX", "MSETEX", "INCREX"})
EXPIRY_PARAMS = ("ex", "px", "exat", "pxat")
_KEEPS = frozenset({"SET", "HSETEX"})  # commands with a KEEPTTL option
_EXPIRY_TOKENS = frozenset(p.upper() for p in EXPIRY_PARAMS)
# execute_command: where the options start (after the command word), and the word where
# they stop (field lists may hold any word, including "EX").
_TOKEN_SPAN: dict[str, tuple[int, str | None]] = {
    "SET": (2, None),
    "GETEX": (1, None),
    "HSETEX": (1, "FIELDS"),
    "HGETEX": (1, "FIELDS"),
}

# Replace the value and drop the key's TTL (SET only when no expiry or keepttl is given).
OVERWRITES_TTL = frozenset({"SET", "GETSET", "SETNX", "MSET", "MSETNX"})
# Create the key when it is missing, with no TTL (an existing key keeps its TTL). Explicit
# because the command table cannot tell "creates" apart: LPUSHX, RPUSHX, LINSERT and LSET
# carry the same key-spec flags but never create a key; *STORE commands, COPY and RENAME
# are left out because their destination is not the only key.
CREATES_WITHOUT_TTL = frozenset(
    {
        "APPEND",
        "SETRANGE",
        "INCR",
        "INCRBY",
        "DECR",
        "DECRBY",
        "INCRBYFLOAT",
        "SETBIT",
        "BITFIELD",
        "PFADD",
        "HSET",
        "HMSET",
        "HSETNX",
        "HINCRBY",
        "HINCRBYFLOAT",
        "LPUSH",
        "RPUSH",
        "SADD",
        "ZADD",
        "ZINCRBY",
        "GEOADD",
        "XADD",
    }
)
DELETE_COMMANDS = frozenset({"DEL", "UNLINK", "GETDEL"})

ExpiryKind = Literal["sets", "keeps", "none", "unknown"]


@dataclass(frozen=True)
class Expiry:
    """The call's effect on expiry: `sets` one, `keeps` the current one (keepttl),
    `none` (no expiry option given), or `unknown` (the arguments cannot be read)."""

    kind: ExpiryKind
    # How the expiry is written, for messages: "SETEX", "SET with ex=", "SET EX".
    description: str = ""
    # The expiry arguments of a method call (for fixes that remove them).
    args: tuple[cst.Arg, ...] = ()

    @property
    def sets(self) -> bool:
        return self.kind == "sets"


_NONE = Expiry("none")
_UNKNOWN = Expiry("unknown")


def given(argument: cst.Arg | None, *, flag: bool = False) -> bool:
    """An argument counts when given, even as a variable; a literal None (or False for
    a flag) is the same as leaving it out."""
    if argument is None:
        return False
    value = ir.from_cst(argument.value)
    return not (isinstance(value, ir.Const) and value.value in ((None, False) if flag else (None,)))


def expiry_of(model: FileModel, call: RedisCall) -> Expiry:
    if call.command in ALWAYS_EXPIRE:
        return Expiry("sets", call.command)
    if call.command not in OPTIONAL_EXPIRE:
        return _NONE
    if call.method == "execute_command":
        return _from_tokens(model, call)
    star = [a for a in call.node.args if a.star]
    args: list[cst.Arg] = []
    names: list[str] = []
    for name in EXPIRY_PARAMS:
        argument = call.param(name)
        if not given(argument):
            continue
        assert argument is not None
        if argument.keyword is None and star:
            continue  # positions after *args are unknown
        args.append(argument)
        names.append(f"{name}=" if argument.keyword is not None else f"{name} (positional)")
    if args:
        return Expiry("sets", f"{call.command} with {', '.join(names)}", tuple(args))
    if call.command in _KEEPS and given(call.param("keepttl"), flag=True):
        return Expiry("keeps", f"{call.command} with keepttl")
    return _UNKNOWN if star else _NONE


def _from_tokens(model: FileModel, call: RedisCall) -> Expiry:
    """`execute_command("SET", key, value, "EX", 60)` and kin: read the option words."""
    span = _TOKEN_SPAN.get(call.command)
    if span is None or call.site.ir.star:
        return _UNKNOWN
    start, stop = span
    unknown = False
    for argument in call.site.ir.args[1 + start :]:
        token = model.constant(call.site.scope, argument)
        if token is None:
            unknown = True
            continue
        token = token.upper()
        if token == stop:
            break
        if token in _EXPIRY_TOKENS:
            return Expiry("sets", f"{call.command} {token}")
        if token == "KEEPTTL" and call.command in _KEEPS:
            return Expiry("keeps", f"{call.command} KEEPTTL")
    return _UNKNOWN if unknown else _NONE


# Options that make a creating command touch only an existing key (method parameter).
ONLY_IF_EXISTS = {"ZADD": "xx", "XADD": "nomkstream"}


def may_not_create(model: FileModel, call: RedisCall) -> bool:
    """Writes that only touch an existing key (ZADD XX, XADD NOMKSTREAM), or that cannot
    be judged (unpacked arguments may hold those options)."""
    flag = ONLY_IF_EXISTS.get(call.command)
    if flag is None:
        return False
    if call.method == "execute_command":
        if call.site.ir.star:
            return True
        for option in call.site.ir.args[2:]:
            token = model.constant(call.site.scope, option)
            if token is not None and token.lower() == flag:
                return True
        return False
    if any(argument.star for argument in call.node.args):
        return True
    return given(call.param(flag), flag=True)
