"""Hooks the window's reach features in: links, single instance, palette, watches.

``install(window)`` is called once per main window by the application
(:func:`console.app.run`), by File > New window and by tests; the window itself
knows nothing of them.  Links and the palette belong to each window; the
single-instance socket and the watches belong to the application (:class:`Hub`):
they live while any window is open and serve the first window still open, so
closing the first of two windows neither silences the watches nor turns
``autopr-console open LINK`` away.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from console.ui.links_ui import LinkOpener
    from console.ui.main_window import MainWindow
    from console.ui.single_instance import InstanceServer

log = logging.getLogger(__name__)
PALETTE_SHORTCUT = "Ctrl+K"


@dataclass
class Reach:
    window: MainWindow
    opener: LinkOpener
    server: InstanceServer | None = None
    watches: Any = None  # console.ui.watch_manager.WatchManager
    palette: Any = None  # console.ui.palette.Palette, built when first opened

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """A request of a later console (see :mod:`console.ui.single_instance`)."""
        from console.ui.links_ui import window_state

        if "open" in request:
            self.raise_window()
            ok = self.opener.open(str(request["open"]))
            return {"ok": ok, "message": self.opener.last.get("message", "")}
        if request.get("raise"):
            self.raise_window()
            return {"ok": True}
        if request.get("state"):
            return window_state(self.window, self.opener)
        return {"ok": False, "message": "unknown request"}

    def raise_window(self) -> None:
        w = self.window
        if w.isMinimized():
            w.showNormal()
        w.show()
        w.raise_()
        w.activateWindow()

    def open_palette(self):
        from console.ui.palette import Palette

        if self.palette is None:
            self.palette = Palette(self.window, self.opener)
        self.palette.popup()
        return self.palette


def add_menu_entries() -> None:
    """Copy link and Watch in every table page's context menu (once)."""
    from console.ui.context_menus import context_menu_providers
    from console.ui.links_ui import add_copy_link
    from console.ui.watch_manager import add_watch_entries

    if add_copy_link not in context_menu_providers:
        context_menu_providers.insert(0, add_copy_link)
    if add_watch_entries not in context_menu_providers:
        context_menu_providers.insert(1, add_watch_entries)


class Hub(QObject):
    """The application's single-instance socket and watches, and the windows they serve."""

    def __init__(self) -> None:
        super().__init__(QApplication.instance())
        self.reaches: list[Reach] = []
        self.server: InstanceServer | None = None
        self.watches: Any = None  # console.ui.watch_manager.WatchManager

    def add(self, reach: Reach, *, single_instance: bool, watches: bool) -> None:
        self.reaches.append(reach)
        reach.window.closed.connect(lambda r=reach: self.remove(r))
        if single_instance and self.server is None:
            from console.ui.single_instance import InstanceServer

            server = InstanceServer(self.handle, self)
            if server.listen():
                self.server = server
            else:
                server.deleteLater()
        if watches and self.watches is None:
            from console.ui.watch_manager import WatchManager

            self.watches = WatchManager(reach.window, reach.opener, parent=self)
            self.watches.windows = self.windows
        elif self.watches is not None:
            self.watches.add_menu_entries(reach.window)
        reach.server, reach.watches = self.server, self.watches

    def windows(self) -> list[MainWindow]:
        return [r.window for r in self.reaches]

    def front(self) -> Reach | None:
        """The first window still open: it answers requests and runs the watches."""
        self.reaches = [r for r in self.reaches if shiboken6.isValid(r.window)]
        return self.reaches[0] if self.reaches else None

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        front = self.front()
        if front is None:
            return {"ok": False, "message": "no window is open"}
        return front.handle(request)

    def remove(self, reach: Reach) -> None:
        """``reach``'s window closed: the next one takes over, or, the last gone, all ends."""
        global _hub
        if reach in self.reaches:
            self.reaches.remove(reach)
        front = self.front()
        if front is not None:
            if self.watches is not None and self.watches.window is reach.window:
                self.watches.follow(front.window, front.opener)
            return
        if self.server is not None:
            self.server.close()
        if self.watches is not None:
            self.watches.stop()
        if _hub is self:
            _hub = None
        self.deleteLater()


_hub: Hub | None = None


def hub() -> Hub:
    """The application's hub (made with the first window that installs its reach)."""
    global _hub
    if _hub is None or not shiboken6.isValid(_hub):
        _hub = Hub()
    return _hub


def install(window: MainWindow, *, single_instance: bool = False, watches: bool = True) -> Reach:
    """Links (copy and open), the Ctrl+K palette and watches on ``window``.

    With ``single_instance`` the application takes the per-user socket (when no other
    console has it) so that ``autopr-console open LINK`` reaches its first open window.
    With ``watches`` the application's watches start (with this window) unless they run.
    """
    from console.ui.links_ui import LinkOpener

    reach = Reach(window, LinkOpener(window))

    # The table pages (and the data layer they import) load after the first paint: the
    # context menu entries join them once a database is connected (before any row shows).
    def on_database(db: object) -> None:
        if db is not None:
            add_menu_entries()

    window.database_changed.connect(on_database)
    if window.db is not None:
        add_menu_entries()
    window.reach = reach  # type: ignore[attr-defined]
    shortcut = QShortcut(QKeySequence(PALETTE_SHORTCUT), window)
    shortcut.activated.connect(reach.open_palette)
    view_menu = getattr(window, "view_menu", None)
    if view_menu is not None:
        act = view_menu.addAction("Command palette…", reach.open_palette)
        act.setShortcut(QKeySequence(PALETTE_SHORTCUT))
        act.setShortcutContext(act.shortcutContext().WidgetShortcut)  # the QShortcut acts
    hub().add(reach, single_instance=single_instance, watches=watches)
    return reach
