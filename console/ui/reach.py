"""Hooks the window's reach features in: links, single instance, palette, watches.

``install(window)`` is called once per main window by the application
(:func:`console.app.run`) and by tests; the window itself knows nothing of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QKeySequence, QShortcut

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
    from console.ui.links_ui import add_copy_link
    from console.ui.tables import base
    from console.ui.watch_manager import add_watch_entries

    if add_copy_link not in base.context_menu_providers:
        base.context_menu_providers.insert(0, add_copy_link)
    if add_watch_entries not in base.context_menu_providers:
        base.context_menu_providers.insert(1, add_watch_entries)


def install(window: MainWindow, *, single_instance: bool = False, watches: bool = True) -> Reach:
    """Links (copy and open), the Ctrl+K palette and watches on ``window``.

    With ``single_instance`` the window also takes the per-user socket (when no other
    console has it) so that ``autopr-console open LINK`` reaches it.
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
    if single_instance:
        from console.ui.single_instance import InstanceServer

        server = InstanceServer(reach.handle, window)
        if server.listen():
            reach.server = server
            window.closed.connect(server.close)
    if watches:
        from console.ui.watch_manager import WatchManager

        reach.watches = WatchManager(window, reach.opener)
    return reach
