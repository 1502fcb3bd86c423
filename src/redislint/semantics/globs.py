"""Key globs compared with each other: whether one contains the other.

Plain string work, kept apart from `keys.py` (which builds globs from syntax trees) so
that the project stage can compare the globs of cached facts without importing the
parser (the warm path, `warm.py`, decides deferred findings from the cache alone).
"""

from __future__ import annotations

import re

WILDCARD = "*"


def tokens(glob: str) -> list[str]:
    """Split a glob into tokens: '*', '?', a bracket class, or a literal character."""
    found: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "[":
            end = glob.find("]", i + 2)
            if end != -1:
                found.append(glob[i : end + 1])
                i = end + 1
                continue
        found.append(char)
        i += 1
    return found


def _char_matches(token: str, char_token: str) -> bool:
    """Does namespace token (literal, ?, class) accept the key's literal character token?"""
    literal = char_token[1] if char_token.startswith("[") and len(char_token) == 3 else char_token
    if char_token in ("*", "?"):
        return False
    if token == "?":
        return True
    if token.startswith("[") and len(token) > 2:
        body = token[1:-1]
        negate = body.startswith(("!", "^"))
        if negate:
            body = body[1:]
        inside = False
        j = 0
        while j < len(body):
            if j + 2 < len(body) and body[j + 1] == "-":
                inside |= body[j] <= literal <= body[j + 2]
                j += 3
            else:
                inside |= body[j] == literal
                j += 1
        return inside != negate
    return token == literal


_SPECIAL = re.compile(r"[*?\[\]]")


def _literal_edges_agree(a: str, b: str) -> bool:
    """False when the plain characters two globs start with (before any `*`, `?` or
    class) or end with differ: then neither can contain the other, since a plain
    character matches only itself. A cheap first test for the dynamic programme below
    (RL305's project resolution compares every pushed list with every consumed one)."""
    first_a, first_b = _SPECIAL.search(a), _SPECIAL.search(b)
    head_a = a if first_a is None else a[: first_a.start()]
    head_b = b if first_b is None else b[: first_b.start()]
    common = min(len(head_a), len(head_b))
    if head_a[:common] != head_b[:common]:
        return False
    if first_a is None or first_b is None:
        return True  # a plain string: its head is all of it, and was compared
    tail_a = a[max(a.rfind(c) for c in "*?[]") + 1 :]
    tail_b = b[max(b.rfind(c) for c in "*?[]") + 1 :]
    common = min(len(tail_a), len(tail_b))
    return common == 0 or tail_a[-common:] == tail_b[-common:]


def subsumes(namespace: str, key: str) -> bool:
    """True when every key the `key` glob can stand for matches the `namespace` glob.

    A wildcard in the key can only be absorbed by a wildcard of the namespace, so
    `order:*` is in `order:*` and in `*`, but `*:x` is not in `cache:*` (the unknown
    prefix might not be `cache`). That is what keeps namespace matching sound.
    """
    if not _literal_edges_agree(namespace, key):
        return False
    ns, k = tokens(namespace), tokens(key)
    # dp[i][j]: ns[:i] subsumes k[:j]
    previous = [True] + [False] * len(k)
    for i in range(1, len(ns) + 1):
        token = ns[i - 1]
        current = [False] * (len(k) + 1)
        if token == "*":
            current[0] = previous[0]
            for j in range(1, len(k) + 1):
                current[j] = previous[j] or current[j - 1]
        else:
            for j in range(1, len(k) + 1):
                current[j] = previous[j - 1] and _char_matches(token, k[j - 1])
        previous = current
    return previous[len(k)]


def has_text(glob: str) -> bool:
    """The glob has literal text, so that it can tell one key family from another."""
    return bool(glob.replace(WILDCARD, ""))


def matches_lock(glob: str, lock_glob: str) -> bool:
    """A deleted key belongs to a lock key pattern (equal, or inside it)."""
    return glob == lock_glob or subsumes(lock_glob, glob)
