"""RL102 read-modify-write-race: a value read from key K is written back to K.

`v = int(r.get(k) or 0); r.set(k, v + 1)` is two commands: two clients that run it at
once both read the same value and both write value + 1, so one update is lost. The
shape is reported when the model proves, on one client in one function:

- a read command (the command table's `readonly` flag: GET, HGET, LRANGE, ...) of a
  key, whose reply reaches (`semantics/flow.py`: locals, arithmetic, conversions,
  f-strings, method calls on the value) a value argument of
- a write command of the same key (rules.md "same key"), issued directly on the client.

A read that only decides whether to write carries no value and is not reported, nor
are writes queued on a pipeline (a transactional one is MULTI/EXEC; after WATCH the
code is a WATCH/retry loop), Lua scripts, a client that is WATCHed in the function, a
SET with a compare-and-set option (`ifeq=`), and code that holds a lock
(`with r.lock(...)`, `lock.acquire()`).

The unsafe fix covers the plain counter: `r.set(k, int(r.get(k) or 0) + n)` becomes
`r.incrby(k, n)` (`- n`: `decrby`), also when the read is first stored in a local used
only by that write (the local's assignment is then removed).
"""

from __future__ import annotations

from collections.abc import Hashable

import libcst as cst

from redislint.rules._base import NodeEdit, NodeFix, Rule
from redislint.semantics import ir
from redislint.semantics.flow import CAS_PARAMS, Flow, FunctionFlow
from redislint.semantics.key_index import KeyIndex
from redislint.semantics.locks import holds_lock
from redislint.semantics.model import KeyArg, RedisCall
from redislint.semantics.scopes import CallSite


class ReadModifyWriteRace(Rule):
    CODE = "RL102"

    def check(self) -> None:
        for scope_key, calls in self.model.calls_by_scope().items():
            reads = [call for call in calls if _reads_value(call)]
            if not reads:
                continue
            writes = [call for call in calls if _direct_write(call)]
            candidates = self._candidates(reads, writes)
            if not candidates:
                continue
            watched = self._watched(scope_key)
            flow = FunctionFlow(self.model, scope_key, reads)
            for write in writes:
                same = candidates.get(id(write))
                if not same or self._excused(write, watched):
                    continue
                for found in flow.flows_into(write):
                    if any(found.read is read for read in same):
                        self._report(found, flow)
                        break

    # -- what is the same ---------------------------------------------------------------
    def _identity(self, call: RedisCall) -> Hashable:
        receiver = call.site.receiver
        assert receiver is not None
        return self.model.resolver.identity(self.model.facts, call.site.scope, receiver)

    def _candidates(
        self, reads: list[RedisCall], writes: list[RedisCall]
    ) -> dict[int, list[RedisCall]]:
        """id(write) -> the reads of one of its keys on its client, in source order.

        The reads are filed by client and key (`semantics/key_index.py`), so each write
        meets only the reads of its keys (issue 12: every read against every write was
        quadratic); `_same_target` still decides each pair.
        """
        position = {id(read): number for number, read in enumerate(reads)}
        index: dict[Hashable, KeyIndex[RedisCall]] = {}
        for read in reads:
            if read.site.receiver is not None:
                by_key = index.setdefault(self._identity(read), KeyIndex())
                for key in read.keys:
                    by_key.add(key, read)
        found: dict[int, list[RedisCall]] = {}
        for write in writes:
            if write.site.receiver is None or self._identity(write) not in index:
                continue
            by_key = index[self._identity(write)]
            positions = {
                position[id(read)]
                for written in write.written_keys
                for read in by_key.candidates(written)
            }
            matching = [reads[p] for p in sorted(positions) if self._same_target(reads[p], write)]
            if matching:
                found[id(write)] = matching
        return found

    def _same_target(self, read: RedisCall, write: RedisCall) -> bool:
        if read.site.receiver is None or write.site.receiver is None:
            return False
        if self._identity(read) != self._identity(write):
            return False
        return _shared_key(read, write) is not None

    def _watched(self, scope_key: str) -> set[Hashable]:
        """Clients and pipelines WATCHed in this body (an optimistic-locking loop)."""
        resolver, facts = self.model.resolver, self.model.facts
        return {
            resolver.identity(facts, site.scope, site.receiver)
            for site in self.model.scope(scope_key).calls
            if site.method == "watch" and site.receiver is not None
        }

    def _excused(self, write: RedisCall, watched: set[Hashable]) -> bool:
        if self._identity(write) in watched:
            return True
        if write.command == "SET" and any(write.param(p) is not None for p in CAS_PARAMS):
            return True
        return holds_lock(self.model, write.site)

    # -- reporting --------------------------------------------------------------------
    def _report(self, found: Flow, flow: FunctionFlow) -> None:
        read, write = found.read, found.write
        key = _shared_key(read, write)
        assert key is not None
        glob = key.pattern.glob if key.pattern is not None else ir.render(key.expr)
        message = (
            f"{read.command} of '{glob}' flows into {write.command} of the same key outside "
            "a transaction: two clients doing this at once both read the old value, and "
            "one update is lost"
        )
        fix = self._counter_fix(found, flow)
        if fix is not None:
            hint = "use the atomic INCRBY/DECRBY instead of reading and writing back"
        else:
            hint = (
                "make it atomic: an atomic command (INCRBY, HINCRBY, ...), "
                f"`r.transaction(fn, {ir.render(key.expr)})` (WATCH/MULTI, retried on "
                "WatchError), or a Lua script"
            )
        self.report_call(write, message, hint=hint, fix=fix)

    # -- the counter fix ----------------------------------------------------------------
    def _counter_fix(self, found: Flow, flow: FunctionFlow) -> NodeFix | None:
        """`r.set(k, int(r.get(k) or 0) + n)` -> `r.incrby(k, n)` (see the module docs)."""
        read, write = found.read, found.write
        node = write.node
        if write.method != "set" or read.method != "get" or len(node.args) != 2:
            return None
        if any(a.keyword is not None or a.star for a in (*node.args, *read.node.args)):
            return None
        if len(read.node.args) != 1 or not isinstance(node.func, cst.Attribute):
            return None
        value = node.args[1].value
        if not isinstance(value, cst.BinaryOperation):
            return None
        if isinstance(value.operator, cst.Add):
            pairs = [(value.left, value.right), (value.right, value.left)]
            method = "incrby"
        elif isinstance(value.operator, cst.Subtract):
            pairs = [(value.left, value.right)]
            method = "decrby"
        else:
            return None
        for counter, amount in pairs:
            removed = self._counter_source(counter, read, write)
            if removed is None or not _plain_amount(amount) or flow.sources(amount):
                continue
            code = self.code_for
            text = f"{code(node.func.value)}.{method}({code(node.args[0].value)}, {code(amount)})"
            edits = [NodeEdit(node, text)]
            if isinstance(removed, cst.CSTNode):
                edits.append(NodeEdit(removed, ""))
            return NodeFix("unsafe", f"Replace GET + SET with {method.upper()}", tuple(edits))
        return None

    def _counter_source(
        self, expr: cst.BaseExpression, read: RedisCall, write: RedisCall
    ) -> cst.CSTNode | bool | None:
        """True when `expr` is `int(<read> or 0)` written in place; the statement to
        remove when it is a local assigned once from that (or from the bare read, the
        local then being converted in place) and used only here; None otherwise."""
        scope_key = write.site.scope
        if self._int_of(expr, read.node, scope_key):
            return True
        if isinstance(expr, cst.Call) and self._is_builtin_int(expr, scope_key):
            inner = _int_or_zero(expr)
            if isinstance(inner, cst.Name):
                return self._local_read(inner, read.node, write)
            return None
        if isinstance(expr, cst.Name):
            statement = self._local_assignment(expr.value, write)
            if statement is None:
                return None
            assigned = _assigned_value(statement)
            if assigned is not None and self._int_of(assigned, read.node, scope_key):
                return statement
        return None

    def _local_read(self, name: cst.Name, read: cst.Call, write: RedisCall) -> cst.CSTNode | None:
        statement = self._local_assignment(name.value, write)
        if statement is not None and _assigned_value(statement) is read:
            return statement
        return None

    def _int_of(self, expr: cst.BaseExpression, read: cst.Call, scope_key: str) -> bool:
        return (
            isinstance(expr, cst.Call)
            and self._is_builtin_int(expr, scope_key)
            and _int_or_zero(expr) is read
        )

    def _is_builtin_int(self, call: cst.Call, scope_key: str) -> bool:
        if not (isinstance(call.func, cst.Name) and call.func.value == "int"):
            return False
        return self.model.resolver.lookup(self.model.facts, scope_key, "int") is None

    def _local_assignment(self, name: str, write: RedisCall) -> cst.CSTNode | None:
        """The one statement `name = ...` of the write's function, when the name is bound
        only there and used only in the write (removing it then changes nothing else)."""
        scope = self.model.scope(write.site.scope)
        bindings = scope.bindings.get(name, [])
        if len(bindings) != 1 or bindings[0].kind != "assign" or scope.kind != "function":
            return None
        if _uses(scope.node, name) != 2:  # the assignment's target and the write
            return None
        for site in scope.calls:
            statement = site.statement
            if isinstance(statement, cst.SimpleStatementLine) and _assigns(statement, name):
                if statement.trailing_whitespace.comment is not None:
                    return None  # removing the line would orphan (or drop) the comment
                return statement if _before_in_block(scope.node, statement, write.site) else None
        return None


def _reads_value(call: RedisCall) -> bool:
    """A read command on a plain client (pipelines queue, they return no reply)."""
    return (
        call.info is not None
        and call.info.is_readonly
        and not call.info.is_write
        and call.client.kind == "client"
        and bool(call.keys)
    )


def _direct_write(call: RedisCall) -> bool:
    """A write on a plain client that replaces a value (the key spec's `update` or `OW`
    flag: SET, HSET, LSET, ZADD, ...). Inserts and removals of named members (SADD,
    RPUSH, SREM, HDEL) are deltas: a concurrent change is not overwritten by them."""
    flags = call.info.key_spec_flags if call.info is not None else frozenset()
    return (
        bool(flags & {"update", "OW"})
        and call.is_write
        and call.client.kind == "client"
        and not call.is_atomic_unit
        and bool(call.written_keys)
        and call.site.receiver is not None
    )


def _shared_key(read: RedisCall, write: RedisCall) -> KeyArg | None:
    """The write's key that is also a key of the read, if any."""
    for written in write.written_keys:
        for key in read.keys:
            if written.pattern is not None and key.pattern is not None:
                if written.pattern.same_key(key.pattern):
                    return written
            elif written.expr == key.expr and not isinstance(written.expr, ir.Other):
                return written
    return None


def _int_or_zero(call: cst.Call) -> cst.BaseExpression | None:
    """`x` from `int(x or 0)`."""
    if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return None
    inner = call.args[0].value
    if (
        isinstance(inner, cst.BooleanOperation)
        and isinstance(inner.operator, cst.Or)
        and isinstance(inner.right, cst.Integer)
        and inner.right.value == "0"
    ):
        left = inner.left
        return left.expression if isinstance(left, cst.Await) else left
    return None


def _plain_amount(expr: cst.BaseExpression) -> bool:
    """An amount INCRBY accepts as written: an int literal, a name or an attribute."""
    if isinstance(expr, cst.Integer):
        return True
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        return _plain_amount(expr.expression)
    return isinstance(expr, cst.Name | cst.Attribute)


def _assigned_value(statement: cst.CSTNode) -> cst.BaseExpression | None:
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        assign = statement.body[0]
        if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
            value = assign.value
            return value.expression if isinstance(value, cst.Await) else value
    return None


def _assigns(statement: cst.SimpleStatementLine, name: str) -> bool:
    if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Assign):
        return False
    targets = statement.body[0].targets
    return (
        len(targets) == 1
        and isinstance(targets[0].target, cst.Name)
        and targets[0].target.value == name
    )


def _uses(node: cst.CSTNode | None, name: str) -> int:
    """How many times `name` appears in `node` (nested functions included: a closure
    that reads the local is a use)."""
    if node is None:
        return 0
    count = 0
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name) and current.value == name:
            count += 1
        stack.extend(current.children)
    return count


def _before_in_block(root: cst.CSTNode | None, statement: cst.CSTNode, write: CallSite) -> bool:
    """The assignment and the write are statements of one block, the assignment first
    (removing it then leaves the block non-empty and the write where it was)."""
    if root is None or write.statement is statement:
        return False
    stack: list[cst.CSTNode] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.IndentedBlock):
            body = list(node.body)
            positions = [i for i, s in enumerate(body) if s is statement or s is write.statement]
            if len(positions) == 2:
                return body[positions[0]] is statement
        stack.extend(node.children)
    return False
