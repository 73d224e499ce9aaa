"""The connection lifecycle of the window, without the window.

:class:`ConnectionSession` connects a profile (through the
:class:`~console.ui.connect.Connector`, off the GUI thread), holds the open
``Database`` with its write guard and query canceller, pings the server and
retries with backoff while it is gone, relays the migration question, and
closes the old database in the background on a switch.  It says what happened by
signals; the window reacts (banner, panels, pages) and asks the operator.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QObject, QTimer, Signal

from console.ui.connect import ConfirmRequest, Connector, Failure
from console.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from console.actions.guard import WriteGuard
    from console.db.cancel import QueryCanceller
    from console.db.connection import Database
    from console.profiles import Profile

log = logging.getLogger(__name__)

SessionState = Literal["idle", "connecting", "connected", "failed"]

PING_INTERVAL_MS = 10_000
# While the server is gone, retry after 1 s, 2 s, 4 s … at most every 30 s.
RETRY_FIRST_MS = 1_000
RETRY_MAX_MS = 30_000


class ConnectionSession(QObject):
    """One window's connection: connect, reconnect with backoff, write lock, migrations."""

    state_changed = Signal(str)  # SessionState
    connecting = Signal(object)  # Profile
    connected = Signal(object)  # Database (also for an adopted one)
    failed = Signal(object, object)  # Profile, Failure
    detached = Signal()  # the database went away: pages must forget it
    confirm_requested = Signal(object)  # ConfirmRequest: ask, then answer_migration()
    progress = Signal(str)  # one line for the status bar
    lost = Signal(str)  # the server stopped answering: reason and next try
    restored = Signal(object)  # Database: the server answers again
    write_lock_changed = Signal()

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.connector = Connector(self)
        self.db: Database | None = None
        self.canceller: QueryCanceller | None = None
        self.guard: WriteGuard | None = None
        self.profile: Profile | None = None
        self.state: SessionState = "idle"
        self.failure: Failure | None = None
        self.connection_lost: str | None = None
        self.retry_ms = 0  # the current retry delay while the server is gone (0: not lost)
        self.ping_timer = QTimer(self)  # notices a server that went away while connected
        self.ping_timer.setInterval(PING_INTERVAL_MS)
        self.ping_timer.timeout.connect(self.check_connection)
        c = self.connector
        c.connecting.connect(self._on_connecting)
        c.connected.connect(self._on_connected)
        c.failed.connect(self._on_failed)
        c.confirm_requested.connect(self.confirm_requested)
        c.progress.connect(self.progress)

    # ------------------------------------------------------------ connecting

    def connect_profile(self, profile: Profile, password: str | None = None) -> None:
        """Detach from the current database (closed in the background) and connect ``profile``."""
        self.detach()
        self.profile = profile
        self.connector.connect_profile(profile, password=password)

    def adopt(self, db: Database) -> None:
        """Use a database that is already open (tests, the screenshot command)."""
        self.detach()
        self.profile = db.profile
        self._on_connected(db)

    def retry(self) -> None:
        if self.profile is not None:
            self.connect_profile(self.profile)

    def provide_password(self, password: str, store: bool) -> None:
        """The operator typed what the last attempt lacked; connect again with it.

        A key passphrase stays in memory for this session, never on disk or in the keyring.
        """
        from console import secrets

        profile = self.profile
        if profile is None:
            return
        kind = self.failure.kind if self.failure is not None else ""
        if kind in ("tunnel-passphrase", "tls-passphrase"):
            from console.db import passphrases

            which: passphrases.KeyKind = (
                passphrases.SSH if kind == "tunnel-passphrase" else passphrases.TLS
            )
            passphrases.remember(which, profile.name, password)
            self.connect_profile(profile)
            return
        if store:
            if not secrets.store_password(profile.name, password):
                self.progress.emit("No system keyring: the password is kept for this session only.")
        else:
            secrets.remember_for_session(profile.name, password)
        self.connect_profile(profile, password=password)

    def answer_migration(self, request: ConfirmRequest, yes: bool) -> None:
        self.connector.answer(request, yes)

    def detach(self) -> None:
        """Forget the database (``detached`` first, so pages let go); close it in the background."""
        old = self.db
        self.db = None
        if self.canceller is not None:
            self.canceller.close()
            self.canceller = None
        self.guard = None
        self.ping_timer.stop()
        self.connection_lost = None
        if old is not None:
            self.detached.emit()
            self.connector.close_async(old)

    def _set_state(self, state: SessionState) -> None:
        self.state = state
        self.state_changed.emit(state)

    def _on_connecting(self, profile: Profile) -> None:
        self.failure = None
        self._set_state("connecting")
        self.connecting.emit(profile)

    def _on_connected(self, db: Database) -> None:
        from console.actions.guard import WriteGuard
        from console.db.cancel import QueryCanceller

        log.info(
            "connected to profile %s (%s), database %s, PostgreSQL %s%s",
            db.profile.name,
            db.profile.environment,
            db.database_name,
            db.server_version,
            ", read-only" if db.read_only else "",
        )
        self.db = db
        self.canceller = QueryCanceller.for_database(db)
        self.profile = db.profile
        self.guard = WriteGuard.for_profile(db.profile)
        self.connection_lost = None
        self.retry_ms = 0
        self._set_state("connected")
        self.connected.emit(db)
        self.ping_timer.setInterval(PING_INTERVAL_MS)
        self.ping_timer.start()

    def _on_failed(self, profile: Profile, failure: Failure) -> None:
        log.warning("connecting to profile %s failed: %s", profile.name, failure.reason)
        self.failure = failure
        self._set_state("failed")
        self.failed.emit(profile, failure)

    # ------------------------------------------------------------ liveness

    def check_connection(self) -> None:
        """Ping the server off the GUI thread; ``lost`` while it is gone, ``restored`` after."""
        db = self.db
        if db is None:
            return

        def ping() -> None:
            db.ping()  # through the SSH tunnel too, reopened if it dropped

        def ok(_result: object) -> None:
            if db is self.db and self.connection_lost is not None:
                self.connection_lost = None
                self.retry_ms = 0
                self.ping_timer.setInterval(PING_INTERVAL_MS)
                self.restored.emit(db)

        def failed(exc: BaseException) -> None:
            if db is not self.db:
                return
            from console.ui.connect import explain_failure

            reason = explain_failure(exc).reason
            if self.connection_lost is None:
                log.warning("lost the connection to %s: %s", db.profile.name, reason)
            self.connection_lost = reason
            self.retry_ms = min(self.retry_ms * 2, RETRY_MAX_MS) or RETRY_FIRST_MS
            self.ping_timer.setInterval(self.retry_ms)
            self.lost.emit(f"{reason} (next try in {self.retry_ms // 1000} s)")

        self.runner.submit(ping, ok, failed, owner=self, key="ping", lane="ping")

    def cancel_queries(self) -> bool:
        """Ask the server to stop this window's running statements; False if not connected."""
        canceller = self.canceller
        if canceller is None:
            return False

        def send() -> None:
            # A plain thread: the task runner's workers may all be busy with the slow queries.
            sent = canceller.cancel_all()
            log.info("cancel requested for %d running statement(s)", sent)

        threading.Thread(target=send, name="autopr-cancel", daemon=True).start()
        return True

    # ------------------------------------------------------------ write lock

    def may_unlock(self) -> bool:
        guard = self.guard
        return guard is not None and guard.needs_unlock and not guard.may_write()

    def may_lock(self) -> bool:
        guard = self.guard
        return guard is not None and guard.needs_unlock and guard.may_write()

    def lock_writes(self) -> None:
        if self.guard is not None:
            self.guard.lock()
            self.write_lock_changed.emit()

    def unlocked(self) -> None:
        """The unlock dialog accepted (the guard itself records the unlock)."""
        self.write_lock_changed.emit()

    # ------------------------------------------------------------ shutdown

    def stop(self) -> None:
        """No more pings or connection attempts (the window is closing)."""
        self.ping_timer.stop()
        self.connector.cancel()

    def release(self) -> Database | None:
        """Hand the open database to the caller, who closes it (shutdown)."""
        db, self.db = self.db, None
        return db
