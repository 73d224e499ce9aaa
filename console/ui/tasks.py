"""Running database work off the GUI thread and delivering results back to it.

Every query the window makes goes through a :class:`TaskRunner`: the callable
runs on a ``QThreadPool`` worker, and its result (or exception) comes back to
the GUI thread by a queued signal.  Four rules keep stale work from piling up:

* Every task names its **owner** (a QObject: the page, controller or dialog
  that asked).  Once the owner is deleted its callbacks are dropped, and its
  keyed tasks (reads) that have not started yet never run.  Keyless tasks (the
  writes an operator confirmed) still run: a confirmed action is never dropped
  silently because the dialog that started it closed.
* Tasks under the same ``key`` supersede each other: an older task still
  waiting in the queue is **skipped before it runs** (no SQL is sent), and the
  answer of one already running is dropped.  A key holds at most one waiting
  task: a new submit takes over the queue slot of the one it supersedes, so
  the queue never grows past one entry per key.
* :meth:`TaskRunner.busy` tells whether an owner (or any object under it) still
  has work in flight, so the auto-refresh skips a tick instead of queueing a
  page's load behind its own previous load.
* Tasks run in **lanes**, each with its own threads: ``"query"`` for the pages'
  reads and the actions, ``"ping"`` for the connection check, which therefore
  never waits behind slow or stale queries.  The lanes' threads together stay
  within the engine's pool (3 + 2 overflow connections), so a ping also finds a
  free connection.
"""

from __future__ import annotations

import itertools
import logging
import threading
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

OnDone = Callable[[Any], None]
OnError = Callable[[BaseException], None]
Lane = Literal["query", "ping"]
LANE_THREADS: dict[str, int] = {"query": 4, "ping": 1}
_SKIPPED = object()  # the result of a task that never ran


class _Relay(QObject):
    """Lives in the GUI thread; workers emit on it, Qt queues the call over."""

    finished = Signal(int, object, object)  # ticket, result, exception


@dataclass
class _Pending:
    key: str | None
    on_done: OnDone | None
    on_error: OnError | None
    owner: weakref.ref[QObject]
    job: _Job | None = None
    dropped: bool = False  # superseded: read by the worker before it runs


class _Job(QRunnable):
    """One queue slot.  Until a worker takes it, a newer submit under the same key
    may retarget it (new ticket, new callable): the queue holds one job per key."""

    def __init__(self, runner: TaskRunner, ticket: int, fn: Callable[[], Any], lane: str) -> None:
        super().__init__()
        self.lane = lane
        self.setAutoDelete(True)
        self._runner = runner
        self._relay = runner._relay
        self._lock = threading.Lock()
        self.started = False
        self.ticket = ticket
        self.fn: Callable[[], Any] | None = fn

    def retarget(self, ticket: int, fn: Callable[[], Any]) -> int | None:
        """Make this waiting job run ``fn`` instead; returns the ticket it replaced, or
        None when a worker took the job already."""
        with self._lock:
            if self.started:
                return None
            replaced = self.ticket
            self.ticket, self.fn = ticket, fn
            return replaced

    def run(self) -> None:  # worker thread
        with self._lock:
            self.started = True
            ticket, fn = self.ticket, self.fn
            self.fn = None
        if fn is None or not self._runner._wanted(ticket):
            self._relay.finished.emit(ticket, _SKIPPED, None)
            return
        try:
            result = fn()
        except BaseException as exc:  # delivered to the GUI thread, never swallowed
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self._relay.finished.emit(ticket, None, exc)
            return
        self._relay.finished.emit(ticket, result, None)


def _alive(obj: QObject | None) -> bool:
    return obj is not None and shiboken6.isValid(obj)


def _under(obj: QObject | None, ancestor: QObject) -> bool:
    while _alive(obj):
        if obj is ancestor:
            return True
        obj = obj.parent()  # type: ignore[union-attr]
    return False


class TaskRunner(QObject):
    """Submit callables to thread pools; results arrive on the GUI thread."""

    busy_changed = Signal(int)  # number of tasks in flight

    def __init__(self, parent: QObject | None = None, max_threads: int = LANE_THREADS["query"]):
        super().__init__(parent)
        self._pools: dict[str, QThreadPool] = {}
        for lane, threads in {**LANE_THREADS, "query": max_threads}.items():
            pool = QThreadPool(self)
            pool.setMaxThreadCount(threads)
            self._pools[lane] = pool
        self._relay = _Relay()
        self._relay.finished.connect(self._on_finished)
        self._tickets = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._latest: dict[str, int] = {}
        self._waiting: dict[str, _Job] = {}  # key -> its job not yet taken by a worker
        self.executed = 0  # tasks whose callable ran (figures and tests)
        self.skipped = 0  # tasks dropped before they ran

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
        *,
        owner: QObject,
        key: str | None = None,
        lane: Lane = "query",
    ) -> int:
        """Run ``fn`` off the GUI thread for ``owner``; returns a ticket.

        ``on_done(result)`` / ``on_error(exc)`` run on the GUI thread, only while
        ``owner`` exists and no newer task was submitted under ``key``.
        """
        ticket = next(self._tickets)
        if key is not None:
            self._supersede(key)
            self._latest[key] = ticket
        # Registered before a worker can see the ticket: it checks ``_pending`` first.
        pending = _Pending(key, on_done, on_error, weakref.ref(owner))
        self._pending[ticket] = pending
        job = self._waiting.get(key) if key is not None else None
        replaced = None
        if job is not None and job.lane == lane:
            pending.job = job
            replaced = job.retarget(ticket, fn)
        if replaced is not None:  # the superseded task gives up its queue slot unrun
            self._pending.pop(replaced, None)
            self.skipped += 1
        else:
            job = pending.job = _Job(self, ticket, fn, lane)
            self._pools[lane].start(job)
        if key is not None and job is not None:
            self._waiting[key] = job
        self.busy_changed.emit(len(self._pending))
        return ticket

    def invalidate(self, key: str) -> None:
        """Drop the task under ``key``: skipped if not started yet, else its answer dropped."""
        self._supersede(key)
        self._latest[key] = -1

    def in_flight(self, owner: QObject | None = None) -> int:
        """Tasks queued or running (not superseded) of ``owner`` and the objects under it;
        of everyone when ``owner`` is None."""
        if owner is None:
            return len(self._pending)
        return sum(1 for p in self._pending.values() if not p.dropped and _under(p.owner(), owner))

    def busy(self, owner: QObject) -> bool:
        """Whether ``owner`` or an object under it has a task queued or running."""
        return self.in_flight(owner) > 0

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until every lane is empty (shutdown and tests only)."""
        return all(pool.waitForDone(timeout_ms) for pool in self._pools.values())

    # ------------------------------------------------------------ internals

    def _supersede(self, key: str) -> None:
        current = self._pending.get(self._latest.get(key, -1))
        if current is not None:
            current.dropped = True

    def _wanted(self, ticket: int) -> bool:
        """Worker thread, just before running: not superseded, and a keyed task's owner
        still exists (plain reads, atomic under the GIL; ``isValid`` reads a flag)."""
        pending = self._pending.get(ticket)
        if pending is None or pending.dropped:
            return False
        return pending.key is None or _alive(pending.owner())

    @Slot(int, object, object)
    def _on_finished(self, ticket: int, result: Any, exc: BaseException | None) -> None:
        pending = self._pending.pop(ticket, None)
        self.busy_changed.emit(len(self._pending))
        if pending is None:
            return
        if pending.key is not None and self._waiting.get(pending.key) is pending.job:
            del self._waiting[pending.key]
        if result is _SKIPPED:
            self.skipped += 1
            return
        self.executed += 1
        if pending.dropped or not _alive(pending.owner()):
            return  # superseded meanwhile, or the owner was deleted while it ran
        if pending.key is not None and self._latest.get(pending.key) != ticket:
            return
        if exc is not None:
            if pending.on_error is not None:
                pending.on_error(exc)
            else:
                log.error(
                    "background task failed: %s", getattr(exc, "__traceback_text__", repr(exc))
                )
            return
        if pending.on_done is not None:
            pending.on_done(result)
