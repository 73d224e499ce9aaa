"""A main window with its real pages, connected to a test database, and waiting for it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
