"""Connecting to a profile without blocking the window.

:class:`Connector` runs ``open_database`` on a background thread (the data layer
is imported there too, so the window paints before SQLAlchemy loads) and reports
back by queued signals.  Only the newest attempt counts: a connection that
finishes after the operator switched elsewhere is closed at once.

Staging and prod ask before migrating: the worker emits ``confirm_requested``
and waits on an event until the GUI thread answers (:meth:`Connector.answer`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QObject, Signal, Slot

if TYPE_CHECKING:
    from console.db.connection import Database
    from console.db.errors import FailureKind
    from console.db.migrator import MigrationReport
    from console.profiles import Profile

log = logging.getLogger(__name__)


@dataclass
class Failure:
    """Why a connection attempt failed, fit for an operator (no traceback, no password)."""

    reason: str
    kind: FailureKind | Literal["migrations"]
    pending: tuple[str, ...] = ()


@dataclass
class ConfirmRequest:
    """A pending-migrations question from a worker, answered on the GUI thread."""

    attempt: int
    profile: Profile
    report: MigrationReport
    sql: str = ""  # prepared off the GUI thread, shown before the question
    answer: bool = False
    event: threading.Event | None = None


def explain_failure(exc: BaseException) -> Failure:
    """Map whatever ``open_database`` raised to a :class:`Failure`."""
    from console.db.errors import (
        ConnectionFailed,
        explain_connection_error,
        first_line,
        is_database_error,
    )
    from console.db.migrator import MigrationRefused
    from console.db.ssh_errors import TunnelFailed

    if isinstance(exc, MigrationRefused):
        pending = tuple(exc.report.pending)
        return Failure(
            f"{len(pending)} pending migration(s) were not applied ({', '.join(pending)}), so the "
            "console did not connect. Nothing was changed.",
            "migrations",
            pending,
        )
    if isinstance(exc, ConnectionFailed | TunnelFailed) or is_database_error(exc):
        # TunnelFailed: a tunnel that dropped and could not be reopened
        failed = explain_connection_error(exc)
        return Failure(str(failed), failed.kind)
    log.error("connecting failed unexpectedly", exc_info=exc)
    return Failure(f"could not connect: {first_line(exc)}", "error")


def _run_in_thread(name: str, fn: Callable[[], Any]) -> threading.Thread:
    thread = threading.Thread(target=fn, name=name, daemon=True)
    thread.start()
    return thread


class Connector(QObject):
    """Opens and closes databases off the GUI thread; one current attempt at a time."""

    connecting = Signal(object)  # Profile
    connected = Signal(object)  # Database
    failed = Signal(object, object)  # Profile, Failure
    confirm_requested = Signal(object)  # ConfirmRequest (GUI thread answers with answer())
    progress = Signal(str)  # "waiting for N session(s) ..." while migrations wait for a lock
    closed = Signal()  # a database closed by close_async finished closing

    # worker -> GUI relays (queued across threads)
    _done = Signal(int, object, object, object)  # attempt, profile, database, failure
    _ask = Signal(object)
    _closed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._attempt = 0
        self._busy = False
        self._open_requests: dict[int, ConfirmRequest] = {}
        self._closing: list[threading.Thread] = []
        self._done.connect(self._on_done)
        self._ask.connect(self.confirm_requested)
        self._closed.connect(self.closed)

    @property
    def busy(self) -> bool:
        """True while an attempt is running."""
        return self._busy

    def connect_profile(self, profile: Profile, password: str | None = None) -> int:
        """Start connecting to ``profile``; supersedes any attempt in flight."""
        self.cancel()
        self._attempt += 1
        attempt = self._attempt
        self._busy = True
        self.connecting.emit(profile)

        def confirm(report: MigrationReport) -> bool:
            if attempt != self._attempt:
                return False
            try:
                sql = report.sql()
            except Exception as exc:  # the question is still asked, saying why
                log.warning("preparing the pending SQL failed: %s", exc)
                sql = f"-- the SQL could not be prepared: {exc}"
            request = ConfirmRequest(attempt, profile, report, sql, event=threading.Event())
            self._open_requests[attempt] = request
            self._ask.emit(request)
            assert request.event is not None
            request.event.wait()
            return request.answer and attempt == self._attempt

        def work() -> None:
            db = failure = None
            try:
                from console.db.connection import open_database

                db = open_database(
                    profile,
                    password=password,
                    confirm_migrations=confirm,
                    progress=self.progress.emit,
                )
            except BaseException as exc:
                failure = explain_failure(exc)
            self._done.emit(attempt, profile, db, failure)

        _run_in_thread(f"connect-{profile.name}", work)
        return attempt

    def answer(self, request: ConfirmRequest, apply: bool) -> None:
        """The operator's answer to a pending-migrations question (GUI thread)."""
        request.answer = bool(apply)
        self._open_requests.pop(request.attempt, None)
        if request.event is not None:
            request.event.set()

    def cancel(self) -> None:
        """Forget the attempt in flight: its result is closed when it arrives."""
        if self._busy:
            self._attempt += 1
            self._busy = False
        for request in list(self._open_requests.values()):
            self.answer(request, False)

    def close_async(self, db: Database | None) -> None:
        """Close ``db`` (pool, embedded server) on a background thread."""
        if db is None:
            return

        def work() -> None:
            try:
                db.close()
            except Exception as exc:
                log.warning("closing %s failed: %s", db.profile.name, exc)
            self._closed.emit()

        self._closing = [t for t in self._closing if t.is_alive()]
        self._closing.append(_run_in_thread(f"close-{db.profile.name}", work))

    def wait_closed(self, timeout_s: float = 30.0) -> None:
        """Wait for background closes (at shutdown, so the embedded server stops)."""
        for thread in self._closing:
            thread.join(timeout_s)
        self._closing.clear()

    @Slot(int, object, object, object)
    def _on_done(self, attempt: int, profile: Profile, db: Database | None, failure) -> None:
        if attempt != self._attempt:
            if db is not None:  # superseded: nobody wants it any more
                self.close_async(db)
            return
        self._busy = False
        if db is not None:
            self.connected.emit(db)
        else:
            self.failed.emit(profile, failure or Failure("could not connect", "error"))


def preload_data_layer() -> None:
    """Import the data layer (SQLAlchemy, psycopg, Alembic) on a worker thread."""
    import console.db.connection
    import console.profiles  # noqa: F401
