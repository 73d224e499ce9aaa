"""Desktop notifications behind one interface: freedesktop (D-Bus), the tray, or a recorder.

:func:`best_notifier` picks the freedesktop notification service on the session
bus when there is one (Linux desktops; QtDBus ships with PySide6-Essentials),
else the system tray's balloon (Windows, macOS, Linux without the service).
:class:`RecordingNotifier` keeps what it was asked to show: for tests on
machines without a notification service, and a log for the tray menu.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Slot

from console.ui.plain import escape

log = logging.getLogger(__name__)
APP = "AutoPR Console"
TIMEOUT_MS = 10_000


@dataclass
class Notice:
    title: str
    body: str
    on_click: Callable[[], None] | None = None


class Notifier(QObject):
    """Shows a notice; ``click(notice)`` runs its action (what a click on it does)."""

    name = "none"

    def notify(self, notice: Notice) -> None:
        raise NotImplementedError

    @staticmethod
    def click(notice: Notice) -> None:
        if notice.on_click is not None:
            notice.on_click()


class DBusNotifier(Notifier):
    """org.freedesktop.Notifications: Notify with a "default" action; ActionInvoked clicks it."""

    name = "freedesktop"
    SERVICE = "org.freedesktop.Notifications"
    PATH = "/org/freedesktop/Notifications"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtCore import SLOT
        from PySide6.QtDBus import QDBusConnection

        self.bus = QDBusConnection.sessionBus()
        self.shown: dict[int, Notice] = {}
        self._markup: bool | None = None  # the server's body-markup capability, once asked
        # Any sender: the service's unique name may change when it restarts; ids are ours.
        self.bus.connect(
            "",
            self.PATH,
            self.SERVICE,
            "ActionInvoked",
            self,
            SLOT("actionInvoked(uint,QString)"),  # type: ignore[call-overload]  # the stub lacks it
        )

    @classmethod
    def available(cls) -> bool:
        import shutil

        if shutil.which("gdbus") is None:
            return False
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:
            return False
        bus = QDBusConnection.sessionBus()
        if not bus.isConnected():
            return False
        iface = bus.interface()
        return bool(iface is not None and iface.isServiceRegistered(cls.SERVICE).value())

    def notify(self, notice: Notice) -> None:
        """Notify through ``gdbus call`` (Notify takes a uint, which QtDBus from Python
        cannot send); the answer is the notification's id, kept for ActionInvoked."""
        import re
        import subprocess

        cmd = [
            "gdbus", "call", "--session", "--dest", self.SERVICE, "--object-path", self.PATH,
            "--method", f"{self.SERVICE}.Notify",
            gvariant_text(APP), "0", gvariant_text("autopr-console"),
            gvariant_text(notice.title), gvariant_text(self._body(notice.body)),
            "['default', 'Open']", "@a{sv} {}", str(TIMEOUT_MS),
        ]  # fmt: skip
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("desktop notification failed: %s", exc)
            return
        found = re.search(r"uint32 (\d+)", done.stdout)
        if done.returncode != 0 or found is None:
            log.warning("desktop notification failed: %s", done.stderr.strip()[:200])
            return
        self.shown[int(found.group(1))] = notice

    def _body(self, body: str) -> str:
        """The body as the server will show it literally: servers with "body-markup" render
        <b>, <a href>, <img> in it, and the body holds names and messages from the database."""
        if self._markup is None:
            self._markup = _has_body_markup(self.SERVICE, self.PATH)
        return escape(body, quote=False) if self._markup else body

    @Slot("uint", str)
    def actionInvoked(self, notification_id: int, _action: str) -> None:
        notice = self.shown.pop(int(notification_id), None)
        if notice is not None:
            self.click(notice)


def _has_body_markup(service: str, path: str) -> bool:
    """Whether the server renders markup in bodies; unknown counts as yes (then a literal
    "&lt;" at worst, never a rendered link or image)."""
    import subprocess

    cmd = ["gdbus", "call", "--session", "--dest", service, "--object-path", path,
           "--method", f"{service}.GetCapabilities"]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return True
    if done.returncode != 0 or not done.stdout.startswith("(["):
        return True
    return "'body-markup'" in done.stdout


def gvariant_text(value: str) -> str:
    """A string as GVariant text (what ``gdbus call`` parses)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{escaped}'"


class TrayNotifier(Notifier):
    """The system tray's message; a click on it runs the latest notice's action."""

    name = "tray"

    def __init__(self, tray, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray = tray
        self.last: Notice | None = None
        tray.messageClicked.connect(self._clicked)

    def notify(self, notice: Notice) -> None:
        from PySide6.QtWidgets import QSystemTrayIcon

        self.last = notice
        self.tray.showMessage(
            notice.title, notice.body, QSystemTrayIcon.MessageIcon.Warning, TIMEOUT_MS
        )

    def _clicked(self) -> None:
        if self.last is not None:
            self.click(self.last)


class RecordingNotifier(Notifier):
    """Keeps the notices (no notification service here)."""

    name = "recording"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.notices: list[Notice] = []

    def notify(self, notice: Notice) -> None:
        self.notices.append(notice)
        log.info("notification: %s — %s", notice.title, notice.body)


def best_notifier(tray=None, parent: QObject | None = None) -> Notifier:
    """freedesktop on the session bus, else the tray, else a recorder (and a log line)."""
    try:
        if DBusNotifier.available():
            return DBusNotifier(parent)
    except Exception:
        log.exception("the freedesktop notification service is not usable")
    if tray is not None:
        from PySide6.QtWidgets import QSystemTrayIcon

        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            return TrayNotifier(tray, parent)
    return RecordingNotifier(parent)
