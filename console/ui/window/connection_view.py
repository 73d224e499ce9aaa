"""How the window shows its connection: the session's signals become banner, panel,
status-bar and page updates; the migration question and the unlock dialog."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDialog

from console.ui import gui_gc, settings
from console.ui.banner import MigrationDialog, UnlockDialog
from console.ui.connect import ConfirmRequest, Failure

if TYPE_CHECKING:
    from console.db.connection import Database
    from console.profiles import Profile
    from console.ui.main_window import MainWindow

ADHOC_PROFILES = ("url", "DATABASE_URL")  # not saved, so not remembered either
SETTLE_MS = 2_000  # after connecting, before freezing the long-lived objects (gui_gc.settle)


class ConnectionView(QObject):
    """Reacts to the window's :class:`~console.ui.session.ConnectionSession`."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.migration_dialog: MigrationDialog | None = None
        s = window.session
        s.state_changed.connect(window.connection_state_changed)
        s.connecting.connect(self._on_connecting)
        s.connected.connect(self._on_connected)
        s.failed.connect(self._on_failed)
        s.detached.connect(self._on_detached)
        s.confirm_requested.connect(self._on_confirm_requested)
        s.progress.connect(window.show_status)
        s.lost.connect(self._on_lost)
        s.restored.connect(self._on_restored)
        s.write_lock_changed.connect(self._on_write_lock_changed)
        window.state_panel.password_submitted.connect(s.provide_password)

    def _on_connecting(self, profile: Profile) -> None:
        w = self._window
        w.banner.show_connecting(profile)
        w.state_panel.show_connecting(profile)
        w.content.setCurrentWidget(w.state_panel)
        w.status_line.connecting(profile)
        w.update_title()

    def _on_connected(self, db: Database) -> None:
        w = self._window
        w.ctx.extras["write_guard"] = w.guard
        w.banner.show_connected(db, w.guard)
        w.content.setCurrentWidget(w.page_stack)
        w.navigator.show_placeholder_if_empty()
        w.navigator.call_all("set_database", db)
        w.database_changed.emit(db)
        w.status_line.connected(db)
        if db.migration.applied:
            w.show_status(f"Applied migrations: {', '.join(db.migration.applied)}")
        if db.read_only_reason:
            w.show_status("Read-only: " + db.read_only_reason)
        elif db.migration.schema.notes or db.migration.schema.json_columns:
            w.show_status(
                f"Schema matches, with {len(db.migration.schema.notes)} note(s) and "
                f"{len(db.migration.schema.json_columns)} json (not jsonb) column(s): "
                f"'autopr-console profile test {db.profile.name}' lists them"
            )
        if w.remember and w.primary and db.profile.name not in ADHOC_PROFILES:
            settings.LAST_PROFILE.put(db.profile.name)
        w.update_title()
        self.update_lock_actions()
        # After the pages' first loads have started: what exists then lives for good.
        QTimer.singleShot(SETTLE_MS, gui_gc.settle)

    def _on_failed(self, profile: Profile, failure: Failure) -> None:
        from console import secrets

        w = self._window
        self.dismiss_migration_dialog()
        w.banner.show_failed(profile, failure)
        w.state_panel.show_failed(profile, failure, secrets.keyring_available())
        w.content.setCurrentWidget(w.state_panel)
        w.status_line.failed(profile)
        w.show_status(f"Could not connect to {profile.name}: {failure.reason}")
        w.update_title()
        self.update_lock_actions()

    def _on_detached(self) -> None:
        w = self._window
        w.ctx.extras.pop("write_guard", None)
        w.status_line.detached()
        w.navigator.call_all("set_database", None)
        w.database_changed.emit(None)

    def _on_lost(self, reason: str) -> None:
        self._window.banner.show_lost(reason)
        self._window.status_line.lost()

    def _on_restored(self, db: Database) -> None:
        w = self._window
        w.navigator.call_all("refresh")  # pages read again with their filters and scroll
        w.banner.show_connected(db, w.guard)
        w.status_line.restored(db)
        w.show_status(f"The connection to {db.profile.name} is back.")

    # ------------------------------------------------------------ migration question

    def _on_confirm_requested(self, request: ConfirmRequest) -> None:
        w = self._window
        self.dismiss_migration_dialog()
        dialog = MigrationDialog(request.profile, request.report, w, sql=request.sql)
        dialog.setObjectName("migrationDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda result: self._on_migration_answer(request, result))
        self.migration_dialog = dialog
        w.banner.title_label.setText(f"Waiting for your answer: migrate {request.profile.name}?")
        dialog.open()

    def _on_migration_answer(self, request: ConfirmRequest, result: int) -> None:
        self.migration_dialog = None
        self._window.session.answer_migration(request, result == QDialog.DialogCode.Accepted)

    def dismiss_migration_dialog(self) -> None:
        dialog, self.migration_dialog = self.migration_dialog, None
        if dialog is not None and dialog.isVisible():
            dialog.reject()  # answers "no" through finished()

    # ------------------------------------------------------------ write lock

    def request_unlock(self) -> UnlockDialog | None:
        """Open the unlock dialog (non-blocking); returns it."""
        w = self._window
        guard = w.guard
        if guard is None or not guard.needs_unlock:
            return None
        dialog = UnlockDialog(guard, w)
        dialog.setObjectName("unlockDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._on_unlocked)
        dialog.open()
        return dialog

    def _on_unlocked(self) -> None:
        w = self._window
        w.session.unlocked()
        if w.guard is not None:
            w.show_status(f"Writes on {w.guard.profile_name}: {w.guard.state_text()}")

    def _on_write_lock_changed(self) -> None:
        self._window.banner.refresh_guard()
        self.update_lock_actions()

    def update_lock_actions(self) -> None:
        w = self._window
        w.menus.unlock_action.setEnabled(w.session.may_unlock())
        w.menus.lock_action.setEnabled(w.session.may_lock())
