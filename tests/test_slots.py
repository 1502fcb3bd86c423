"""`semantics/slots.py` against a real cluster-mode server, and the static slot proofs.

RL107 stands on `key_slot` being Redis's own function: CRC16 (XMODEM) over the hash
tag (first `{`, first `}` after it, non-empty) or the whole key. The server's
`CLUSTER KEYSLOT` is the oracle, on generated keys that stress the tag rules.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import libcst as cst
import pytest

from redislint.semantics import ir
from redislint.semantics.slots import SlotKey, Var, crc16, hashed_part, key_slot, same_slot

if TYPE_CHECKING:
    import redis

_ALPHABET = ["{", "}", "{", "}", "a", "b", "x", ":", "0", "é", "中", "ß", "😀", " ", "\t"]
_SHAPES = [
    "", "{}", "{}x", "x{}", "{}{a}", "{a}", "{a}x", "x{a}", "{a}{b}", "{{a}}", "{a{b}c}",
    "}{a}", "{a", "a}", "}{", "{}}", "{{}}", "a{b}c{d}e", "{é}:1", "{中文}:x", "{😀}",
    "user:{42}:profile", "user:{42}:friends", "{user42}", "{ user42 }",
]  # fmt: skip


def _generated_keys(count: int, seed: int = 8) -> list[str | bytes]:
    rng = random.Random(seed)
    keys: list[str | bytes] = list(_SHAPES) + [s.encode() for s in _SHAPES]
    while len(keys) < count:
        kind = rng.random()
        if kind < 0.6:
            keys.append("".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 12))))
        elif kind < 0.85:  # arbitrary bytes, braces likely
            size = rng.randint(0, 10)
            keys.append(bytes(rng.choice([0x7B, 0x7D, rng.randrange(256)]) for _ in range(size)))
        else:  # a long tagged key
            tag = "".join(rng.choice(_ALPHABET[4:]) for _ in range(rng.randint(0, 6)))
            keys.append(f"app:{{{tag}}}:" + str(rng.randrange(10**9)))
    return keys


@pytest.mark.redis
def test_key_slot_matches_cluster_keyslot(cluster_client: redis.Redis) -> None:
    keys = _generated_keys(12_000)
    assert len(keys) >= 10_000
    pipe = cluster_client.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command("CLUSTER", "KEYSLOT", key)
    server = pipe.execute()
    mismatches = [(k, s) for k, s in zip(keys, server, strict=True) if s != key_slot(k)]
    assert not mismatches, mismatches[:10]
    # the generator really exercises the tag rules, not just plain keys
    assert sum(1 for k in keys if (b"{}" if isinstance(k, bytes) else "{}") in k) > 100
    assert len(set(server)) > 5000


def test_crc16_reference_values() -> None:
    # Redis's own test vector (crc16.c: "123456789" -> 0x31C3) and documented slots
    assert crc16(b"123456789") == 0x31C3
    assert hashed_part(b"{user1000}.following") == b"user1000"
    assert hashed_part(b"foo{}{bar}") == b"foo{}{bar}"
    assert hashed_part(b"foo{{bar}}zap") == b"{bar"
    assert hashed_part(b"foo{bar}{zap}") == b"bar"
    assert key_slot("{user1000}.following") == key_slot("{user1000}.followers")
    assert key_slot("é") == key_slot("é".encode())


def _key(*parts: str | Var) -> SlotKey:
    return SlotKey.of(parts)


UID = Var(("name", "uid"), "uid")
OTHER = Var(("name", "other"), "other")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (_key("{user}:a"), _key("{user}:b"), True),
        (_key("user:1"), _key("user:2"), key_slot("user:1") == key_slot("user:2")),
        (_key("{", UID, "}:a"), _key("{", UID, "}:b"), True),
        (_key("acct:{", UID, "}"), _key("acct:{", OTHER, "}"), None),
        (_key("user:", UID, ":a"), _key("user:", UID, ":b"), None),  # no tag
        (_key("{}", UID, ":a"), _key("{}", UID, ":b"), None),  # empty tag: whole key
        (_key("x:{t}:", UID), _key("y:{t}:", OTHER), True),  # same literal tag
        (_key("x:{t}:", UID), _key("t"), True),  # tag t and the key t hash alike
        (_key(UID, "{t}:a"), _key(UID, "{t}:b"), True),  # identical prefix holds the tag
        (_key(UID, ":a"), _key(UID, ":b"), None),
        (_key("a:{", UID), _key("a:{", UID, "}"), None),  # unclosed tag
    ],
)
def test_same_slot(a: SlotKey, b: SlotKey, expected: bool | None) -> None:
    assert same_slot(a, b) is expected


def test_opaque_keys_start_with_a_variable() -> None:
    assert _key(UID, ":a").opaque
    assert not _key("user:", UID).opaque


def test_fstring_braces_are_literal_in_ir() -> None:
    # f"{{{uid}}}" is a literal brace around the variable (the hash tag)
    value = ir.from_cst(cst.parse_expression('f"{{{uid}}}:a"'))
    assert value == ir.FStr(("{", ir.Name("uid"), "}:a"))
