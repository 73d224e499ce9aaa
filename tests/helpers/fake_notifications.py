"""A freedesktop notification service for tests: prints each Notify, then "clicks" it.

Run on a test's own session bus (``dbus-daemon``); it answers Notify with an id and,
a moment later, emits ActionInvoked(id, "default") as a desktop does on a click.
"""

from __future__ import annotations

import subprocess

from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, QTimer, Slot
from PySide6.QtDBus import QDBusConnection

PATH = "/org/freedesktop/Notifications"
NAME = "org.freedesktop.Notifications"


@ClassInfo({"D-Bus Interface": NAME})
class Server(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    @Slot(str, "uint", str, str, str, "QStringList", "QVariantMap", int, result="uint")
    def Notify(self, _app, _replaces, _icon, summary, body, actions, _hints, _timeout):
        self.count += 1
        nid = self.count
        print(f"NOTIFY {summary} | {body} | {','.join(actions)}", flush=True)
        QTimer.singleShot(200, lambda: click(nid))
        return nid


def click(nid: int) -> None:
    subprocess.run(
        ["gdbus", "emit", "--session", "--object-path", PATH, "--signal",
         f"{NAME}.ActionInvoked", f"uint32 {nid}", "'default'"],
        check=True,
    )  # fmt: skip


if __name__ == "__main__":
    app = QCoreApplication([])
    bus = QDBusConnection.sessionBus()
    server = Server()
    ok = bus.registerService(NAME) and bus.registerObject(
        PATH, server, QDBusConnection.RegisterOption.ExportAllSlots
    )
    print("READY" if ok else "FAILED", flush=True)
    app.exec()
