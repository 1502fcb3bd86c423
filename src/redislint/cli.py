"""The command line: parse options, call the library, pick a reporter. Nothing else.

Exit codes: 0 clean, 1 findings, 2 usage / configuration / internal error (errors win).
No traceback reaches the user: every failure is a one-line message on stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from redislint import __version__
from redislint.catalogue import load_catalogue, lookup
from redislint.config import Config, ConfigError, ConfigSet, display_path, resolve_config
from redislint.findings import Finding
from redislint.report import ALL_FORMATS

if TYPE_CHECKING:
    from redislint.parallel import Standby

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> NoReturn:
    click.echo(f"redislint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _read_stdin() -> bytes:
    """The source an editor sends; a closed stdin (or one that cannot be read) is a usage
    error. A directory on stdin never gets here: CPython refuses it at start-up ("Fatal
    Python error: init_sys_streams: <stdin> is a directory"), docs/integrations.md."""
    try:
        if sys.stdin is None:
            raise OSError("stdin is closed")
        return sys.stdin.buffer.read()
    except (OSError, ValueError, AttributeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        _fail(f"--stdin-filename: cannot read the source from stdin: {reason}")


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


def _standby(obj: object) -> Standby | None:
    """The launcher's standby worker (`launch.py`), if it passed one as click's `obj`."""
    if obj is None:  # stdin, or the CLI called directly: parallel.py is not imported
        return None
    from redislint.parallel import Standby

    return obj if isinstance(obj, Standby) else None


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
@click.version_option(__version__, "-V", "--version", prog_name="redislint")
def main() -> None:
    """redislint: find risky Redis usage in Python code before it reaches production."""
    # A file name that is not UTF-8 reaches us with surrogate escapes (PEP 383); it is
    # shown as `\udcXX` (which is also its JSON escape) instead of failing the write.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _apply(command: F, options: list[Callable[[F], F]]) -> F:
    for option in reversed(options):
        command = option(command)
    return command


def _config_options(command: F) -> F:
    """PATHS, --config and --isolated: how every command finds its files and settings."""
    return _apply(
        command,
        [
            click.argument("paths", nargs=-1, type=click.Path()),
            click.option(
                "--config",
                "config_file",
                type=click.Path(dir_okay=False),
                help="Use this configuration file for every file.",
            ),
            click.option("--isolated", is_flag=True, help="Ignore all configuration files."),
        ],
    )


def _check_options(command: F) -> F:
    return _apply(
        _config_options(command),
        [
            click.option(
                "--select",
                multiple=True,
                help="Rule codes or prefixes to run (replaces the config).",
            ),
            click.option("--ignore", multiple=True, help="Rule codes or prefixes to skip."),
            click.option("--extend-select", multiple=True, help="Rule codes or prefixes to add."),
            click.option(
                "--stdin-filename", help="Read the source from stdin; report it under this name."
            ),
        ],
    )


@main.command()
@_check_options
@click.option(
    "--format",
    "--output-format",
    "output_format",
    type=click.Choice(ALL_FORMATS),
    default="text",
    show_default=True,
    help="Report format (`--output-format` as in ruff).",
)
@click.option(
    "--output-file", type=click.Path(dir_okay=False), help="Write the report to this file."
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Show a count per rule code.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: all cores).")
@click.option(
    "--force-exclude",
    is_flag=True,
    help="Apply `exclude` to files named on the command line too (for pre-commit).",
)
@click.option(
    "--no-cache", is_flag=True, help="Do not read or write the results cache (.redislint_cache/)."
)
@click.option("--fix", is_flag=True, help="Apply safe fixes, then report what remains.")
@click.option(
    "--unsafe-fixes", is_flag=True, help="With --fix or --diff: apply unsafe fixes as well."
)
@click.option(
    "--diff",
    is_flag=True,
    help="Print the changes --fix would make as a unified diff; change nothing (exit 1 if any).",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False),
    help="Report only findings not recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    "write_baseline_file",
    type=click.Path(dir_okay=False),
    help="Record every current finding in this baseline file (exit 0).",
)
@click.option(
    "--add-noqa",
    is_flag=True,
    help="Append `# redislint: ignore[CODE]` to the line of each current finding.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help=(
        "Say on stderr which configuration governs each file, why a file was skipped, "
        "and where the model is blind (files using redis with no proven client)."
    ),
)
@click.option("-q", "--quiet", is_flag=True, help="Print the findings, but no summary.")
@click.option(
    "-s", "--silent", is_flag=True, help="Print no report (the exit code still says 1 on findings)."
)
@click.option(
    "--fix-only",
    is_flag=True,
    help="Apply safe fixes (implies --fix); do not report or exit 1 for what remains.",
)
@click.option(
    "--exit-non-zero-on-fix",
    is_flag=True,
    help="Exit 1 when --fix changed a file, even if no finding remains.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="REDISLINT_CACHE_DIR",
    help="Keep the results cache here (default: .redislint_cache/ in each config root).",
)
@click.option(
    "--exclude",
    multiple=True,
    help="Patterns to leave out (gitignore-style, comma-separated); replace `exclude`.",
)
@click.option(
    "--extend-exclude",
    multiple=True,
    help="Patterns to leave out in addition to the configured `exclude`.",
)
@click.option(
    "--color",
    "--colour",
    "color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the report (auto: on a terminal; NO_COLOR / FORCE_COLOR are honoured).",
)
@click.option(
    "--show-settings",
    is_flag=True,
    help="Print the settings that govern the first PATH, then exit.",
)
@click.option("--show-files", is_flag=True, help="List the files that would be checked, then exit.")
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
    force_exclude: bool,
    no_cache: bool,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    baseline_file: str | None,
    write_baseline_file: str | None,
    add_noqa: bool,
    verbose: bool,
    quiet: bool = False,
    silent: bool = False,
    fix_only: bool = False,
    exit_non_zero_on_fix: bool = False,
    cache_dir: str | None = None,
    exclude: tuple[str, ...] = (),
    extend_exclude: tuple[str, ...] = (),
    color: str = "auto",
    show_settings: bool = False,
    show_files: bool = False,
) -> None:
    """Check PATHS (default: the current directory) for risky Redis usage."""
    fix = fix or fix_only
    from redislint.report import RunResult, render
    from redislint.warm import check_paths  # the runner itself only when the cache misses

    modes = [
        name for name, on in (("--fix", fix), ("--diff", diff), ("--add-noqa", add_noqa)) if on
    ]
    if write_baseline_file and modes:
        _fail(f"--write-baseline cannot be combined with {modes[0]}")
    if add_noqa and (fix or diff):
        _fail("--add-noqa cannot be combined with --fix or --diff")
    if add_noqa and stdin_filename is not None:
        _fail("--add-noqa edits files; it cannot read from stdin (--stdin-filename)")
    config = _load_config(
        paths, config_file, isolated, stdin_filename, select, ignore, extend_select
    )
    cwd = Path.cwd()
    keep = None
    if baseline_file and not write_baseline_file:
        from redislint.baseline import BaselineError, BaselineFilter, load_baseline

        try:
            keep = BaselineFilter(load_baseline(Path(baseline_file)), cwd)
        except BaselineError as exc:
            _fail(str(exc))
    stdin = None
    if stdin_filename is not None:
        stdin = (stdin_filename, _read_stdin())
    fixing = fix or diff
    if cache_dir:
        config = replace(config, cache_dir=Path(cache_dir).absolute())
    config = config.with_exclude(exclude or None, extend_exclude)
    configs = ConfigSet(
        config, hierarchical=not (config_file or isolated), known_codes=load_catalogue()
    )
    label = _config_label(config_file, isolated)
    if show_settings:
        _show_settings(paths, stdin_filename, configs, label)
    if show_files:
        _show_files(paths, configs, force_exclude)
    _warn_empty_selection(config)
    standby = click.get_current_context().obj  # the launcher's (`launch.py`), if any
    outcome = check_paths(
        list(paths),
        configs,
        jobs=jobs,
        stdin=stdin,
        keep_sources=fixing or add_noqa,
        force_exclude=force_exclude,
        use_cache=not no_cache,
        report_blind=verbose,
        explain=verbose,
        standby=_standby(standby),
    )
    errors = list(outcome.errors)
    for warning in outcome.warnings:
        click.echo(f"redislint: warning: {warning}", err=True)
    if stdin is None and not outcome.files_checked and not errors:
        # As ruff: an empty selection of files is said, not passed off as a clean run.
        click.echo(
            "redislint: warning: No Python or Redis deployment files found under the given path(s)",
            err=True,
        )
    if verbose:
        _echo_notes(outcome.notes, label)
        _echo_blind(outcome.blind_files)

    if write_baseline_file:
        from redislint.baseline import write_baseline

        try:
            count = write_baseline(Path(write_baseline_file), outcome.findings, cwd)
        except OSError as exc:
            _fail(f"{write_baseline_file}: cannot write the baseline: {exc.strerror or exc}")
            return
        _echo_errors(errors)
        click.echo(f"Recorded {_plural(count, 'finding')} in {write_baseline_file}.")
        sys.exit(EXIT_ERROR if errors else EXIT_CLEAN)

    findings = keep(outcome.findings) if keep is not None else list(outcome.findings)
    hidden = len(outcome.findings) - len(findings)
    if add_noqa:
        _run_add_noqa(findings, outcome.sources, cwd, errors)
        return

    fixed = 0
    if fixing:
        findings, fixed = _run_fixes(
            findings,
            outcome.sources,
            outcome.deploy_context,
            configs,
            cwd,
            unsafe=unsafe_fixes,
            diff=diff,
            stdin=stdin,
            keep=keep,
            jobs=jobs,
            errors=errors,
            exit_zero=exit_zero,
            output_file=output_file,
        )
    result = RunResult(
        findings=tuple(findings),
        files_checked=outcome.files_checked,
        fixed=fixed,
        checked_paths=tuple(outcome.checked_paths),
        errors=len(errors),
        error_messages=tuple(errors),
        baseline_hidden=hidden,
    )
    report = render(output_format, result, statistics=statistics)
    report = _habits_report(report, output_format, result, quiet, silent, fix_only)
    _echo_errors(errors)
    if output_file:
        try:
            Path(output_file).write_text(report, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            _fail(f"{output_file}: cannot write the report: {exc.strerror or exc}")
    elif report:
        from redislint.report.colour import colourize, use_colour

        colour = use_colour(color, sys.stdout, output_format)
        if colour:
            report = colourize(report)
        click.echo(report, nl=not report.endswith("\n"), color=True if colour else None)
    if errors:
        sys.exit(EXIT_ERROR)
    if exit_non_zero_on_fix and fixed:
        sys.exit(EXIT_FINDINGS)
    if fix_only:
        sys.exit(EXIT_CLEAN)
    sys.exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN)


def _habits_report(
    report: str, output_format: str, result: Any, quiet: bool, silent: bool, fix_only: bool
) -> str:
    """`-s` prints nothing; `-q` keeps the findings without the summary; `--fix-only`
    reports only what was fixed (as ruff). Machine formats are left whole by `-q`."""
    if silent:
        return ""
    if output_format != "text":
        return "" if fix_only else report
    if fix_only:
        return f"Fixed {_plural(result.fixed, 'finding')}.\n" if result.fixed else ""
    if not quiet:
        return report
    from redislint.report.text import format_finding

    lines = [line for f in result.findings for line in format_finding(f)]
    return "\n".join(lines) + "\n" if lines else ""


def _warn_empty_selection(config: Config) -> None:
    """A selection that selects nothing says so (ruff exits 0 then, and so do we: the
    run did check nothing, which is not an error, but it must not pass unnoticed)."""
    from redislint.catalogue import selected_codes

    if not selected_codes(config):
        where = display_path(config.config_path) if config.config_path else "the defaults"
        click.echo(
            "redislint: warning: the rule selection selects no rule (command line and "
            f"{where}); nothing is checked",
            err=True,
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _echo_errors(errors: Sequence[str]) -> None:
    for error in errors:
        click.echo(f"redislint: error: {error}", err=True)


def _echo_blind(paths: Sequence[str]) -> None:
    """`check --verbose`: one line per file where the rules cannot see the commands."""
    for path in paths:
        click.echo(
            f"redislint: {path}: imports redis, but no client was proven here "
            "(its commands are not checked; declare a factory or a client name)",
            err=True,
        )


def _config_label(config_file: str | None, isolated: bool) -> Callable[[Path | None], str]:
    """How `--verbose` and `--show-settings` name the configuration of a file."""

    def label(config_path: Path | None) -> str:
        if config_file:
            return f"--config {config_file}"
        if isolated:
            return "--isolated (the defaults)"
        if config_path is None:
            return "defaults (no configuration file found)"
        return display_path(config_path)

    return label


def _echo_notes(
    notes: Sequence[tuple[str, Path | None, str]], label: Callable[[Path | None], str]
) -> None:
    """`check --verbose`: for each file, the configuration that governs it and what
    happened to it (checked, a cache hit, or why it was left out), ruff-like."""
    for path, config_path, note in notes:
        governed = "" if note.startswith("skipped: ") else f" [config: {label(config_path)}]"
        click.echo(f"redislint: {path}: {note}{governed}", err=True)


def _show_files(paths: Sequence[str], configs: ConfigSet, force_exclude: bool) -> NoReturn:
    """`check --show-files`: one file per line, as a run would check them; exit 0."""
    from redislint.runner import list_files

    files, errors = list_files(list(paths), configs, force_exclude=force_exclude)
    for path in files:
        click.echo(path)
    _echo_errors(errors)
    sys.exit(EXIT_ERROR if errors else EXIT_CLEAN)


def _show_settings(
    paths: Sequence[str],
    stdin_filename: str | None,
    configs: ConfigSet,
    label: Callable[[Path | None], str],
) -> NoReturn:
    """`check --show-settings`: every resolved setting that governs the first PATH
    (as ruff's), one `key = value` line each (TOML values), then exit 0."""
    from redislint.engine import file_codes, selected_codes

    target = Path(stdin_filename or (paths[0] if paths else ".")).absolute()
    probe = target / "__init__.py" if target.is_dir() else target
    config = configs.for_path(probe)
    rel = config.relative_path(target)

    def toml(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    def table(entries: dict[str, object]) -> str:
        inner = ", ".join(f"{k} = {toml(v)}" for k, v in entries.items() if v is not None)
        return "{ " + inner + " }" if inner else "{}"

    lines = [
        f"# Settings for {display_path(target)}",
        f"config-file = {toml(label(config.config_path))}",
        f"extends = {toml([display_path(p) for p in config.extends])}",
        f"project-root = {toml(str(config.root))}",
        f"root = {toml(config.is_root)}",
    ]
    for number, layer in enumerate(config.selection_layers()):
        lines.append(
            f"selection[{number}] = "
            + table(
                {
                    "select": None if layer.select is None else list(layer.select),
                    "ignore": list(layer.ignore),
                    "extend-select": list(layer.extend_select),
                }
            )
        )
    lines.append(f"selected-rules = {toml(sorted(selected_codes(config)))}")
    if not target.is_dir():
        lines.append(f"rules-for-this-file = {toml(sorted(file_codes(config, target)))}")
    lines += [
        f"exclude = {toml(list(config.exclude))}",
        "per-file-ignores = "
        + table({pattern: list(codes) for pattern, codes in config.per_file_ignores}),
        f"test-paths = {toml(list(config.test_paths))}",
        f"is-test-path = {toml(config.is_test_path(rel))}",
        f"cluster = {toml(config.cluster)}",
        f"cache-ttl = {toml(config.cache_ttl) if config.cache_ttl else '# unset'}",
        f"clients.factories = {toml(list(config.client_factories))}",
        "clients.names = ["
        + ", ".join(
            table(
                {
                    "name": entry.name,
                    "module": entry.module,
                    "async": entry.is_async,
                    "cluster": entry.cluster,
                }
            )
            for entry in config.client_name_specs()
        )
        + "]",
        f"clients.replicas = {toml(list(config.client_replicas))}",
    ]
    default = "  # default (no [[keyspace]] declared)" if not config.keyspace else ""
    lines.append(
        "keyspace = ["
        + ", ".join(
            table({"pattern": e.pattern, "role": e.role, "type": e.type})
            for e in config.effective_keyspace()
        )
        + "]"
        + default
    )
    lines += [
        f"primary-db.writes = {toml(list(config.primary_db_writes))}",
        f"deploy-paths = {toml(list(config.deploy_paths))}",
        "deployment = ["
        + ", ".join(
            table({"path": d.path, "service": d.service, "serves": list(d.serves)})
            for d in config.deployments
        )
        + "]",
        f"cache-dir = {toml(str(config.cache_dir or Path(config.root) / '.redislint_cache'))}",
    ]
    click.echo("\n".join(lines))
    sys.exit(EXIT_CLEAN)


def _echo_warnings(warnings: Sequence[str]) -> None:
    for warning in warnings:
        click.echo(f"redislint: warning: {warning}", err=True)


def _run_fixes(
    findings: list[Finding],
    sources: dict[str, str],
    deploy_context: dict[str, tuple[tuple[str, str], ...]],
    configs: ConfigSet,
    cwd: Path,
    *,
    unsafe: bool,
    diff: bool,
    stdin: tuple[str, bytes] | None,
    keep: Callable[[list[Finding]], list[Finding]] | None,
    jobs: int | None,
    errors: list[str],
    exit_zero: bool,
    output_file: str | None,
) -> tuple[list[Finding], int]:
    """`--fix` / `--diff`: returns the remaining findings and how many were fixed.

    `--diff` and `--fix` with `--stdin-filename` print their own output and exit here:
    a diff (exit 1 when there is one), or the fixed source and nothing else (editors
    replace their buffer with stdout, so no report may be mixed into it).
    """
    from redislint.engine import selected_codes
    from redislint.fixes import (
        FileToFix,
        FixOptions,
        fix_files,
        fix_requests,
        unified_diff,
    )

    items = fix_requests(
        findings, sources, cwd, unsafe=unsafe, stdin=stdin, deploy_context=deploy_context
    )
    options = FixOptions(unsafe=unsafe, write=not diff and stdin is None)
    by_config: dict[int, tuple[Config, list[FileToFix]]] = {}
    for item in items:  # each file is re-checked under its own configuration
        config = configs.for_path(item.path)
        by_config.setdefault(id(config), (config, []))[1].append(item)
    order = {item.rel_path: number for number, item in enumerate(items)}
    results = sorted(
        (
            result
            for config, group in by_config.values()
            for result in fix_files(
                group,
                config,
                selected=selected_codes(config),
                options=options,
                keep=keep,
                jobs=jobs,
            )
        ),
        key=lambda result: order[result.rel_path],
    )
    warnings = [w for r in results for w in r.warnings]
    errors.extend(r.error for r in results if r.error)
    if diff:
        text = "".join(unified_diff(r.rel_path, r.before, r.after) for r in results if r.changed)
        if output_file:
            try:
                Path(output_file).write_text(text, encoding="utf-8", errors="backslashreplace")
            except OSError as exc:
                _fail(f"{output_file}: cannot write the diff: {exc.strerror or exc}")
        elif text:
            click.echo(text, nl=False)
        would = sum(r.fixed for r in results if r.changed)
        _echo_warnings(warnings)
        _echo_errors(errors)
        if would:
            click.echo(f"Would fix {_plural(would, 'finding')}.", err=True)
        if errors:
            sys.exit(EXIT_ERROR)
        sys.exit(EXIT_FINDINGS if any(r.changed for r in results) else EXIT_CLEAN)
    by_path = {r.rel_path: r for r in results}
    remaining = [f for f in findings if f.path not in by_path]
    for r in results:
        remaining.extend(r.findings)
    if stdin is not None:
        # Exactly one file: the fixed bytes, or the input unchanged when there was nothing
        # to fix (or it could not be fixed), so an editor never loses its buffer.
        sys.stdout.buffer.write(results[0].data if results else stdin[1])
        sys.stdout.buffer.flush()
        _echo_remaining(remaining)
        _echo_warnings(warnings)
        _echo_errors(errors)
        if errors:
            sys.exit(EXIT_ERROR)
        sys.exit(EXIT_FINDINGS if remaining and not exit_zero else EXIT_CLEAN)
    _echo_warnings(warnings)
    return remaining, sum(r.fixed for r in results)


def _echo_remaining(remaining: Sequence[Finding]) -> None:
    """`--fix --stdin-filename`: what is left after fixing goes to stderr, as ruff does,
    so an editor replacing its buffer with stdout still shows the remaining findings."""
    from redislint.report.text import format_finding

    for finding in sorted(remaining, key=lambda f: f.sort_key):
        for line in format_finding(finding):
            click.echo(line, err=True)


def _run_add_noqa(
    findings: list[Finding], sources: dict[str, str], cwd: Path, errors: list[str]
) -> None:
    """`--add-noqa`: suppress every current finding in place; exit 1 if some could not be."""
    from redislint.add_noqa import add_noqa_files

    noqa = add_noqa_files(findings, sources, cwd)
    errors.extend(noqa.errors)
    _echo_warnings(noqa.warnings)
    _echo_errors(errors)
    click.echo(f"Added {_plural(noqa.added, 'suppression')} in {_plural(noqa.files, 'file')}.")
    if errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if noqa.added < len(findings) else EXIT_CLEAN)


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
        columns = f"{doc.code} {star} {doc.name:<34} {doc.severity:<8} fix: {doc.fix:<7}"
        click.echo(f"{columns} {doc.summary}{default}")


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


@main.command("keys")
@_config_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "toml"]),
    default="text",
    show_default=True,
    help="toml: [[tool.redislint.keyspace]] blocks to start a config from.",
)
@click.option(
    "--output-file", type=click.Path(dir_okay=False), help="Write the inventory to this file."
)
@click.option(
    "--include-tests",
    is_flag=True,
    help="Also inventory files in test paths (left out by default).",
)
@click.option(
    "--observed",
    "observed_files",
    multiple=True,
    metavar="FILE.json",
    help="A `pytest --redislint --redislint-report` file: show the keys the tests sent "
    "at each unresolved call site (repeatable).",
)
@_no_traceback
def keys_command(
    paths: tuple[str, ...],
    config_file: str | None,
    isolated: bool,
    output_format: str,
    output_file: str | None,
    include_tests: bool,
    observed_files: tuple[str, ...] = (),
) -> None:
    """Inventory the keyspace of PATHS: key patterns, commands, types, TTLs, roles, uses.

    Exit 0 whatever it finds (an inventory is not a check); 2 on usage or config errors.
    """
    from redislint.inventory import collect_inventory
    from redislint.report.keys import render_inventory

    config = _load_config(paths, config_file, isolated, None)
    configs = ConfigSet(config, hierarchical=not (config_file or isolated))
    outcome = collect_inventory(list(paths), configs, include_tests=include_tests)
    inventory = outcome.inventory
    if observed_files:
        from redislint.observed import ObservedError, load_observed, merge_observed

        try:
            inventory = merge_observed(inventory, load_observed(observed_files))
        except ObservedError as exc:
            _fail(str(exc))
    report = render_inventory(output_format, inventory)
    report = _with_unmapped_deployments(report, output_format, list(paths), configs)
    if output_file:
        try:
            Path(output_file).write_text(report, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            _fail(f"{output_file}: cannot write the inventory: {exc.strerror or exc}")
    else:
        click.echo(report, nl=False)
    for unparsed in outcome.unparsed:
        click.echo(f"redislint: warning: {unparsed} (its keys are not listed)", err=True)
    for error in outcome.errors:
        click.echo(f"redislint: error: {error}", err=True)
    sys.exit(EXIT_ERROR if outcome.errors else EXIT_CLEAN)


def _with_unmapped_deployments(
    report: str, output_format: str, paths: list[str], configs: ConfigSet
) -> str:
    """`redislint keys` also names the Redis deployments no role is mapped to (RL6xx
    judge them only once `[[tool.redislint.deployment]]` says what each one holds)."""
    from redislint.report.deployments import unmapped_entries
    from redislint.runner import collect_deployments

    unmapped = unmapped_entries(collect_deployments(paths, configs).groups)
    if not unmapped:
        return report
    if output_format == "json":
        payload = json.loads(report)
        payload["unmapped_deployments"] = [label for label, _, _ in unmapped]
        return json.dumps(payload, indent=2) + "\n"
    if output_format == "toml":
        blocks = []
        for label, path, service in unmapped:
            block = f"# unmapped Redis deployment {label}: which roles does it hold?\n"
            block += f'# [[tool.redislint.deployment]]\n# path = "{path}"\n'
            if service:
                block += f'# service = "{service}"\n'
            blocks.append(block + "# serves = []  # cache, ephemeral, critical, primary\n")
        return report + "\n" + "\n".join(blocks)
    lines = "".join(f"  {label}\n" for label, _, _ in unmapped)
    return (
        report + "\nRedis deployments not mapped to roles (see `redislint deployments`):\n" + lines
    )


@main.command("deployments")
@_config_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--output-file", type=click.Path(dir_okay=False), help="Write the listing to this file."
)
@_no_traceback
def deployments_command(
    paths: tuple[str, ...],
    config_file: str | None,
    isolated: bool,
    output_format: str,
    output_file: str | None,
) -> None:
    """List the Redis deployments of PATHS: effective persistence, eviction and auth
    settings, the roles each serves, and which are unmapped.

    Exit 0 whatever it finds (a listing is not a check); 2 on usage or config errors.
    """
    from redislint.report.deployments import render_deployments
    from redislint.runner import collect_deployments

    config = _load_config(paths, config_file, isolated, None)
    configs = ConfigSet(config, hierarchical=not (config_file or isolated))
    outcome = collect_deployments(list(paths), configs)
    report = render_deployments(output_format, outcome.groups)
    if output_file:
        try:
            Path(output_file).write_text(report, encoding="utf-8")
        except OSError as exc:
            _fail(f"{output_file}: cannot write the listing: {exc.strerror or exc}")
    else:
        click.echo(report, nl=False)
    _echo_errors(outcome.errors)
    sys.exit(EXIT_ERROR if outcome.errors else EXIT_CLEAN)


@main.command("clean")
@_config_options
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    envvar="REDISLINT_CACHE_DIR",
    help="Also remove this cache directory (only if redislint created it).",
)
@_no_traceback
def clean_command(
    paths: tuple[str, ...], config_file: str | None, isolated: bool, cache_dir: str | None
) -> None:
    """Remove the results caches under PATHS (default: .) and in their config roots.

    As `ruff clean`: every `.redislint_cache/` below the paths, the one in the governing
    configuration's directory, and `--cache-dir` when it holds redislint's marker file.
    """
    import os
    import shutil

    from redislint.cache import CACHE_DIR_NAME

    config = _load_config(paths, config_file, isolated, None)
    found: list[Path] = [Path(config.root) / CACHE_DIR_NAME]
    for top in paths or (".",):
        for walked, subdirs, _files in os.walk(top):
            if CACHE_DIR_NAME in subdirs:
                found.append(Path(walked) / CACHE_DIR_NAME)
            subdirs[:] = [d for d in subdirs if d not in (CACHE_DIR_NAME, ".git")]
    if cache_dir:
        marker = Path(cache_dir) / ".gitignore"
        if marker.is_file() and marker.read_text(errors="replace").startswith(
            "# Created by redislint."
        ):
            found.append(Path(cache_dir))
    seen: set[Path] = set()
    for directory in found:
        real = directory.resolve()
        if real in seen or not directory.is_dir() or directory.is_symlink():
            continue
        seen.add(real)
        click.echo(f"Removing cache at: {directory}")
        shutil.rmtree(directory)


@main.command("server")
@click.option(
    "--stdio", is_flag=True, help="Talk LSP over stdin/stdout (the default and only transport)."
)
@_no_traceback
def server_command(stdio: bool) -> None:
    """Run the language server (LSP over stdio) for editors: diagnostics, fixes, hover.

    Needs the `server` extra: pip install 'redislint[server]'.
    """
    try:
        from redislint.lsp.server import serve
    except ImportError as exc:  # pygls / lsprotocol are an optional extra
        _fail(f"redislint server needs pygls ({exc}): pip install 'redislint[server]'")
        return
    serve()
