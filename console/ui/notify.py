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
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Slot

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


@dataclass
class _Shown:
    notices: dict[int, Notice] = field(default_factory=dict)


class DBusNotifier(Notifier):
    """org.freedesktop.Notifications: Notify with a "default" action; ActionInvoked clicks it."""

    name = "freedesktop"
    SERVICE = "org.freedesktop.Notifications"
    PATH = "/org/freedesktop/Notifications"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtDBus import QDBusConnection, QDBusInterface

        self.bus = QDBusConnection.sessionBus()
        self.iface = QDBusInterface(self.SERVICE, self.PATH, self.SERVICE, self.bus)
        self.shown: dict[int, Notice] = {}
        self.bus.connect(
            self.SERVICE,
            self.PATH,
            self.SERVICE,
            "ActionInvoked",
            self,
            "actionInvoked(uint,QString)",
        )

    @classmethod
    def available(cls) -> bool:
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
        from PySide6.QtCore import QVariant  # noqa: F401  (QtDBus marshals plain Python values)

        reply = self.iface.call(
            "Notify", APP, 0, "autopr-console", notice.title, notice.body,
            ["default", "Open"], {}, TIMEOUT_MS,
        )  # fmt: skip
        args = reply.arguments() if reply is not None else []
        if args:
            self.shown[int(args[0])] = notice

    @Slot(int, str)
    def actionInvoked(self, notification_id: int, _action: str) -> None:
        notice = self.shown.pop(int(notification_id), None)
        if notice is not None:
            self.click(notice)


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
    """Keeps the notices (no notification service here); ``click_last()`` acts as a click."""

    name = "recording"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.notices: list[Notice] = []

    def notify(self, notice: Notice) -> None:
        self.notices.append(notice)
        log.info("notification: %s — %s", notice.title, notice.body)

    def click_last(self) -> None:
        if self.notices:
            self.click(self.notices[-1])


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
