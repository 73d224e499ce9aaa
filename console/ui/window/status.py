"""The window's status bar: connection, queries in flight, the connection pool, messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar

from console.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from console.db.connection import Database
    from console.profiles import Profile

MESSAGE_MS = 10_000


class StatusLine(QObject):
    """The permanent labels of the status bar and their updates.

    ``pool_timer`` ticks every second while connected (the window also re-checks its
    write-lock actions on it: an unlock lapses by itself).
    """

    def __init__(
        self, bar: QStatusBar, runner: TaskRunner, database: Callable[[], Database | None]
    ) -> None:
        super().__init__(bar)
        self._bar = bar
        self._database = database  # the window's current one
        self.conn_label = QLabel("not connected")
        self.conn_label.setTextFormat(Qt.TextFormat.PlainText)  # the server's database name
        self.conn_label.setObjectName("connectionLabel")
        self.busy_label = QLabel("idle")
        self.busy_label.setObjectName("busyLabel")
        self.busy_label.setToolTip("Queries in flight")
        self.pool_label = QLabel("")
        self.pool_label.setObjectName("poolLabel")
        self.pool_label.setToolTip("Database connections of this window: in use and idle")
        for label in (self.conn_label, self.busy_label, self.pool_label):
            bar.addPermanentWidget(label)
        runner.busy_changed.connect(self._on_busy)
        self.pool_timer = QTimer(self)
        self.pool_timer.setInterval(1000)
        self.pool_timer.timeout.connect(self._update_pool)

    def show_message(self, message: str) -> None:
        self._bar.showMessage(message, MESSAGE_MS)

    def connecting(self, profile: Profile) -> None:
        self.conn_label.setText(f"connecting to {profile.name}…")
        self.pool_label.clear()

    def connected(self, db: Database) -> None:
        self.restored(db)
        self._update_pool()
        self.pool_timer.start()

    def failed(self, profile: Profile) -> None:
        self.conn_label.setText(f"not connected: {profile.name}")

    def lost(self) -> None:
        db = self._database()
        if db is not None:
            self.conn_label.setText(f"connection lost: {db.profile.name}")

    def restored(self, db: Database) -> None:
        self.conn_label.setText(f"connected: {db.profile.name} · {db.database_name}")

    def detached(self) -> None:
        self.pool_timer.stop()

    def _on_busy(self, count: int) -> None:
        self.busy_label.setText(
            f"{count} quer{'y' if count == 1 else 'ies'} running" if count else "idle"
        )

    def _update_pool(self) -> None:
        db = self._database()
        if db is None:
            self.pool_label.clear()
            return
        pool = db.engine.pool
        try:
            in_use, idle = pool.checkedout(), pool.checkedin()  # type: ignore[attr-defined]
            self.pool_label.setText(f"pool {in_use} in use · {idle} idle")
        except AttributeError:
            self.pool_label.setText("pool ?")
