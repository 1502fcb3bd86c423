"""Benchmark on public trees (issue 13): redislint cold, warm and warm-after-edit against
Semgrep, whole processes, medians, with the issue's targets marked met or missed.

    python bench/trees.py [--runs 5] [--cache-dir bench/.cache] [--tree dense|sparse]

It downloads pinned sdists with `pip download --no-binary :all: --no-deps` (redis-py
as the Redis-dense tree, tests included; Django, SQLAlchemy and Sphinx as the sparse
tree), installs a pinned Semgrep into its own venv under the cache dir, and runs every
command as a fresh process of its own (2 cores: redislint's default `--jobs`). Peak
RSS is the largest process of a run (`os.wait4`: a child's rusage covers its workers).
A benchmark, not a timed test: CI does not run it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SEMGREP_VERSION = "1.185.0"
DENSE = ("redis==8.1.0",)
SPARSE = ("Django==5.2.19", "SQLAlchemy==2.0.44", "Sphinx==8.2.3")
# One module that others import, per tree: the warm-after-edit run appends a comment.
EDITED = {
    "dense": "redis-8.1.0/redis/exceptions.py",
    "sparse": "django-5.2.19/django/core/cache/backends/base.py",
}
# The editor path: one file through `--stdin-filename`.
STDIN_FILE = {
    "dense": "redis-8.1.0/redis/client.py",
    "sparse": "django-5.2.19/django/core/cache/backends/redis.py",
}
# A copy of the three patterns (shared/bench/semgrep-redis.yaml), so anyone can run it.
SEMGREP_RULES = Path(__file__).resolve().parent / "semgrep-redis.yaml"
REDISLINT_ARGS = ("check", "--isolated", "--select", "ALL", "--exit-zero", "--format", "json")


@dataclass
class Measure:
    """The wall-clock seconds and peak RSS (MiB) of each run of one row."""

    seconds: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def peak(self) -> float:
        return max(self.rss_mib) if self.rss_mib else float("nan")


@dataclass(frozen=True)
class Target:
    """One row of the issue's targets: `measured` over `base` must be at most `limit`."""

    label: str
    measured: str
    base: str | None  # None: `limit` is an absolute value (seconds or MiB)
    limit: float
    unit: str = "x"


TARGETS = (
    Target("cold vs Semgrep (dense <= 1.0x)", "cold", "semgrep", 1.0),
    Target("warm, nothing changed <= 0.05x cold", "warm", "cold", 0.05),
    Target("warm after editing one file <= 0.10x cold", "warm-edit", "cold", 0.10),
    Target("cold writing the cache <= 1.10x --no-cache", "cold-write", "cold", 1.10),
    Target("peak memory <= 300 MiB (dense)", "rss", None, 300.0, " MiB"),
    Target("one file --stdin-filename <= 0.15 s", "stdin", None, 0.15, " s"),
)


# What a one-file check answered by the cache cannot do without: the CLI framework and
# the standard modules for paths, the configuration (TOML), the cache (SQLite, hashes,
# JSON) and the reports' records (dataclasses).
CHECK_IMPORTS = "import click, dataclasses, hashlib, json, pathlib, sqlite3, tomllib, zlib"


# The parse floors: every .py file of the tree parsed with libcst (`cst.parse_module`, as
# a user calls it), or only checked by CPython (`symtable`, what redislint asks of every
# file so that a syntax error is RL001 even where Redis is never mentioned, issue 14), in
# two worker processes, redislint's default `--jobs` on 2 cores. With libcst as the
# parser no cold check of a dense tree is faster than the first, and no cold check of
# any tree is faster than the second.
PARSE_FLOOR = """
import concurrent.futures, pathlib, sys, symtable
import libcst

def parse(path):
    text = pathlib.Path(path).read_text(encoding="utf-8", errors="replace")
    try:
        if CPYTHON_ONLY:
            symtable.symtable(text, path, "exec")
        else:
            libcst.parse_module(text)
    except Exception:
        pass

if __name__ == "__main__":
    files = sorted(str(p) for top in sys.argv[1:] for p in pathlib.Path(top).rglob("*.py"))
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        list(pool.map(parse, files, chunksize=8))
"""


def _user_environment() -> dict[str, str]:
    """This environment as a user's shell would have it: bytecode caching on. An
    installed redislint imports from `.pyc` files; with PYTHONDONTWRITEBYTECODE set (as
    some sandboxes and CI images do) every process compiles its modules from source
    again, which is most of a one-file check's time."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(
    argv: Sequence[str], cwd: Path, stdin: bytes | None = None
) -> tuple[float, float, bytes]:
    """Run a whole process; return (seconds, peak RSS in MiB, stdout)."""
    out_path = cwd / ".bench-stdout"
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            env=_user_environment(),
        )
        if stdin is not None and proc.stdin is not None:
            proc.stdin.write(stdin)
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    data = out_path.read_bytes()
    out_path.unlink()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {data[-500:]!r}")
    return seconds, usage.ru_maxrss / 1024, data


def ratio_rows(results: dict[str, Measure], dense: bool) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) for every target that applies to this tree."""
    rows = []
    for target in TARGETS:
        if not dense and ("dense" in target.label):
            if target.measured == "cold":
                target = Target("cold vs Semgrep (sparse <= 0.10x)", "cold", "semgrep", 0.10)
            else:
                continue
        measured = results.get(target.measured)
        if target.measured == "rss":
            value = max(
                (m.peak for k, m in results.items() if k not in ("semgrep", "parse", "cpython")),
                default=float("nan"),
            )
        elif measured is None or not measured.seconds:
            continue
        else:
            value = measured.median
        if target.base is not None:
            base = results.get(target.base)
            if base is None or not base.seconds:
                rows.append((target.label, "n/a", f"not measured ({target.base} missing)"))
                continue
            value /= base.median
        verdict = "met" if value <= target.limit else "MISSED"
        shown = f"{value:.2f}{target.unit}" if target.unit != " MiB" else f"{value:.0f} MiB"
        rows.append((target.label, shown, verdict))
    return rows


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (the README's Performance section is pasted from it)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def fetch(specs: Sequence[str], cache: Path) -> list[Path]:
    """Download (once) and unpack the pinned sdists; return their top directories."""
    downloads, unpacked = cache / "dl", cache / "src"
    downloads.mkdir(parents=True, exist_ok=True)
    unpacked.mkdir(parents=True, exist_ok=True)
    roots = []
    for spec in specs:
        name, version = spec.split("==")
        stem = f"{name.lower().replace('-', '_')}-{version}"
        archive = downloads / f"{stem}.tar.gz"
        if not archive.exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-binary",
                    ":all:",
                    "--no-deps",
                    spec,
                    "-d",
                    str(downloads),
                ],
                check=True,
            )
        root = unpacked / stem
        if not root.exists():
            with tarfile.open(archive) as tar:
                tar.extractall(unpacked, filter="data")
        roots.append(root)
    return roots


def semgrep(cache: Path) -> tuple[Path | None, str]:
    """The semgrep executable in its own venv under `cache` (installed once), or why not."""
    venv = cache / "venv-semgrep"
    exe = venv / "bin" / "semgrep"
    if not exe.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", f"semgrep=={SEMGREP_VERSION}"],
                check=True,
                capture_output=True,
            )
        except (subprocess.CalledProcessError, OSError) as exc:
            return None, f"install failed: {exc}"
    if not SEMGREP_RULES.exists():
        return None, f"no rules file at {SEMGREP_RULES}"
    return exe, ""


def parse_counts(tree: Path, paths: Sequence[str]) -> str:
    """Files checked vs parsed with libcst, from one extra untimed `--jobs 1` run.

    TODO(lead): when `check -v` or the JSON report says how many files were parsed and
    skipped (and why), read that here instead of counting `libcst.parse_module` calls
    (a count that includes imported modules parsed on demand)."""
    code = (
        "import sys, json, libcst\n"
        "n = [0]\nreal = libcst.parse_module\n"
        "def counted(*a, **k):\n    n[0] += 1\n    return real(*a, **k)\n"
        "libcst.parse_module = counted\n"
        "from redislint import parallel\n"
        "parallel.CONTAIN_IN_PROCESS = False  # count here, not in a forked child\n"
        "from click.testing import CliRunner\nfrom redislint.cli import main\n"
        "r = CliRunner().invoke(main, sys.argv[1:])\n"
        "doc = json.loads(r.stdout)\n"
        "print(doc['files_checked'], n[0], len(doc['diagnostics']))\n"
    )
    argv = [sys.executable, "-c", code, *REDISLINT_ARGS, "--no-cache", "--jobs", "1", *paths]
    out = subprocess.run(argv, cwd=tree, capture_output=True, text=True)
    try:
        checked, parsed, findings = (int(x) for x in out.stdout.split())
    except ValueError:
        return f"counts not available: {out.stderr.strip()[-200:]}"
    return (
        f"files checked {checked}, libcst parses {parsed}, skipped unparsed"
        f" {max(checked - parsed, 0)}, findings {findings}"
    )


def measure(
    runs: int,
    action: Callable[[], tuple[float, float, bytes]],
    before: Callable[[], None] | None = None,
    after: Callable[[], None] | None = None,
) -> Measure:
    result = Measure()
    for _ in range(runs):
        if before:
            before()
        try:
            seconds, rss, _ = action()
        finally:
            if after:
                after()
        result.seconds.append(seconds)
        result.rss_mib.append(rss)
    return result


def bench_tree(
    kind: str, roots: list[Path], cache: Path, runs: int, semgrep_exe: Path | None, semgrep_why: str
) -> None:
    tree = roots[0].parent
    paths = [root.name for root in roots]
    redislint = [str(Path(sys.executable).with_name("redislint")), *REDISLINT_ARGS]
    cache_dir = tree / ".redislint_cache"

    def clean() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)

    def check(*extra: str) -> tuple[float, float, bytes]:
        return run_once([*redislint, *extra, *paths], tree)

    results: dict[str, Measure] = {}
    clean()
    # Cold with and without writing the cache alternate, run by run: their ratio is a
    # target (<= 1.10x), and the machine's speed drifts between blocks of runs.
    results["cold"], results["cold-write"] = Measure(), Measure()
    for _ in range(runs):
        for key, extra in (("cold", ("--no-cache",)), ("cold-write", ())):
            clean()
            seconds, rss, _ = check(*extra)
            results[key].seconds.append(seconds)
            results[key].rss_mib.append(rss)
    check()  # the cache is full from here on
    results["warm"] = measure(runs, check)
    edited = tree / EDITED[kind]
    original = edited.read_bytes()

    def edit() -> None:
        edited.write_bytes(original + b"\n# bench: edited\n")

    def restore() -> None:
        edited.write_bytes(original)
        check()  # back to a warm cache of the original text (untimed)

    results["warm-edit"] = measure(runs, check, before=edit, after=restore)
    stdin_path = STDIN_FILE[kind]
    stdin_data = (tree / stdin_path).read_bytes()
    results["stdin"] = measure(
        runs, lambda: run_once([*redislint, "--stdin-filename", stdin_path], tree, stdin_data)
    )
    # The same file with an unsaved edit: the cache cannot answer, the file is parsed.
    # A new edit in each run: the cache keeps the last buffer checked under a name, so a
    # buffer sent twice would be answered by it the second time.
    edits = itertools.count()

    def unsaved_edit() -> tuple[float, float, bytes]:
        buffer = stdin_data + f"\n# bench: unsaved edit {next(edits)}\n".encode()
        return run_once([*redislint, "--stdin-filename", stdin_path], tree, buffer)

    results["stdin-edit"] = measure(runs, unsaved_edit)
    # The one-file row's floors: a process that only imports the CLI framework; one that
    # imports what any check from the cache needs (the CLI framework and the standard
    # modules for paths, the configuration, the cache and the report); the command that
    # only imports the CLI; and, for an edited buffer, the parser's import.
    results["click"] = measure(runs, lambda: run_once([sys.executable, "-c", "import click"], tree))
    results["imports"] = measure(
        runs, lambda: run_once([sys.executable, "-c", CHECK_IMPORTS], tree)
    )
    results["libcst"] = measure(
        runs, lambda: run_once([sys.executable, "-c", "import libcst"], tree)
    )
    results["version"] = measure(runs, lambda: run_once([redislint[0], "--version"], tree))

    def parse_floor(cpython_only: bool) -> Callable[[], tuple[float, float, bytes]]:
        script = f"CPYTHON_ONLY = {cpython_only}\n{PARSE_FLOOR}"
        return lambda: run_once([sys.executable, "-c", script, *paths], tree)

    results["parse"] = measure(runs, parse_floor(False))
    results["cpython"] = measure(runs, parse_floor(True))
    clean()
    if semgrep_exe is not None:
        argv = [
            str(semgrep_exe),
            "scan",
            "--config",
            str(SEMGREP_RULES),
            "--metrics",
            "off",
            "--disable-version-check",
            "-q",
            "--json",
            *paths,
        ]
        try:
            results["semgrep"] = measure(runs, lambda: run_once(argv, tree))
        except RuntimeError as exc:
            semgrep_why = f"run failed: {exc}"
    files = sum(1 for root in roots for _ in root.rglob("*.py"))
    lines = sum(p.read_bytes().count(b"\n") for root in roots for p in root.rglob("*.py"))
    print(f"\n## {kind} tree: {', '.join(paths)} ({files} .py files, {lines / 1000:.0f} KLOC)")
    print(parse_counts(tree, paths))
    labels = {
        "cold": "redislint cold (--no-cache)",
        "cold-write": "redislint cold, writing the cache",
        "warm": "redislint warm, nothing changed",
        "warm-edit": f"redislint warm, {EDITED[kind].split('/')[-1]} edited",
        "stdin": "redislint --stdin-filename, one file",
        "stdin-edit": "redislint --stdin-filename, one file with an unsaved edit",
        "click": "Python's start and `import click` only",
        "imports": "Python's start and the imports of a check from the cache only",
        "libcst": "Python's start and `import libcst` only",
        "version": "redislint --version (Python, click and the CLI's imports)",
        "semgrep": f"semgrep {SEMGREP_VERSION} (3 patterns)",
        "parse": "libcst parse of every file only (the floor), 2 processes",
        "cpython": "CPython's check of every file only (symtable), 2 processes",
    }
    rows = [(labels[key], f"{m.median:.2f} s", f"{m.peak:.0f} MiB") for key, m in results.items()]
    if "semgrep" not in results:
        rows.append(("semgrep", f"not available: {semgrep_why}", ""))
    print(format_table(("run", f"median of {runs}", "peak RSS"), rows))
    print()
    print(format_table(("target", "measured", ""), ratio_rows(results, kind == "dense")))
    if "semgrep" in results:
        semgrep_s, cold = results["semgrep"].median, results["cold"].median
        libcst_s, cpython_s = results["parse"].median, results["cpython"].median
        print(
            f"\nlibcst's parse alone is {libcst_s / semgrep_s:.2f}x Semgrep, CPython's check"
            f" alone {cpython_s / semgrep_s:.2f}x; the cold check is {cold / libcst_s:.2f}x"
            " libcst's parse"
        )
    stdin_s, version_s = results["stdin"].median, results["version"].median
    imports_s = results["imports"].median
    print(
        f"The --stdin-filename check is {stdin_s - imports_s:.2f} s over its imports"
        f" ({imports_s:.2f} s, of which Python and click {results['click'].median:.2f} s);"
        f" `redislint --version` takes {version_s:.2f} s. With an unsaved edit it takes"
        f" {results['stdin-edit'].median:.2f} s; importing libcst alone takes"
        f" {results['libcst'].median:.2f} s."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, default=Path(__file__).parent / ".cache")
    parser.add_argument("--tree", choices=("dense", "sparse"), action="append")
    args = parser.parse_args()
    cache = args.cache_dir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    (cache / ".gitignore").write_text("*\n")
    (cache / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    exe, why = semgrep(cache)
    # As `pip install` does: the first timed run must not be the one that compiles.
    import redislint

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(redislint.__file__).parent)],
        check=True,
        env=_user_environment(),
    )
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}"
    )
    for kind in args.tree or ("dense", "sparse"):
        specs = DENSE if kind == "dense" else SPARSE
        roots = fetch(specs, cache / kind)
        bench_tree(kind, roots, cache, args.runs, exe, why)


if __name__ == "__main__":
    main()
