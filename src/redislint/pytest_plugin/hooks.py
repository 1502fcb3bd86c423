"""The `pytest11` entry point: options only, until `--redislint` is given.

pytest loads this module for every run of every project that has redislint installed,
so it imports nothing but pytest and wraps nothing: with the option off, the plugin
costs one option group. `--redislint` registers `session.RedislintSession`, which
loads the config, wraps redis-py and checks each test.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("redislint", "redislint: check the keys the tests write")
    group.addoption(
        "--redislint",
        action="store_true",
        default=False,
        help="record redis-py commands and check the keys each test writes",
    )
    group.addoption(
        "--redislint-report",
        metavar="FILE.json",
        default=None,
        help="write the findings and observed keys as JSON (for `redislint keys --observed`)",
    )
    group.addoption(
        "--redislint-strict",
        action="store_true",
        default=False,
        help="fail the session when redislint reports a finding",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("redislint"):
        return
    from redislint.pytest_plugin.session import RedislintSession

    config.pluginmanager.register(RedislintSession(config), "redislint-session")
