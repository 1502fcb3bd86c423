"""RL106 watch-without-retry: a WATCH whose `execute()` does not handle WatchError.

WATCH is optimistic locking: when another client changes a watched key before EXEC,
the transaction is discarded and redis-py's `execute()` raises `WatchError`. Code that
WATCHes must expect that and retry (or deliberately give up); without an
`except WatchError` the conflict surfaces as an unexpected exception, under exactly
the contention the WATCH was written for.

Per rules.md: any `except WatchError` (retrying or not) handles it; `r.transaction(fn,
*keys)` retries by itself. A pipeline received as a parameter is judged at the caller:
the helper is fine when every caller in the module calls it inside a `try` that handles
WatchError (or passes it through `transaction()`); with no visible caller it is not
judged. A function that WATCHes but never calls `execute()` on that pipeline is not
judged either (the pipeline is executed elsewhere). The finding points at `watch()`.
"""

from __future__ import annotations

from collections.abc import Hashable

from redislint.positions import spans
from redislint.rules._base import Rule
from redislint.semantics import ir
from redislint.semantics.dialect import watch_retry
from redislint.semantics.scopes import CallSite, Scope


class WatchWithoutRetry(Rule):
    CODE = "RL106"

    def check(self) -> None:
        model, resolver, facts = self.model, self.model.resolver, self.model.facts
        # per function, the execute() calls by pipeline: one pass over its calls, not one
        # per watch() (issue 12: N watches in one function were quadratic)
        self._executes_by_scope: dict[str, dict[Hashable, list[CallSite]]] = {}
        self._unhandled: dict[tuple[str, Hashable], bool] = {}
        for site in facts.calls:
            receiver = site.receiver
            if site.method != "watch" or receiver is None or site.in_watch_error_handler:
                continue
            client = model.client_of(site.scope, receiver)
            if client is None or client.kind != "pipeline":
                continue
            scope = model.enclosing_function(site.scope)
            if scope.kind == "function" and resolver.parameter_root(
                facts, scope.key, receiver, through=False
            ):
                unhandled = self._unhandled_caller(scope)
                if unhandled is not None:
                    self._report(site, f"its caller ({unhandled}) does not handle WatchError")
                continue
            if self._unhandled_execute(site, scope):
                self._report(site, "its execute() is not in a try that handles WatchError")

    def _unhandled_execute(self, watch: CallSite, scope: Scope) -> bool:
        """The watched pipeline is executed in this function, and no `execute()` of it
        is in a try that handles WatchError (known once per pipeline, not per watch)."""
        resolver, facts = self.model.resolver, self.model.facts
        assert watch.receiver is not None
        target: Hashable = resolver.identity(facts, watch.scope, watch.receiver)
        known = self._unhandled.get((scope.key, target))
        if known is None:
            executes = self._executes(watch, scope)
            known = bool(executes) and not any(e.in_watch_error_handler for e in executes)
            self._unhandled[(scope.key, target)] = known
        return known

    def _executes(self, watch: CallSite, scope: Scope) -> list[CallSite]:
        """The `execute()` calls on the watched pipeline in this function."""
        resolver, facts = self.model.resolver, self.model.facts
        assert watch.receiver is not None
        target: Hashable = resolver.identity(facts, watch.scope, watch.receiver)
        by_pipeline = self._executes_by_scope.get(scope.key)
        if by_pipeline is None:
            by_pipeline = {}
            for other in scope.calls:
                if other.method == "execute" and other.receiver is not None:
                    identity = resolver.identity(facts, other.scope, other.receiver)
                    by_pipeline.setdefault(identity, []).append(other)
            self._executes_by_scope[scope.key] = by_pipeline
        return by_pipeline.get(target, [])

    def _unhandled_caller(self, scope: Scope) -> str | None:
        """The first caller (as `name() at line N`) that does not handle WatchError."""
        for caller, offset in self.model.resolver.callers(self.model.facts, scope.key):
            if offset == -1 or caller.in_watch_error_handler:
                continue  # transaction() retries; or the caller catches it
            module = self.model.facts.module
            span = spans(module, [caller.node]).get(id(caller.node)) if module else None
            where = f" at line {span.line}" if span is not None else ""
            return f"{ir.render(caller.func)}(){where}"
        return None

    def _report(self, site: CallSite, why: str) -> None:
        keys = ", ".join(
            repr(
                pattern.glob
                if (pattern := self.model.key_pattern(site.scope, arg))
                else ir.render(arg)
            )
            for arg in site.ir.args
        )
        message = (
            f"WATCH of {keys or 'keys'} without WatchError handling: {why}, so a concurrent "
            "change to a watched key makes the update fail with an exception instead of "
            "being retried"
        )
        client = self.model.client_of(site.scope, site.receiver) if site.receiver else None
        hint = watch_retry(client is not None and client.is_async)
        self.report(site.node, message, statement=site.statement, hint=hint)
