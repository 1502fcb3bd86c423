"""The command line: parse options, call the library, pick a reporter. Nothing else.

Exit codes: 0 clean, 1 findings, 2 usage / configuration / internal error (errors win).
No traceback reaches the user: every failure is a one-line message on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from redislint import __version__
from redislint.catalogue import load_catalogue, lookup
from redislint.config import Config, ConfigError, resolve_config

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(f"redislint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _no_traceback(command: F) -> F:
    """Turn any unexpected exception into a one-line error and exit 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConfigError as exc:
            _fail(str(exc))
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            sys.exit(EXIT_ERROR)
        except Exception as exc:  # last line of defence: a bug, reported without traceback
            _fail(f"internal error: {type(exc).__name__}: {exc}")

    return wrapper  # type: ignore[return-value]


def _split(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _load_config(
    paths: Sequence[str],
    config_file: str | None,
    isolated: bool,
    stdin_filename: str | None,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
) -> Config:
    start = Path(stdin_filename or (paths[0] if paths else ".")).absolute()
    if not start.exists():
        start = start.parent
    explicit = Path(config_file) if config_file else None
    if explicit is not None and not explicit.is_file():
        raise ConfigError(f"{config_file}: no such configuration file")
    config = resolve_config(start, explicit, isolated)
    return config.with_overrides(
        select=_split(select) if select else None,
        ignore=_split(ignore),
        extend_select=_split(extend_select),
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="redislint")
def main() -> None:
    """redislint: find risky Redis usage in Python code before it reaches production."""


def _check_options(command: F) -> F:
    options = [
        click.argument("paths", nargs=-1, type=click.Path()),
        click.option(
            "--select", multiple=True, help="Rule codes or prefixes to run (replaces the config)."
        ),
        click.option("--ignore", multiple=True, help="Rule codes or prefixes to skip."),
        click.option("--extend-select", multiple=True, help="Rule codes or prefixes to add."),
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False),
            help="Use this configuration file.",
        ),
        click.option("--isolated", is_flag=True, help="Ignore all configuration files."),
        click.option(
            "--stdin-filename", help="Read the source from stdin; report it under this name."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@_check_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif", "github", "junit"]),
    default="text",
    show_default=True,
)
@click.option(
    "--output-file", type=click.Path(dir_okay=False), help="Write the report to this file."
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Show a count per rule code.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option(
    "--no-cache", is_flag=True, help="Accepted for compatibility; results are not cached yet."
)
@_no_traceback
def check(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    extend_select: tuple[str, ...],
    config_file: str | None,
    isolated: bool,
    stdin_filename: str | None,
    output_format: str,
    output_file: str | None,
    exit_zero: bool,
    statistics: bool,
    jobs: int | None,
    no_cache: bool,
) -> None:
    """Check PATHS (default: the current directory) for risky Redis usage."""
    from redislint.report import RunResult, render
    from redislint.runner import check_paths

    config = _load_config(
        paths, config_file, isolated, stdin_filename, select, ignore, extend_select
    )
    stdin = None
    if stdin_filename is not None:
        stdin = (stdin_filename, sys.stdin.buffer.read())
    outcome = check_paths(list(paths), config, jobs=jobs, stdin=stdin)
    result = RunResult(
        findings=tuple(outcome.findings),
        files_checked=outcome.files_checked,
        checked_paths=tuple(outcome.checked_paths),
    )
    report = render(output_format, result, statistics=statistics)
    if output_file:
        try:
            Path(output_file).write_text(report, encoding="utf-8")
        except OSError as exc:
            _fail(f"{output_file}: cannot write the report: {exc.strerror or exc}")
    elif report:
        click.echo(report, nl=not report.endswith("\n"))
    for error in outcome.errors:
        click.echo(f"redislint: error: {error}", err=True)
    if outcome.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if outcome.findings and not exit_zero else EXIT_CLEAN)


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@_no_traceback
def rules_command(output_format: str) -> None:
    """List the rules: code, name, severity, fix, default on/off, mission rule mark."""
    catalogue = load_catalogue()
    if output_format == "json":
        rows = [
            {
                "code": doc.code,
                "name": doc.name,
                "severity": doc.severity,
                "fix": doc.fix,
                "status": doc.status,
                "mission": doc.mission,
                "default": doc.enabled_by_default,
                "summary": doc.summary,
            }
            for doc in catalogue.values()
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for doc in catalogue.values():
        star = "★" if doc.mission else " "
        default = "" if doc.enabled_by_default else "  (off by default)"
        click.echo(
            f"{doc.code} {star} {doc.name:<34} {doc.severity:<8} fix: {doc.fix:<7} {doc.summary}{default}"
        )


@main.command()
@click.argument("rule")
@_no_traceback
def explain(rule: str) -> None:
    """Show a rule's page (by code, RL301, or name, flush-command)."""
    doc = lookup(rule)
    if doc is None:
        known = ", ".join(load_catalogue())
        _fail(f"unknown rule {rule!r} (known: {known})")
        return
    click.echo(doc.markdown(), nl=False)
