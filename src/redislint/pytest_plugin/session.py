"""The active plugin (registered by `hooks.py` only under `--redislint`).

Lifecycle: the config is read once, from the nearest pyproject.toml / redislint.toml at
or above the directory the tests were selected from (the common ancestor of the
command-line paths, else pytest's rootdir), as `redislint check PATH` finds it from the
checked path; redis-py is wrapped at configure time and unwrapped at unconfigure. For
each test, the commands sent during setup and call are checked at the *start* of
teardown, before fixtures that empty the database run; commands sent during teardown
are checked after it (their keys are usually gone, but FLUSHALL/KEYS from application
code still count).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest

from redislint.catalogue import load_catalogue
from redislint.config import Config, ConfigError, find_config_file, load_config
from redislint.pytest_plugin.checks import Checker
from redislint.pytest_plugin.recorder import Recorder
from redislint.pytest_plugin.report import report_document, summary_lines, write_report


def selection_dir(pytest_config: pytest.Config) -> Path:
    """The directory the tests were selected from: the common ancestor of the paths on
    the command line (`pytest --redislint examples/shop` reads examples/shop's config),
    else the rootdir."""
    invocation = Path(str(pytest_config.invocation_params.dir))
    paths = []
    for arg in pytest_config.args:
        path = invocation / arg.split("::", 1)[0]
        if path.exists():
            paths.append(str(path.resolve()))
    if not paths:
        return Path(str(pytest_config.rootpath))
    common = Path(os.path.commonpath(paths))
    return common if common.is_dir() else common.parent


class RedislintSession:
    def __init__(self, pytest_config: pytest.Config) -> None:
        self.pytest_config = pytest_config
        start = selection_dir(pytest_config)
        try:
            found = find_config_file(start)
            config = load_config(found) if found else Config(root=start)
        except ConfigError as exc:
            raise pytest.UsageError(f"redislint: {exc}") from exc
        self.config = config
        catalogue = load_catalogue()
        codes = config.selected_codes(
            catalogue, [c for c, d in catalogue.items() if d.enabled_by_default]
        )
        self.recorder = Recorder(config.root, config.is_test_path)
        invocation = Path(str(pytest_config.invocation_params.dir))
        self.checker = Checker(config, self.recorder, codes, invocation)
        self.commands = 0
        self.wrapped = self.recorder.install()

    def _check(self, nodeid: str) -> None:
        sent = self.recorder.take()
        self.commands += len(sent)
        self.checker.check(nodeid, sent)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        self._check(item.nodeid)
        try:
            return (yield)
        finally:
            self._check(item.nodeid)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._check("<session>")
        report = self.pytest_config.getoption("redislint_report")
        if report:
            document = report_document(
                self.checker.findings,
                self.checker.observed,
                self.checker.unchecked_clients,
                self.checker.invocation_dir,
            )
            path = Path(report)
            if not path.is_absolute():
                path = self.checker.invocation_dir / path
            write_report(path, document)
        if (
            self.checker.findings
            and self.pytest_config.getoption("redislint_strict")
            and session.exitstatus == pytest.ExitCode.OK
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.section("redislint")
        for line in summary_lines(
            self.checker.findings, self.checker.unchecked_clients, self.commands
        ):
            terminalreporter.write_line(line)
        if self.checker.findings and self.pytest_config.getoption("redislint_strict"):
            terminalreporter.write_line("--redislint-strict: the session fails on findings")

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.recorder.uninstall()
