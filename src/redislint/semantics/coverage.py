"""Where the model is blind: files that use Redis but where no client was proven.

A file that imports redis (or a client from a project module) and in which the model proves
no client sends commands the rules never see: its keys are missing from the inventory
and no rule speaks about it. `redislint keys` and `redislint check --verbose` list such
files, so that a user knows where to declare a factory or a client name.
"""

from __future__ import annotations

from redislint.semantics import ir
from redislint.semantics.clients import Client
from redislint.semantics.model import FileModel
from redislint.semantics.scopes import ModuleFacts

# Imports that bring no client: exceptions, typing helpers.
_NOT_A_CLIENT = ("redis.exceptions", "redis.typing", "redis.backoff", "redis.retry")


def _redis_import(qualname: str) -> bool:
    head = qualname.split(".")[0]
    if head not in ("redis", "django_redis"):
        return False
    return not qualname.startswith(_NOT_A_CLIENT)


def _imports_redis(facts: ModuleFacts) -> bool:
    return any(
        binding.kind == "import" and binding.qualname and _redis_import(binding.qualname)
        for scope in facts.scopes.values()
        for bindings in scope.bindings.values()
        for binding in bindings
    )


def uses_redis(model: FileModel) -> bool:
    """The file imports redis, or imports a client from a project module.

    Importing any name of a project module that itself imports redis is not enough:
    shared typing and utility modules would make most files of a project look blind.
    """
    facts = model.facts
    if _imports_redis(facts):
        return True
    for scope in facts.scopes.values():
        for name, bindings in scope.bindings.items():
            if any(b.kind == "import" for b in bindings) and isinstance(
                model.resolver.value(facts, scope.key, ir.Name(name)), Client
            ):
                return True
    return False


def proves_a_client(model: FileModel) -> bool:
    """Some command is sent through a proven client, or a client is built here, or a
    parameter is declared as one."""
    if model.redis_calls:
        return True
    facts, resolver = model.facts, model.resolver
    for site in facts.calls:
        if isinstance(resolver.value(facts, site.scope, site.ir), Client):
            return True
    for scope in facts.functions():
        for param in scope.params:
            if param.annotation is not None and isinstance(
                resolver.value(facts, scope.key, ir.Name(param.name)), Client
            ):
                return True
    return False


def is_blind(model: FileModel) -> bool:
    """The file uses Redis (as `uses_redis` says) but no client was proven in it."""
    return uses_redis(model) and not proves_a_client(model)
