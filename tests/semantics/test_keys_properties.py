"""Properties of namespace matching: exact on literal keys, sound on patterns.

Soundness is what keeps the namespace rules quiet when they should be: if a key
pattern is said to lie in a namespace, every key it can stand for must match it.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from hypothesis import given, settings
from hypothesis import strategies as st

from redislint.semantics.keys import subsumes

ALPHABET = "ab:1"
literals = st.text(alphabet=ALPHABET, max_size=8)
namespaces = st.text(alphabet=ALPHABET + "*?", max_size=6)
# key globs: literal pieces joined by wildcards (what KeyResolver produces)
key_globs = st.lists(literals, min_size=1, max_size=4).map("*".join)


@settings(max_examples=400, deadline=None)
@given(namespace=namespaces, key=literals)
def test_literal_keys_match_exactly_like_fnmatch(namespace: str, key: str) -> None:
    assert subsumes(namespace, key) == fnmatchcase(key, namespace)


@settings(max_examples=400, deadline=None)
@given(
    namespace=namespaces,
    glob=key_globs,
    fillers=st.lists(literals, min_size=3, max_size=3),
)
def test_a_pattern_in_a_namespace_only_stands_for_keys_in_it(
    namespace: str, glob: str, fillers: list[str]
) -> None:
    if not subsumes(namespace, glob):
        return
    pieces = glob.split("*")
    for filler in fillers:  # instantiate every wildcard with the same sample text
        key = filler.join(pieces)
        assert fnmatchcase(key, namespace), (namespace, glob, key)
