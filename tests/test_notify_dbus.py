"""The freedesktop notifier over a real D-Bus session bus started by the test.

A private ``dbus-daemon`` runs the test's notification service
(tests/helpers/fake_notifications.py): Notify must reach it with the problem's
title and body, and its ActionInvoked (a click) must run the notice's action.
The notifier runs in a child process so that it connects to this bus.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLIENT = """
import sys, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from console.ui.notify import DBusNotifier, Notice, best_notifier
notifier = best_notifier()
print("NOTIFIER", notifier.name, flush=True)
clicked = []
body = "it's down\\nreally (on demo) <a href='https://evil.example'>fix</a>"
notifier.notify(Notice("Execution exec-7 failed", body, lambda: clicked.append(1)))
deadline = time.time() + 10
while time.time() < deadline and not clicked:
    app.processEvents()
    time.sleep(0.02)
print("CLICKED" if clicked else "NOT CLICKED", flush=True)
"""


def test_a_notice_reaches_the_notification_service_and_its_click_acts(tmp_path) -> None:
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1",
         f"--address=unix:path={tmp_path}/bus"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    server = None
    try:
        address = bus.stdout.readline().strip()
        assert address.startswith("unix:"), address
        env = dict(
            os.environ,
            DBUS_SESSION_BUS_ADDRESS=address,
            QT_QPA_PLATFORM="offscreen",
            PYTHONPATH=str(REPO),
        )
        server = subprocess.Popen(
            [sys.executable, str(REPO / "tests/helpers/fake_notifications.py")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert server.stdout.readline().strip() == "READY"
        client = subprocess.run(
            [sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True, timeout=60
        )
        assert client.returncode == 0, client.stderr
        assert "NOTIFIER freedesktop" in client.stdout
        assert "CLICKED" in client.stdout.splitlines()
        seen = server.stdout.readline().strip()
        assert seen.startswith("NOTIFY Execution exec-7 failed | it's down"), seen
        # Database text in the body: escaped, a server rendering markup shows it literally.
        rest = server.stdout.readline().strip()  # the body's second line
        assert "&lt;a href='https://evil.example'&gt;fix&lt;/a&gt;" in rest, rest
        print(seen, rest)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        bus.terminate()
        bus.wait(10)
