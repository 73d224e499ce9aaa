"""A main window with its real pages, connected to a test database, and waiting for it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from console.profiles import Profile
from console.ui.main_window import MainWindow, build_main_window

TIMEOUT_MS = 60_000


def settle_window(qtbot, win: MainWindow, *, pause_ms: int = 100) -> None:
    """Wait until no background read is in flight, twice with a pause between (a finished
    read may start the next: a page's first rows, then its filter choices)."""
    qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=TIMEOUT_MS)
    qtbot.wait(pause_ms)
    qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=TIMEOUT_MS)


def shown_window(
    qtbot, *, pages: bool = True, remember: bool = True, size: tuple[int, int] = (1280, 800)
) -> MainWindow:
    """A new main window (with every page, or none), shown, not connected yet."""
    window = build_main_window(remember=remember)
    if pages:
        window.build_pages()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    return window


def each_page_state(qtbot, win: MainWindow) -> Iterator[str]:
    """Show every page and each of its states (list, details, ...: ``screenshot_states``),
    settled; yields ``"<page>/<state>"`` while it is shown."""
    for key in win.page_keys():
        win.show_page(key)
        settle_window(qtbot, win)
        page = win.pages[key]
        states = [("list", lambda: None), *getattr(page, "screenshot_states", list)()]
        for name, enter in states:
            enter()
            settle_window(qtbot, win)
            yield f"{key}/{name}"


@contextmanager
def connected_window(
    qtbot,
    url: str,
    profile: str,
    *,
    environment: str = "dev",
    remember: bool = True,
    activate: bool = False,
    size: tuple[int, int] = (1280, 800),
) -> Iterator[MainWindow]:
    """A shown window with every page, connected to ``url`` and settled; closed after."""
    window = shown_window(qtbot, remember=remember, size=size)
    if activate:
        window.activateWindow()
    window.connect_profile(Profile(profile, environment=environment, url=url))
    qtbot.waitUntil(lambda: window.state == "connected", timeout=TIMEOUT_MS)
    settle_window(qtbot, window)
    try:
        yield window
    finally:
        window.close()


@dataclass
class WindowWatch:
    """What :func:`close_windows_when` saw: the most main windows shown at once."""

    windows_seen: int = 0
    timer: Any = None


def close_windows_when(
    monkeypatch, ready: Callable[[MainWindow], bool], timeout_s: float
) -> WindowWatch:
    """For a command that runs the real application (``demo --open``): every 100 ms ask
    ``ready(window)`` of the first shown main window, and close the windows (ending the
    command) once it answers True or ``timeout_s`` has passed."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import console.app

    real_make = console.app.make_application
    watch = WindowWatch()
    deadline = time.monotonic() + timeout_s

    def poll() -> None:
        windows = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        watch.windows_seen = max(watch.windows_seen, len(windows))
        if windows and (ready(windows[0]) or time.monotonic() > deadline):
            watch.timer.stop()
            for w in windows:
                w.close()

    def make_application(*args, **kwargs):
        app = real_make(*args, **kwargs)
        if watch.timer is None:
            watch.timer = QTimer(app)
            watch.timer.setInterval(100)
            watch.timer.timeout.connect(poll)
            watch.timer.start()
        return app

    monkeypatch.setattr(console.app, "make_application", make_application)
    return watch
