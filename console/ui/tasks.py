"""Running database work off the GUI thread and delivering results back to it.

Every query the window makes goes through a :class:`TaskRunner`: the callable
runs on a ``QThreadPool`` worker, and its result (or exception) comes back to
the GUI thread by a queued signal.  Tasks submitted under the same ``key``
supersede each other: when an older one finishes after a newer one was
submitted, its answer is dropped (the filter changed meanwhile).
"""

from __future__ import annotations

import itertools
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

OnDone = Callable[[Any], None]
OnError = Callable[[BaseException], None]


class _Relay(QObject):
    """Lives in the GUI thread; workers emit on it, Qt queues the call over."""

    finished = Signal(int, object, object)  # ticket, result, exception


class _Job(QRunnable):
    def __init__(self, ticket: int, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._ticket = ticket
        self._fn = fn
        self._relay = relay

    def run(self) -> None:  # worker thread
        try:
            result = self._fn()
        except BaseException as exc:  # delivered to the GUI thread, never swallowed
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self._relay.finished.emit(self._ticket, None, exc)
            return
        self._relay.finished.emit(self._ticket, result, None)


@dataclass
class _Pending:
    key: str | None
    on_done: OnDone | None
    on_error: OnError | None


class TaskRunner(QObject):
    """Submit callables to a thread pool; results arrive on the GUI thread."""

    busy_changed = Signal(int)  # number of tasks in flight

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._relay = _Relay()
        self._relay.finished.connect(self._on_finished)
        self._tickets = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._latest: dict[str, int] = {}

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
        *,
        key: str | None = None,
    ) -> int:
        """Run ``fn`` off the GUI thread; returns a ticket."""
        ticket = next(self._tickets)
        self._pending[ticket] = _Pending(key, on_done, on_error)
        if key is not None:
            self._latest[key] = ticket
        self._pool.start(_Job(ticket, fn, self._relay))
        self.busy_changed.emit(len(self._pending))
        return ticket

    def invalidate(self, key: str) -> None:
        """Drop the answer of any task in flight under ``key``."""
        self._latest[key] = -1

    def in_flight(self) -> int:
        return len(self._pending)

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until the pool is empty (shutdown and tests only)."""
        return self._pool.waitForDone(timeout_ms)

    @Slot(int, object, object)
    def _on_finished(self, ticket: int, result: Any, exc: BaseException | None) -> None:
        pending = self._pending.pop(ticket, None)
        self.busy_changed.emit(len(self._pending))
        if pending is None:
            return
        if pending.key is not None and self._latest.get(pending.key) != ticket:
            return  # stale: a newer task under the same key was submitted
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
