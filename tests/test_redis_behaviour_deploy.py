"""What the RL6xx rules claim about Redis deployments, shown on a real redis-server.

Every server here is started by the test from a config file, in its own temporary
directory, on a free loopback port (the test-only overrides `--port`, `--bind`, `--dir`
and `--logfile` come after the file on the command line, so they win over it and
change nothing else):

- persistence (RL601): with the flagged config, keys written and acknowledged are gone
  after `kill -9` and a restart; with the fixed config (AOF on, `appendfsync always`)
  every acknowledged write survives 20 rounds of `kill -9` and restart;
- eviction (RL602): with a small `maxmemory` and `allkeys-lru`, keys without a TTL are
  evicted under load; with `noeviction`, writes fail with OOM and no key is lost;
- exposure (RL604/RL605): without `requirepass` an unauthenticated client runs
  commands; with it, NOAUTH; `rename-command FLUSHALL ""` makes FLUSHALL unknown;
- the parser agrees with the server: for every fixture redis.conf, the effective
  settings redislint computes equal `CONFIG GET` on a server started with that file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from redis_server import HOST, find_redis_server, free_port, ping
from support import missing_tool

from redislint.config import Config
from redislint.deploy.discover import DeployFile, build_deployments
from redislint.deploy.model import Deployment
from redislint.deploy.redisconf import memory_bytes
from redislint.testing.harness import fix_deploy_fixture, run_deploy_fixture

redis = pytest.importorskip("redis")

FIXTURES = Path(__file__).parent / "fixtures"
PROBE_USER, PROBE_PASSWORD = "redislint-probe", "probe-password"
pytestmark = pytest.mark.redis


def _executable() -> str:
    executable = find_redis_server()
    if executable is None:
        missing_tool("redis-server is not on PATH")
    assert executable is not None
    return executable


class Server:
    """One redis-server process started from `config` in `directory`."""

    def __init__(self, config: Path, directory: Path, extra: tuple[str, ...] = ()) -> None:
        self.config, self.directory, self.extra = config, directory, extra
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [
            _executable(),
            str(self.config),
            *self.extra,
            "--port", str(self.port),
            "--bind", HOST,
            "--dir", str(self.directory),
            "--logfile", str(self.directory / "redis.log"),
            "--daemonize", "no",
            "--user", PROBE_USER, "on", f">{PROBE_PASSWORD}", "~*", "&*", "+@all",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args,
            cwd=self.config.parent,  # Redis resolves a relative include from its cwd
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"redis-server exited:\n{self.log()}")
            if self._ready():
                return
            time.sleep(0.02)
        self.stop()
        raise AssertionError(f"redis-server did not start:\n{self.log()}")

    def _ready(self) -> bool:
        if not ping(HOST, self.port):
            # A server asking for a password answers PING with NOAUTH: still up.
            try:
                self.client(probe=True).ping()
            except (redis.ConnectionError, redis.ResponseError):
                return False
        try:  # still loading the AOF/RDB answers LOADING
            return self.client(probe=True).dbsize() >= 0
        except (redis.ConnectionError, redis.ResponseError):
            return False

    def log(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self, probe: bool = False, **kwargs: object) -> redis.Redis:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        if probe:
            kwargs.update(username=PROBE_USER, password=PROBE_PASSWORD)
        # No retries: an error reply (NOAUTH) is the answer under test, not a glitch.
        return redis.Redis(
            host=HOST, port=self.port, socket_timeout=5, retry=Retry(NoBackoff(), 0), **kwargs
        )

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


@contextmanager
def running(config: Path, directory: Path, *extra: str) -> Iterator[Server]:
    server = Server(config, directory, extra)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _codes(path: Path) -> set[str]:
    root = path.parent
    while not (root / "redislint.toml").is_file():
        root = root.parent
    _annotations, findings = run_deploy_fixture(path, root)
    return {f.code for f in findings}


# -- persistence (RL601) ----------------------------------------------------------------


def test_flagged_config_loses_acknowledged_writes_on_kill(tmp_path: Path) -> None:
    config = FIXTURES / "RL601" / "bare_primary" / "redis.conf"
    assert "RL601" in _codes(config)
    server = Server(config, tmp_path)
    server.start()
    try:
        client = server.client(probe=True)
        for n in range(200):
            assert client.set(f"order:{n}", "paid")
        assert client.dbsize() == 200
        server.kill9()
        server.start()
        assert server.client(probe=True).dbsize() == 0, "the writes survived without AOF"
    finally:
        server.stop()


def test_fixed_config_keeps_every_acknowledged_write_through_kill_9(tmp_path: Path) -> None:
    source = FIXTURES / "RL601" / "bare_primary" / "redis.conf"
    fixed = fix_deploy_fixture(source, source.parent, unsafe=True)
    config = tmp_path / "redis.conf"
    config.write_bytes(fixed.data)
    assert "appendonly yes" in fixed.fixed.text
    assert not [f for f in fixed.fixed.findings if f.code == "RL601"]
    data = tmp_path / "data"
    data.mkdir()
    server = Server(config, data, ("--appendfsync", "always"))
    acknowledged: dict[str, int] = {}
    try:
        for round_number in range(20):
            server.start()
            client = server.client(probe=True)
            keys = sorted(k.decode() for k in client.scan_iter(match="order:*"))
            stored = (
                {k: int(v) for k, v in zip(keys, client.mget(keys), strict=True)} if keys else {}
            )
            assert stored == acknowledged, f"round {round_number}: acknowledged writes lost"
            for n in range(25):
                key = f"order:{round_number}:{n}"
                assert client.set(key, round_number)
                acknowledged[key] = round_number
            server.kill9()
    finally:
        server.stop()
    assert len(acknowledged) == 500


# -- eviction (RL602) -------------------------------------------------------------------


def _fill(client: redis.Redis, count: int) -> tuple[int, bool]:
    """Write `count` 1 KB keys without a TTL, in order, 200 per round trip; returns
    (acknowledged writes, whether an OOM error reply stopped them)."""
    value = "x" * 1024
    written = 0
    for start in range(0, count, 200):
        pipe = client.pipeline(transaction=False)
        for n in range(start, min(start + 200, count)):
            pipe.set(f"order:{n}", value)
        for reply in pipe.execute(raise_on_error=False):
            if isinstance(reply, redis.exceptions.OutOfMemoryError):  # `-OOM` reply
                return written, True
            assert reply is True
            written += 1
    return written, False


def test_allkeys_lru_evicts_keys_without_ttl(tmp_path: Path) -> None:
    config = FIXTURES / "RL602" / "basic" / "redis.conf"
    assert "RL602" in _codes(config)
    with running(config, tmp_path, "--maxmemory", "4mb", "--appendonly", "no") as server:
        client = server.client(probe=True)
        written, oom = _fill(client, 10_000)
        assert not oom and written == 10_000
        assert client.ttl("order:9999") == -1  # no TTL on what was written
        assert client.dbsize() < written, "nothing was evicted"
        # Keys were evicted and none expired: keys without a TTL are what went. (Which ones
        # is not fixed: the LRU clock ticks once a second and Redis evicts the best of a
        # sample, so keys written within one second are equally old.)
        stats = client.info("stats")
        assert stats["expired_keys"] == 0 and stats["evicted_keys"] > 0


def test_noeviction_fails_writes_and_keeps_every_key(tmp_path: Path) -> None:
    config = FIXTURES / "RL602" / "basic" / "redis.conf.unsafe.fixed"
    conf = tmp_path / "redis.conf"
    conf.write_bytes(config.read_bytes())
    assert "RL602" not in _codes_of_text(conf)
    data = tmp_path / "data"
    data.mkdir()
    with running(conf, data, "--maxmemory", "4mb", "--appendonly", "no") as server:
        client = server.client(probe=True)
        written, oom = _fill(client, 10_000)
        assert oom, "noeviction never refused a write"
        assert client.dbsize() == written, "a key was lost"


def _codes_of_text(path: Path) -> set[str]:
    (path.parent / "redislint.toml").write_text(
        '[[keyspace]]\npattern = "order:*"\nrole = "critical"\n', encoding="utf-8"
    )
    _annotations, findings = run_deploy_fixture(path, path.parent)
    return {f.code for f in findings}


# -- exposure (RL604, RL605) ------------------------------------------------------------


def test_without_requirepass_anyone_runs_commands(tmp_path: Path) -> None:
    config = FIXTURES / "RL604" / "bind" / "redis.conf"
    assert "RL604" in _codes(config)
    with running(config, tmp_path) as server:
        anonymous = server.client()
        assert anonymous.set("k", "v")
        assert anonymous.get("k") == b"v"


def test_with_requirepass_unauthenticated_clients_get_noauth(tmp_path: Path) -> None:
    config = FIXTURES / "RL604" / "with_password" / "redis.conf"
    assert "RL604" not in _codes(config)
    with running(config, tmp_path) as server:
        with pytest.raises(redis.AuthenticationError):
            server.client().set("k", "v")
        assert server.client(password="s3cr3t-from-the-vault").set("k", "v")


def test_renamed_flushall_is_unknown(tmp_path: Path) -> None:
    config = FIXTURES / "RL605" / "basic" / "redis.conf"
    with running(config, tmp_path) as server:
        client = server.client(probe=True)
        client.set("order:1", "paid")
        with pytest.raises(redis.ResponseError, match="unknown command"):
            client.execute_command("FLUSHALL")
        assert client.exists("order:1") == 1
        client.execute_command("KEYS", "*")  # not renamed: still callable, as RL605 says


# -- the parser agrees with the server --------------------------------------------------

COMPARED = ("appendonly", "appendfsync", "save", "maxmemory", "maxmemory-policy",
            "protected-mode", "requirepass")  # fmt: skip


def _fixture_confs() -> list[Path]:
    confs = []
    for path in sorted(FIXTURES.rglob("*.conf")):
        text = path.read_text(encoding="utf-8")
        if "redis" not in path.name or "RL001" in path.parts or "sentinel" in text:
            continue
        if "rename-command CONFIG" in text:
            continue  # CONFIG GET would be unknown
        confs.append(path)
    return confs


def _deployment(path: Path) -> Deployment:
    config = Config(root=path.parent)
    file = DeployFile(path, path.name, path.read_text(encoding="utf-8"), "conf")
    found = build_deployments([file], config, lambda p: p.name)
    assert len(found.deployments) == 1 and not found.problems
    return found.deployments[0]


@pytest.mark.parametrize("path", _fixture_confs(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_effective_settings_equal_config_get(path: Path, tmp_path: Path) -> None:
    deployment = _deployment(path)
    with running(path, tmp_path) as server:
        client = server.client(probe=True, decode_responses=True)
        for name in COMPARED:
            served = client.config_get(name)[name]
            computed = deployment.effective(name).value
            if name == "maxmemory":
                computed = str(memory_bytes(computed))
            assert computed == served, f"{name}: redislint says {computed!r}, Redis {served!r}"


def test_the_parser_comparison_covers_the_fixtures() -> None:
    assert len(_fixture_confs()) >= 15
