"""What `pytest --redislint`'s recorder adds to a command's round trip (issue 15).

Starts its own redis-server (loopback, free port, no persistence: tests/redis_server.py),
then times the same commands with redis-py as shipped and with the recorder installed
(redis-py's command path wrapped, the caller's frame classified as application code,
each command kept for the end-of-test checks), in alternating rounds, and prints the
median time per command and the ratio. Target: under 10% on a local server.

The end-of-test checks (one TTL and TYPE per written key, once per test) are not in
the per-command figure; they are printed separately, per written key.

    .venv/bin/python bench/plugin_overhead.py [--commands 5000] [--rounds 7]

A benchmark, not a test: the figures depend on the machine (a shared one is noisy;
the median of alternating rounds keeps the comparison fair).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # redis_server.py: the tests' server starter

import redis  # noqa: E402
from redis_server import running_redis_server  # noqa: E402

from redislint.pytest_plugin.checks import Checker  # noqa: E402
from redislint.pytest_plugin.recorder import Recorder  # noqa: E402


def set_get(r: redis.Redis, n: int) -> None:
    """The application code being timed: its frames are under the recorder's root."""
    for i in range(n // 2):
        r.set(f"cache:{i % 100}", "x", ex=60)
        r.get(f"cache:{i % 100}")


def pipelined(r: redis.Redis, n: int) -> None:
    for _ in range(n // 100):
        with r.pipeline() as pipe:
            for i in range(100):
                pipe.set(f"cache:{i}", "x", ex=60)
            pipe.execute()


def per_command(work: Callable[[redis.Redis, int], None], r: redis.Redis, n: int) -> float:
    start = time.perf_counter()
    work(r, n)
    return (time.perf_counter() - start) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=5000, help="commands per round")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds")
    args = parser.parse_args()

    from redislint.catalogue import load_catalogue
    from redislint.config import Config

    config = Config(root=HERE)
    recorder = Recorder(HERE, config.is_test_path)
    with running_redis_server() as server:
        r = redis.Redis(host=server.host, port=server.port)
        r.ping()
        print(f"redis-server on {server.host}:{server.port}, redis-py {redis.__version__}")
        print(f"{args.commands} commands per round, {args.rounds} rounds, medians")
        for name, work in (
            ("SET/GET, one round trip each", set_get),
            ("pipeline of 100", pipelined),
        ):
            work(r, args.commands)  # warm up: connection, code paths
            plain: list[float] = []
            wrapped: list[float] = []
            for _ in range(args.rounds):
                plain.append(per_command(work, r, args.commands))
                recorder.install()
                try:
                    wrapped.append(per_command(work, r, args.commands))
                finally:
                    recorder.uninstall()
                kept = recorder.take()
                assert len(kept) == args.commands, f"recorded {len(kept)} commands"
                assert kept[0].origin is not None, "the caller must count as application code"
            a, b = statistics.median(plain), statistics.median(wrapped)
            print(
                f"{name:<30} plain {a * 1e6:7.2f} us  recorded {b * 1e6:7.2f} us  "
                f"+{(b - a) * 1e6:5.2f} us/command  overhead {100 * (b / a - 1):+5.1f}%"
            )

        # End-of-test checks: TTL and TYPE per distinct written key, once per test.
        catalogue = load_catalogue()
        checker = Checker(config, recorder, frozenset(catalogue))
        recorder.install()
        try:
            set_get(r, 200)  # 100 distinct keys written
        finally:
            recorder.uninstall()
        sent = recorder.take()
        start = time.perf_counter()
        checker.check("bench", sent)
        spent = time.perf_counter() - start
        print(f"end-of-test check: {spent / 100 * 1e6:.1f} us per distinct written key")
        r.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
