"""File > New window: more windows in the same process, each with its own everything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint

if TYPE_CHECKING:
    from console.profiles import Profile
    from console.ui.main_window import MainWindow

_open: list[MainWindow] = []  # the windows opened here: kept alive until they close


def other_windows() -> list[MainWindow]:
    """The windows opened with File > New window that are still open."""
    return list(_open)


def open_new_window(source: MainWindow, profile: Profile | None = None) -> MainWindow:
    """Another window like ``source`` on ``profile`` (default: ``source``'s).

    It shares nothing mutable with ``source``: its own task runner, connection,
    pages and write lock (an unlock there does not unlock here).
    """
    win = type(source)(remember=source.remember, primary=False)
    _open.append(win)
    win.closed.connect(lambda: _open.remove(win) if win in _open else None)
    win.build_pages(list(source.specs) or None)
    win.switcher.set_profiles(source.switcher.profiles())
    if hasattr(source, "reach"):  # links, palette; the application's watches and socket
        from console.ui import reach

        reach.install(win, watches=False)
    win.resize(source.size())
    win.move(source.pos() + QPoint(32, 32))
    win.show()
    chosen = profile or source.profile
    if chosen is not None:
        win.connect_profile(chosen)
    return win
