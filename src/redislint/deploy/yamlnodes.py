"""YAML through PyYAML's node graph, so that every value keeps its position.

`yaml.compose_all` (not `safe_load`) gives nodes with `start_mark`/`end_mark`; PyYAML
is imported only here, and only when a YAML file is checked. Anchors and aliases are
resolved by the composer; merge keys (`<<:`) are followed for mappings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from redislint.deploy.model import DeployProblem, Location
from redislint.deploy.redisconf import Token

Node = Any  # yaml.Node; PyYAML ships no type hints


class YamlError(Exception):
    def __init__(self, problem: DeployProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def compose_documents(text: str, path: str) -> list[Node]:
    """Every document's root node (None documents dropped); YamlError when invalid."""
    import yaml

    try:
        return [doc for doc in yaml.compose_all(text, Loader=yaml.SafeLoader) if doc is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        where = Location(path, line, column, line, column)
        raise YamlError(DeployProblem(where, f"invalid YAML: {reason}")) from None
    except yaml.YAMLError as exc:
        raise YamlError(DeployProblem(Location(path, 1, 1, 1, 1), f"invalid YAML: {exc}")) from None


def location(node: Node, path: str) -> Location:
    start, end = node.start_mark, node.end_mark
    return Location(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def is_mapping(node: Node) -> bool:
    return node is not None and node.id == "mapping"


def is_sequence(node: Node) -> bool:
    return node is not None and node.id == "sequence"


def is_scalar(node: Node) -> bool:
    return node is not None and node.id == "scalar"


def items(node: Node) -> Iterator[tuple[Node, Node]]:
    """(key node, value node) pairs of a mapping, merge keys followed."""
    if not is_mapping(node):
        return
    for key, value in node.value:
        if is_scalar(key) and key.value == "<<":
            for merged in value.value if is_sequence(value) else [value]:
                yield from items(merged)
            continue
        yield key, value


def get(node: Node, name: str) -> tuple[Node, Node] | None:
    found = None
    for key, value in items(node):
        if is_scalar(key) and key.value == name:
            found = (key, value)
    return found


def value(node: Node, name: str) -> Node:
    pair = get(node, name)
    return pair[1] if pair is not None else None


def text(node: Node) -> str | None:
    """A scalar's text (None for a mapping, a sequence or a YAML null)."""
    if not is_scalar(node):
        return None
    if node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~", "null", "Null", "NULL"):
        return None
    return str(node.value)


def sequence(node: Node) -> list[Node]:
    return list(node.value) if is_sequence(node) else []


def tokens(node: Node, path: str) -> list[Token] | None:
    """A command given as a list of strings, or as one string split like a shell."""
    from redislint.deploy.server import locate, shell_words

    if is_sequence(node):
        found = []
        for item in node.value:
            item_text = text(item)
            if item_text is None:
                return None
            found.append(Token(item_text, location(item, path)))
        return found
    whole = text(node)
    if whole is None:
        return None
    words = shell_words(whole)
    if words is None:
        return None
    return locate(Token(whole, location(node, path)), words)
