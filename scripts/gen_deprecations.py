#!/usr/bin/env python3
"""Regenerate `src/redislint/data/deprecations.json`: what redis-py itself deprecates.

Why generated: RL505 must say what the installed redis-py says, not what someone
remembered. This script reads redis-py's own source: for each client class a rule can
prove (sync and asyncio `Redis`, their pipelines and pub/sub, the cluster clients), every
public method whose definition (found through the class's MRO) either

* is decorated with `@deprecated_function(reason=..., version=..., name=...)`, or
* warns with `warnings.warn(DeprecationWarning("..."))` in its body

is listed with the reason and version redis-py gives. `@deprecated_args` (deprecated
parameters) is listed per method too. Nothing is typed by hand; the catalogue list
(StrictRedis, the 2.x argument orders) lives in the rule.

Output is deterministic; `tests/test_rl505_deprecations.py` checks that the committed file
is exactly what this script produces from the installed redis-py.

Usage: python scripts/gen_deprecations.py [--output PATH] [--check]
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parents[1] / "src" / "redislint" / "data" / "deprecations.json"

# (the model's client kind, is_async, cluster) -> redis-py class
CLASSES: dict[str, str] = {
    "client": "redis.client.Redis",
    "pipeline": "redis.client.Pipeline",
    "pubsub": "redis.client.PubSub",
    "async-client": "redis.asyncio.client.Redis",
    "async-pipeline": "redis.asyncio.client.Pipeline",
    "async-pubsub": "redis.asyncio.client.PubSub",
    "cluster-client": "redis.cluster.RedisCluster",
    "cluster-pipeline": "redis.cluster.ClusterPipeline",
    "async-cluster-client": "redis.asyncio.cluster.RedisCluster",
    "async-cluster-pipeline": "redis.asyncio.cluster.ClusterPipeline",
}


def _load(dotted: str) -> type:
    module_name, _, name = dotted.rpartition(".")
    cls = getattr(importlib.import_module(module_name), name)
    assert isinstance(cls, type)
    return cls


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        if isinstance(node, ast.BinOp):  # implicit "a" "b" is folded; "a" + "b" too
            return _literal(node.left) + _literal(node.right)
        return None


@functools.cache
def _definitions(path: str) -> dict[int, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every `def` of one source file by its first line (decorators included), parsed once."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    found: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.lineno] = node
            for decorator in node.decorator_list:
                found.setdefault(decorator.lineno, node)
    return found


def _definition(func: Any) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The `def` of `func` (decorators included), parsed from redis-py's source."""
    func = inspect.unwrap(func)
    path = inspect.getsourcefile(func)
    if path is None:
        return None
    return _definitions(path).get(func.__code__.co_firstlineno)


def _decorator_facts(definition: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for decorator in definition.decorator_list:
        if not isinstance(decorator, ast.Call):
            continue
        name = decorator.func.id if isinstance(decorator.func, ast.Name) else None
        kwargs = {k.arg: _literal(k.value) for k in decorator.keywords if k.arg}
        if name == "deprecated_function":
            facts["deprecated"] = {
                "reason": kwargs.get("reason") or "",
                "version": kwargs.get("version") or "",
            }
        elif name == "deprecated_args":
            for arg in kwargs.get("args_to_warn") or ["*"]:
                facts.setdefault("deprecated_args", {})[arg] = {
                    "reason": kwargs.get("reason") or "",
                    "version": kwargs.get("version") or "",
                }
    # Only an unconditional warning deprecates the method; one under an `if` is about an
    # argument (`from_url(auto_close_connection_pool=...)`) and redis-py names it there.
    for statement in definition.body:
        node = statement.value if isinstance(statement, ast.Expr) else statement
        # warnings.warn(DeprecationWarning("...")) or warnings.warn("...", DeprecationWarning)
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "warn"
            and node.args
        ):
            continue
        first = node.args[0]
        message = None
        if (
            isinstance(first, ast.Call)
            and isinstance(first.func, ast.Name)
            and first.func.id == "DeprecationWarning"
            and first.args
        ):
            message = _literal(first.args[0])
        elif any(isinstance(a, ast.Name) and a.id == "DeprecationWarning" for a in node.args[1:]):
            message = _literal(first)
        if isinstance(message, str) and "deprecated" not in facts:
            facts["warns"] = message
    return facts


def deprecations() -> dict[str, Any]:
    """{"redis_py_version", "classes": {kind: {method: {...}}}} from the installed redis-py."""
    import redis

    result: dict[str, Any] = {"redis_py_version": redis.__version__, "classes": {}}
    for kind, dotted in sorted(CLASSES.items()):
        cls = _load(dotted)
        methods: dict[str, Any] = {}
        for name in sorted(dir(cls)):
            if name.startswith("_") and name != "__init__":
                continue
            func = inspect.getattr_static(cls, name, None)
            if isinstance(func, staticmethod | classmethod):
                func = func.__func__
            if not inspect.isfunction(func):
                continue
            definition = _definition(func)
            if definition is None:
                continue
            facts = _decorator_facts(definition)
            if "warns" in facts and name == "__init__":
                del facts["warns"]  # constructor warnings are about arguments
            if facts:
                owner = func.__qualname__.rsplit(".", 1)[0]
                facts["defined_in"] = f"{inspect.unwrap(func).__module__}.{owner}"
                methods[name] = facts
        result["classes"][kind] = {"class": dotted, "methods": methods}
    return result


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    text = render(deprecations())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run scripts/gen_deprecations.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
