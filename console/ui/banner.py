"""The environment banner across the top of the window, and the connection state panel.

The banner always says where the window is connected: environment colour (prod
red, staging amber, dev green, local grey), profile, database, server version,
read-only reason and the write lock.  While connecting it shows a spinner; when
connecting failed it says why, with a Retry button.  :class:`StatePanel` takes
the central area in those two states, with room for a password prompt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.ui import theme
from console.ui.plain import escape, make_plain, plain_label, plain_tip

if TYPE_CHECKING:
    from console.actions.guard import WriteGuard
    from console.db.connection import Database
    from console.profiles import Profile
    from console.ui.connect import Failure
    from console.ui.session import SessionState


class Spinner(QWidget):
    """A small rotating arc (no animation framework, one timer)."""

    def __init__(self, parent: QWidget | None = None, size: int = 16) -> None:
        super().__init__(parent)
        self.setFixedSize(size, size)
        self._angle = 0
        self._colour = QColor("#ffffff")
        self._timer = QTimer(self)
        self._timer.setInterval(60)
        self._timer.timeout.connect(self._step)

    def set_color(self, colour: QColor) -> None:
        self._colour = QColor(colour)
        self.update()

    def start(self) -> None:
        self.show()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.hide()

    def _step(self) -> None:
        self._angle = (self._angle + 30) % 360
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self._colour, 2.2)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        r = QRectF(2, 2, self.width() - 4, self.height() - 4)
        p.drawArc(r, -self._angle * 16, 270 * 16)
        p.end()


def environment_pill_text(profile: Profile) -> str:
    """``PROD``, or ``PROD (assumed: environment not declared)`` when nobody declared it."""
    text = profile.environment.upper()
    if profile.environment_assumed:
        from console.environments import ASSUMED_NOTE

        text += f" ({ASSUMED_NOTE})"
    return text


def _describe_db(db: Database) -> str:
    version = db.server_version.split(" ")[0]
    text = f"database {db.database_name} · PostgreSQL {version}"
    via = getattr(db, "via", None)
    if via:
        text += f" · via {via}"
    tls = getattr(db, "tls", None)
    if tls is not None and not db.profile.embedded:
        text += " · " + tls.summary(_sslmode(db))
    return text


def _sslmode(db: Database) -> str | None:
    mode = db.url.query.get("sslmode")
    return mode if isinstance(mode, str) else None


def _transport_warning(db: Database) -> str:
    """A prod profile whose server identity is not verified gets a visible warning."""
    from console.db.transport import prod_tls_warning

    return prod_tls_warning(db.profile, _sslmode(db)) or ""


class EnvironmentBanner(QFrame):
    """Coloured strip: environment, profile, database, version, write lock."""

    unlock_clicked = Signal()
    lock_clicked = Signal()
    retry_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("environmentBanner")
        self.setAutoFillBackground(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.state: SessionState = "idle"
        self.environment = ""
        self._guard: WriteGuard | None = None
        self._schema_read_only = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 6, 12, 6)
        outer.setSpacing(4)
        row = QHBoxLayout()
        row.setSpacing(10)
        outer.addLayout(row)
        self.notice_label = QLabel()  # read-only reason: a second line nobody can miss
        self.notice_label.setObjectName("bannerNotice")
        self.notice_label.setWordWrap(True)
        self.notice_label.hide()
        self.env_label = QLabel()
        self.env_label.setObjectName("envPill")
        self.spinner = Spinner(self)
        self.spinner.hide()
        self.title_label = QLabel()
        self.title_label.setObjectName("bannerTitle")
        self.detail_label = QLabel()
        self.detail_label.setObjectName("bannerDetail")
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reads_label = QLabel()  # which server answers reads, when a replica is set
        self.reads_label.setObjectName("bannerReads")
        self.reads_label.hide()
        self._db: Database | None = None
        self._reads_timer = QTimer(self)
        self._reads_timer.setInterval(2000)
        self._reads_timer.timeout.connect(self.refresh_reads)
        self.lock_label = QLabel()
        self.lock_label.setObjectName("bannerLock")
        # Server messages, database names and versions: shown as text, never as markup.
        make_plain(
            self.notice_label, self.env_label, self.title_label, self.detail_label, self.lock_label
        )
        self.unlock_button = QPushButton("Unlock…")
        self.unlock_button.setToolTip("Allow writes for 5 minutes after typing the profile name")
        self.lock_button = QPushButton("Lock now")
        self.retry_button = QPushButton("Retry")
        for button in (self.unlock_button, self.lock_button, self.retry_button):
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.hide()
        self.unlock_button.clicked.connect(self.unlock_clicked)
        self.lock_button.clicked.connect(self.lock_clicked)
        self.retry_button.clicked.connect(self.retry_clicked)

        row.addWidget(self.env_label)
        row.addWidget(self.spinner)
        row.addWidget(self.title_label)
        row.addWidget(self.detail_label, 1)
        row.addWidget(self.reads_label)
        row.addWidget(self.lock_label)
        row.addWidget(self.unlock_button)
        row.addWidget(self.lock_button)
        row.addWidget(self.retry_button)
        outer.addWidget(self.notice_label)

        self._tick = QTimer(self)  # counts the unlock down
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.refresh_guard)
        self.show_idle()

    # ------------------------------------------------------------ states

    def show_idle(self, message: str = "Not connected") -> None:
        self.state = "idle"
        self._notice("")
        self._guard = None
        self._paint("")
        self.env_label.setText("—")
        self.title_label.setText(message)
        self.detail_label.setText("Choose a profile in the toolbar.")
        self._buttons(retry=False)
        self.spinner.stop()
        self.lock_label.clear()

    def show_connecting(self, profile: Profile) -> None:
        self.state = "connecting"
        self._notice("")
        self._guard = None
        self._paint(profile.environment)
        self.env_label.setText(environment_pill_text(profile))
        self.title_label.setText(f"Connecting to {profile.name}…")
        name = profile.database_name()
        self.detail_label.setText(f"database {name}" if name else profile.describe())
        self.lock_label.clear()
        self._buttons(retry=False)
        self.spinner.start()

    def show_failed(self, profile: Profile, failure: Failure) -> None:
        self.state = "failed"
        self._notice("")
        self._guard = None
        self._paint(profile.environment)
        self.env_label.setText(environment_pill_text(profile))
        self.title_label.setText(f"Not connected to {profile.name}")
        self.detail_label.setText(failure.reason)
        self.detail_label.setToolTip(plain_tip(failure.reason))
        self.lock_label.clear()
        self.spinner.stop()
        self._buttons(retry=True)

    def show_connected(self, db: Database, guard: WriteGuard | None) -> None:
        self.state = "connected"
        self._guard = guard
        self._schema_read_only = bool(db.read_only_reason)
        profile = db.profile
        self._paint(profile.environment)
        self.env_label.setText(environment_pill_text(profile))
        self.title_label.setText(profile.name)
        detail = _describe_db(db)
        if db.read_only_reason:
            detail += " · READ-ONLY"
        elif db.read_only:
            detail += " · read-only connection"
        self.detail_label.setText(detail)
        self._notice(
            "Read-only: " + db.read_only_reason
            if db.read_only_reason
            else "Warning: " + warning
            if (warning := _transport_warning(db))
            else ""
        )
        self.detail_label.setToolTip(
            plain_tip(
                "\n".join(
                    filter(None, [profile.describe(), db.server_version, db.read_only_reason or ""])
                )
            )
        )
        self.spinner.stop()
        self.refresh_guard()
        self._db = db
        self.refresh_reads()

    def refresh_reads(self) -> None:
        """'reads: replica, lag 0.4 s' or 'reads: primary (replica 25 s behind, …)'."""
        db = self._db if self.state == "connected" else None
        source = db.read_source() if db is not None else None
        if db is None or db.replica is None or source is None:
            self.reads_label.hide()
            self._reads_timer.stop()
            return
        self.reads_label.setText(source.text())
        self.reads_label.setToolTip(f"replica: {db.replica.describe_replica()}")
        self.reads_label.show()
        if not self._reads_timer.isActive():
            self._reads_timer.start()

    def show_lost(self, reason: str) -> None:
        """Still connected in the window, but the server stopped answering."""
        self._notice(f"Connection lost: {reason}. Retrying in the background…")
        self.retry_button.setVisible(True)

    def _notice(self, text: str) -> None:
        self.notice_label.setText(text)
        self.notice_label.setVisible(bool(text))

    @property
    def counting_down(self) -> bool:
        """Whether the unlock's countdown is running (the lock text is re-read each second)."""
        return self._tick.isActive()

    def refresh_guard(self) -> None:
        """Re-read the write lock (every second while unlocked: the unlock lapses by itself)."""
        guard = self._guard
        if guard is None or self.state != "connected":
            self._tick.stop()
            self.lock_label.clear()
            self._buttons(retry=False)
            return
        text = "off (read-only database)" if self._schema_read_only else guard.state_text()
        self.lock_label.setText(f"writes: {text}")
        unlocked = guard.needs_unlock and guard.seconds_left() > 0
        lockable = guard.needs_unlock and not self._schema_read_only
        self.unlock_button.setVisible(lockable and not unlocked)
        self.lock_button.setVisible(unlocked)
        self.retry_button.hide()
        if unlocked and not self._tick.isActive():
            self._tick.start()
        elif not unlocked:
            self._tick.stop()

    # ------------------------------------------------------------ helpers

    def _buttons(self, *, retry: bool) -> None:
        self.retry_button.setVisible(retry)
        self.unlock_button.hide()
        self.lock_button.hide()

    def _paint(self, environment: str) -> None:
        self.environment = environment
        if environment:
            bg = theme.environment_color(environment)
            fg = theme.environment_text_color(environment)
        else:
            bg = self.palette().color(self.palette().ColorRole.Mid)
            fg = self.palette().color(self.palette().ColorRole.WindowText)
        self.spinner.set_color(fg)
        pill_bg = "rgba(0,0,0,0.22)" if fg.lightness() > 128 else "rgba(255,255,255,0.45)"
        self.setStyleSheet(
            f"QFrame#environmentBanner {{ background: {bg.name()}; }}"
            f" QFrame#environmentBanner QLabel {{ color: {fg.name()}; background: transparent; }}"
            f" QLabel#envPill {{ background: {pill_bg}; border-radius: 4px; padding: 2px 8px;"
            " font-weight: 700; letter-spacing: 1px; }"
            " QLabel#bannerTitle { font-weight: 700; }"
            " QLabel#bannerLock { font-weight: 600; }"
            " QLabel#bannerNotice { font-weight: 600; }"
            f" QFrame#environmentBanner QPushButton {{ color: {fg.name()}; background: {pill_bg};"
            f" border: 1px solid {fg.name()}; border-radius: 4px; padding: 3px 10px; }}"
        )

    def repaint_environment(self) -> None:
        """Re-tint after a theme change."""
        self._paint(self.environment)

    def background(self) -> QColor:
        """The colour the banner is painted in (for tests and the screenshot review)."""
        if self.environment:
            return theme.environment_color(self.environment)
        return self.palette().color(self.palette().ColorRole.Mid)


class StatePanel(QFrame):
    """The central area while connecting or after a failure: what happened and what to do."""

    retry_clicked = Signal()
    password_submitted = Signal(str, bool)  # password, store in keyring

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statePanel")
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        box = QWidget()
        box.setMaximumWidth(560)
        col = QVBoxLayout(box)
        col.setSpacing(10)
        head = QHBoxLayout()
        self.spinner = Spinner(self, 22)
        self.spinner.hide()
        self.title = QLabel()
        self.title.setProperty("role", "empty-title")
        self.title.setWordWrap(True)
        head.addWidget(self.spinner)
        head.addWidget(self.title, 1)
        col.addLayout(head)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.message)
        self.hint = QLabel()
        self.hint.setProperty("role", "hint")
        self.hint.setWordWrap(True)
        make_plain(self.title, self.message, self.hint)
        col.addWidget(self.hint)

        self.password_box = QWidget()
        form = QVBoxLayout(self.password_box)
        form.setContentsMargins(0, 6, 0, 0)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("Password")
        self.password_edit.returnPressed.connect(self._submit)
        self.keyring_check = QCheckBox(
            "Store in the system keyring (otherwise kept for this session)"
        )
        form.addWidget(self.password_edit)
        form.addWidget(self.keyring_check)
        col.addWidget(self.password_box)

        buttons = QHBoxLayout()
        self.connect_button = QPushButton("Connect")
        self.connect_button.clicked.connect(self._submit)
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self.retry_clicked)
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.retry_button)
        buttons.addStretch(1)
        col.addLayout(buttons)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box, 4)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(3)
        self.state: SessionState = "idle"
        self.show_idle()

    def show_idle(self, message: str = "Not connected", detail: str | None = None) -> None:
        self.state = "idle"
        self.spinner.stop()
        self.title.setText(message)
        self.message.setText(detail[:1].upper() + detail[1:] if detail else "")
        self.hint.setText("Choose a connection profile in the toolbar to start.")
        self._controls(retry=False, password=False)

    def show_connecting(self, profile: Profile) -> None:
        self.state = "connecting"
        self.spinner.set_color(self.palette().color(self.palette().ColorRole.Highlight))
        self.spinner.start()
        self.title.setText(f"Connecting to {profile.name} ({profile.environment_label})…")
        self.message.setText(profile.describe())
        self.hint.setText(
            "Starting the embedded server and checking the schema."
            if profile.embedded
            else "The window stays usable; you can switch to another profile meanwhile."
        )
        self._controls(retry=False, password=False)

    def show_failed(self, profile: Profile, failure: Failure, keyring_available: bool) -> None:
        self.state = "failed"
        self.spinner.stop()
        self.title.setText(f"Could not connect to {profile.name}")
        self.message.setText(failure.reason[:1].upper() + failure.reason[1:])
        self.hint.setText(_HINTS.get(failure.kind, "Check the profile, then retry."))
        passphrase = failure.kind in PASSPHRASE_KINDS
        auth = failure.kind == "auth" or passphrase
        self._controls(retry=True, password=auth)
        self.password_edit.setPlaceholderText(
            "Passphrase (kept in memory for this session, never stored)"
            if passphrase
            else "Password"
        )
        self.keyring_check.setVisible(not passphrase)
        self.keyring_check.setEnabled(keyring_available)
        self.keyring_check.setChecked(False)
        self.keyring_check.setToolTip(
            "" if keyring_available else "No system keyring here: the password is kept in memory"
        )
        if auth:
            self.password_edit.clear()
            self.password_edit.setFocus()

    def _controls(self, *, retry: bool, password: bool) -> None:
        self.retry_button.setVisible(retry and not password)
        self.password_box.setVisible(password)
        self.connect_button.setVisible(password)

    def _submit(self) -> None:
        password = self.password_edit.text()
        if not password:
            self.password_edit.setFocus()
            return
        self.password_edit.clear()
        self.password_submitted.emit(password, self.keyring_check.isChecked())


PASSPHRASE_KINDS = ("tunnel-passphrase", "tls-passphrase")

_HINTS = {
    "tunnel-unreachable": "The SSH bastion does not answer: check its name, port, VPN, firewall.",
    "tunnel-auth": "Load the key into ssh-agent, or set the profile's ssh key file.",
    "tunnel-hostkey": "Compare the fingerprint with the bastion's admin before accepting it.",
    "tunnel-passphrase": "Enter the SSH key's passphrase.",
    "tunnel-client": "Install the OpenSSH client (ssh) on this machine.",
    "tls-passphrase": "Enter the passphrase of the TLS client key (sslkey).",
    "tls-ca": "Check sslrootcert: it must hold the CA that signed the server's certificate.",
    "tls-name": "Use the host name the certificate was issued for, or ask for a new one.",
    "tls-expired": "The server's certificate must be renewed by its admin.",
    "tls-clientcert": "Set sslcert and sslkey to a client certificate the server trusts.",
    "tls-files": "Check the certificate and key paths in the profile.",
    "unreachable": "Is the server running and reachable from here (host, port, VPN, firewall)?",
    "timeout": "The server did not answer: check the network path (VPN, firewall) and retry.",
    "auth": "Enter the password for this profile (and check the user name in the profile).",
    "missing-db": "Check the database name in the profile, or create the database.",
    "embedded": "The embedded server could not start; the application log has the details.",
    "refused": "The server's pg_hba.conf does not allow this connection.",
    "migrations": "Review them with 'autopr-console migrate --sql', or Retry and accept them.",
}


class UnlockDialog(QDialog):
    """Type the profile name to allow writes on prod for a few minutes."""

    def __init__(self, guard: WriteGuard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.guard = guard
        self.setWindowTitle(f"Unlock writes on {guard.profile_name}")
        col = QVBoxLayout(self)
        minutes = int(guard.unlock_seconds // 60)
        name = escape(guard.profile_name)
        intro = QLabel(
            f"<b>{name}</b> is a <b>{guard.environment}</b> database. Writes stay "
            f"allowed for {minutes} minutes, then lock again by themselves.<br>"
            f"Type the profile name <b>{name}</b> to unlock:"
        )
        intro.setWordWrap(True)
        col.addWidget(intro)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(guard.profile_name)
        col.addWidget(self.name_edit)
        self.error_label = QLabel()
        self.error_label.setStyleSheet(f"color: {theme.status_color('failed').name()};")
        self.error_label.hide()
        col.addWidget(self.error_label)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Unlock")
        buttons.accepted.connect(self.try_unlock)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)
        self.resize(420, self.sizeHint().height())

    def try_unlock(self) -> bool:
        if self.guard.unlock(self.name_edit.text()):
            self.accept()
            return True
        self.error_label.setText("That is not the profile name; writes stay locked.")
        self.error_label.show()
        self.name_edit.selectAll()
        self.name_edit.setFocus()
        return False


class MigrationDialog(QDialog):
    """Shows the pending work and its SQL, then asks; prod also needs the profile's name.

    Staging: a confirmation.  Prod: the same unlock as every other prod write
    (typing the profile name), without which Apply stays disabled.
    """

    def __init__(
        self, profile: Profile, report, parent: QWidget | None = None, sql: str = ""
    ) -> None:
        super().__init__(parent)
        self.profile = profile
        self.setWindowTitle(f"Pending migrations on {profile.name}")
        col = QVBoxLayout(self)
        current = ", ".join(report.current) or "no console history"
        intro = QLabel(
            f"{profile.name} ({profile.environment}) is at {current}; this console needs "
            f"{report.head}. Read the SQL below, then apply it or not."
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        col.addWidget(intro)
        steps = getattr(report, "steps", None) or [f"revision {rev}" for rev in report.pending]
        self.pending_label = plain_label("\n".join(f"  • {step}" for step in steps))
        self.pending_label.setWordWrap(True)
        self.pending_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.pending_label)
        self.sql_view = QPlainTextEdit()
        self.sql_view.setObjectName("migrationSql")
        self.sql_view.setReadOnly(True)
        self.sql_view.setPlainText(sql or "-- (the SQL could not be prepared)")
        self.sql_view.setMinimumHeight(180)
        col.addWidget(self.sql_view)
        self.name_edit: QLineEdit | None = None
        if profile.is_prod:
            ask = QLabel(f"prod: type the profile name {profile.name} to unlock this migration:")
            ask.setTextFormat(Qt.TextFormat.PlainText)
            ask.setWordWrap(True)
            col.addWidget(ask)
            self.name_edit = QLineEdit()
            self.name_edit.setPlaceholderText(profile.name)
            col.addWidget(self.name_edit)
        note = QLabel(
            "If you decline, nothing is changed; a database whose tables match still opens, "
            "read-only."
        )
        note.setProperty("role", "hint")
        note.setWordWrap(True)
        col.addWidget(note)
        buttons = QDialogButtonBox()
        self.apply_button = buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.decline_button = buttons.addButton(
            "Don't migrate", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.decline_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)
        if self.name_edit is not None:
            self.apply_button.setEnabled(False)
            self.name_edit.textChanged.connect(self._name_changed)
        self.resize(640, self.sizeHint().height())

    def _unlocks(self, typed: str) -> bool:
        """The write guard's own unlock (the same rule as every other prod write)."""
        from console.actions.guard import WriteGuard

        return WriteGuard.for_profile(self.profile).unlock(typed)

    def _name_changed(self, typed: str) -> None:
        self.apply_button.setEnabled(self._unlocks(typed))

    def accept(self) -> None:
        if self.name_edit is not None and not self._unlocks(self.name_edit.text()):
            return  # prod: never without the unlock
        super().accept()
