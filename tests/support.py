"""Small helpers shared by the test modules (imported as `support`, beside conftest)."""

from __future__ import annotations

import os
import subprocess

import pytest


def missing_tool(message: str) -> None:
    """Skip locally, but fail in CI (CI=true): a broken CI image must not skip silently."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (required when CI=true)")
    pytest.skip(message)


def show(result: subprocess.CompletedProcess[str]) -> str:
    """A finished command, its exit code and its output, for assertion messages."""
    return (
        f"$ {' '.join(map(str, result.args))}\n(exit {result.returncode})\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )
