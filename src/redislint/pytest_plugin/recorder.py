"""Record every command redis-py sends, in-process, with the application line that sent it.

Why wrap the client rather than use MONITOR: MONITOR sees every client of the server
(other test workers, the checker itself), cannot tell which Python line sent a command,
costs the server a copy of every command, and is refused by managed Redis. Wrapping
redis-py's command path sees exactly this process's commands, with their call stack.

What is wrapped (class attributes, restored by `uninstall`):
- `redis.Redis.execute_command` and `redis.asyncio.Redis.execute_command` (every plain
  command of every client, including fakeredis's, which subclasses them);
- `Pipeline.pipeline_execute_command` (a queued command: its frame is taken at queueing
  time, the command counts once `execute()` sends it), `Pipeline.execute`,
  `Pipeline.reset` (a pipeline left without `execute()` sends nothing) and
  `Pipeline.immediate_execute_command` (commands after WATCH), sync and async;
- `RedisCluster.execute_command` and `ClusterPipeline` (sync and async; a cluster
  pipeline queues through its own `execute_command`, which is wrapped instead).
Queued commands wait in a table keyed by the pipeline's id (the async
`ClusterPipeline` has `__slots__`: no attribute can be added to it), emptied at each
`take()` so that a pipeline dropped without `execute()` or `reset()` leaks nothing.
The async wrappers are plain functions that record and return the original coroutine,
so the frame is the call site's even when the coroutine is awaited later.

The frame a command is attributed to is the first *application* frame from the call
outwards: under the project root, not in site-packages or the standard library, not
in redis-py, pytest or redislint, and not in a test path (`test-paths`). A command whose
first non-library frame is test code (a test, a fixture, conftest.py) has no
application frame: the checks exempt it, as the static rules exempt test paths.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FrameType
from typing import Any, NamedTuple


class Frame(NamedTuple):
    """A source position: path relative to the project root, 1-based line."""

    path: str
    line: int


class Sent(NamedTuple):
    """One command as sent: its wire arguments, where it came from, and its client.

    `client` is the object the command went through (a client or pipeline); the checks
    build their own client from its connection pool. `kind` is "sync", "async",
    "cluster" or "async-cluster".
    """

    args: tuple[object, ...]
    origin: Frame | None  # the first application frame; None: sent by test code
    client: Any
    kind: str
    transaction: bool = False
    batch: int = 0  # > 0: sent by one pipeline `execute()` (the same number for all of it)


# Frame classes, cached per code object: the first time a code object is seen costs a
# path comparison, every later command from it a dict lookup.
_LIBRARY, _TEST, _APP, _OTHER = range(4)


@dataclass
class Recorder:
    """The commands sent during the current test (`take()` hands them over and starts afresh).

    `is_test_path` decides what counts as test code (the config's `test-paths`, relative
    to `root`). Paused (`paused()`), it records nothing: the checks' own TTL/TYPE queries
    go through the same wrapped methods.
    """

    root: Path
    is_test_path: Callable[[str], bool]
    sent: list[Sent] = field(default_factory=list)
    _classes: dict[CodeType, tuple[int, str]] = field(default_factory=dict)
    _originals: list[tuple[type, str, Any]] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local)
    _library_dirs: tuple[str, ...] = ()
    _pending: dict[int, list[Sent]] = field(default_factory=dict)
    _batches: int = 0

    def __post_init__(self) -> None:
        paths = sysconfig.get_paths()
        dirs = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
        own = Path(__file__).resolve().parents[1]  # the redislint package
        dirs.add(str(own))
        for name in ("redis", "_pytest", "pluggy", "pytest_asyncio", "anyio", "fakeredis"):
            module = sys.modules.get(name)
            file = getattr(module, "__file__", None)
            if file:
                dirs.add(str(Path(file).resolve().parent))
        self._library_dirs = tuple(sorted(d.rstrip(os.sep) + os.sep for d in dirs))
        self.root = self.root.resolve()

    # -- recording ------------------------------------------------------------------

    def record(self, args: tuple[object, ...], client: Any, kind: str, depth: int) -> None:
        if getattr(self._local, "paused", False):
            return
        self.sent.append(Sent(args, self.origin(sys._getframe(depth + 1)), client, kind))

    def queue(self, pipe: Any, args: tuple[object, ...], kind: str, depth: int) -> None:
        """A command queued on a pipeline: its frame now, sent at `execute()`."""
        if getattr(self._local, "paused", False):
            return
        origin = self.origin(sys._getframe(depth + 1))
        sent = Sent(args, origin, pipe, kind, _is_transaction(pipe))
        self._pending.setdefault(id(pipe), []).append(sent)

    def flush(self, pipe: Any) -> None:
        """`execute()`: the queued commands are sent, as one batch."""
        queued = self._pending.pop(id(pipe), None)
        if not queued or getattr(self._local, "paused", False):
            return
        self._batches += 1
        self.sent.extend(
            Sent(s.args, s.origin, s.client, s.kind, s.transaction, self._batches) for s in queued
        )

    def discard(self, pipe: Any) -> None:
        """`reset()` without `execute()`: nothing queued was sent."""
        self._pending.pop(id(pipe), None)

    def take(self) -> list[Sent]:
        taken, self.sent = self.sent, []
        self._pending.clear()
        return taken

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        previous = getattr(self._local, "paused", False)
        self._local.paused = True
        try:
            yield
        finally:
            self._local.paused = previous

    def origin(self, frame: FrameType | None) -> Frame | None:
        """The first application frame from `frame` outwards (None: test code or none)."""
        while frame is not None:
            code = frame.f_code
            known = self._classes.get(code)
            if known is None:
                known = self._classify(code.co_filename)
                self._classes[code] = known
            kind, rel = known
            if kind == _APP:
                return Frame(rel, frame.f_lineno or code.co_firstlineno)  # NamedTuple: cheap
            if kind == _TEST:
                return None
            frame = frame.f_back
        return None

    def _classify(self, filename: str) -> tuple[int, str]:
        if filename.startswith("<"):
            return _OTHER, ""
        absolute = os.path.abspath(filename)
        if absolute.startswith(self._library_dirs):
            return _LIBRARY, ""
        root = str(self.root).rstrip(os.sep) + os.sep
        if not absolute.startswith(root):
            return _OTHER, ""
        rel = absolute[len(root) :].replace(os.sep, "/")
        if "site-packages/" in rel or rel.startswith((".venv/", "venv/", ".tox/", ".nox/")):
            return _LIBRARY, ""
        return (_TEST if self.is_test_path(rel) else _APP), rel

    # -- wrapping -------------------------------------------------------------------

    def install(self) -> list[str]:
        """Wrap every redis-py command path that is importable; returns what was wrapped."""
        wrapped: list[str] = []
        for module_name, kind in (
            ("redis.client", "sync"),
            ("redis.asyncio.client", "async"),
            ("redis.cluster", "cluster"),
            ("redis.asyncio.cluster", "async-cluster"),
        ):
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            client_cls = getattr(module, "RedisCluster" if "cluster" in kind else "Redis", None)
            if client_cls is not None:
                self._wrap_direct(client_cls, "execute_command", kind)
                wrapped.append(f"{module_name}.{client_cls.__name__}")
            pipe_cls = getattr(module, "ClusterPipeline" if "cluster" in kind else "Pipeline", None)
            if pipe_cls is not None:
                self._wrap_pipeline(pipe_cls, kind)
                wrapped.append(f"{module_name}.{pipe_cls.__name__}")
        return wrapped

    def uninstall(self) -> None:
        for cls, name, original in reversed(self._originals):
            setattr(cls, name, original)
        self._originals.clear()

    def _patch(self, cls: type, name: str, make: Callable[[Any], Any]) -> None:
        original = cls.__dict__.get(name)
        if original is None:
            return
        self._originals.append((cls, name, original))
        setattr(cls, name, make(original))

    def _wrap_direct(self, cls: type, name: str, kind: str) -> None:
        recorder = self

        def make(original: Any) -> Any:
            def execute_command(client: Any, *args: Any, **options: Any) -> Any:
                recorder.record(args, client, kind, 1)
                return original(client, *args, **options)

            execute_command.__wrapped__ = original  # type: ignore[attr-defined]
            return execute_command

        self._patch(cls, name, make)

    def _wrap_pipeline(self, cls: type, kind: str) -> None:
        recorder = self
        queue_method = "execute_command" if "cluster" in kind else "pipeline_execute_command"

        def make_queue(original: Any) -> Any:
            def queue(pipe: Any, *args: Any, **options: Any) -> Any:
                recorder.queue(pipe, args, kind, 1)
                return original(pipe, *args, **options)

            return queue

        def make_execute(original: Any) -> Any:
            def execute(pipe: Any, *args: Any, **kwargs: Any) -> Any:
                recorder.flush(pipe)
                return original(pipe, *args, **kwargs)

            return execute

        def make_reset(original: Any) -> Any:
            def reset(pipe: Any, *args: Any, **kwargs: Any) -> Any:
                recorder.discard(pipe)
                return original(pipe, *args, **kwargs)

            return reset

        self._patch(cls, queue_method, make_queue)
        self._patch(cls, "execute", make_execute)
        self._patch(cls, "reset", make_reset)
        if "immediate_execute_command" in cls.__dict__:
            self._wrap_direct(cls, "immediate_execute_command", kind)


def _is_transaction(pipe: Any) -> bool:
    return bool(getattr(pipe, "transaction", False) or getattr(pipe, "_transaction", False))
