"""The rule registry: every `rlNNN_*.py` module here defines one Rule subclass.

Rules are found by walking this package, so adding a rule is one module plus its
catalogue file. A rule without a catalogue entry (or the reverse) is a bug that
`tests/test_catalogue.py` catches through `check_registry()`.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache

from redislint.catalogue import load_catalogue
from redislint.rules._base import Rule

# Codes the engine itself reports (no rule module).
ENGINE_CODES = frozenset({"RL001", "RL002"})
# Codes only the pytest plugin reports (at run time, no rule module).
RUNTIME_CODES = frozenset({"RL307"})
_MODULE = re.compile(r"^rl(\d{3})_\w+$")


@cache
def all_rules() -> dict[str, type[Rule]]:
    """Rule classes by code."""
    rules: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(__path__):
        match = _MODULE.match(info.name)
        if not match:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, Rule)
            and obj is not Rule
            and obj.__module__ == module.__name__
        ]
        if len(found) != 1:
            raise RuntimeError(f"{info.name}: expected exactly one Rule subclass")
        rule = found[0]
        if f"RL{match.group(1)}" != rule.CODE:
            raise RuntimeError(f"{info.name}: CODE {rule.CODE} does not match the module name")
        if rule.CODE in rules:
            raise RuntimeError(f"duplicate rule code {rule.CODE}")
        rules[rule.CODE] = rule
    return dict(sorted(rules.items()))


def check_registry() -> list[str]:
    """Problems between rule modules and catalogue entries (empty when consistent)."""
    problems = []
    catalogue = load_catalogue()
    rules = all_rules()
    for code in rules:
        if code not in catalogue:
            problems.append(f"{code}: rule module without a catalogue entry")
    for code, doc in catalogue.items():
        known = code in rules or code in ENGINE_CODES or code in RUNTIME_CODES
        if doc.status != "removed" and not known:
            problems.append(f"{code}: catalogue entry without a rule module")
    return problems
