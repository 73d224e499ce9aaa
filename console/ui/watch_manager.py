"""Watches in the window: context menu entries, one query per interval, notices, tray icon.

The profile's watches live in the settings (``profiles/<name>/watches``, JSON) and
survive a restart.  Every ``interval_s`` the manager runs ONE statement for all of
them (:func:`console.queries.watches.evaluate`) off the GUI thread; a problem not
seen in the previous round becomes a desktop notification (clicking it opens the
row through its link); the tray icon shows how many problems there are now.
With the setting ``WATCH_KEEP_RUNNING`` on, closing the last window hides it to
the tray and the watches keep running until Quit in the tray menu.

The application has one manager (console.ui.reach.Hub): it runs on the database of
the first open window and, when that window closes, follows the next one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from console import settings_store
from console.links import Link, format_link, identity_of
from console.ui import settings, theme
from console.ui.notify import Notice, Notifier, best_notifier
from console.watches import Problem, Watch, WatchKind, WatchList

if TYPE_CHECKING:
    from console.ui.links_ui import LinkOpener
    from console.ui.main_window import MainWindow

log = logging.getLogger(__name__)
INTERVAL_S = 30
PAGE_WATCH: dict[str, tuple[WatchKind, str]] = {
    "executions": ("execution", "execution_id"),
    "workflows": ("workflow", "name"),
    "integrations": ("integration", "name"),
}


load_watches = settings_store.load_watches
save_watches = settings_store.save_watches


class WatchManager(QObject):
    def __init__(
        self,
        window: MainWindow,
        opener: LinkOpener,
        notifier: Notifier | None = None,
        interval_s: int = INTERVAL_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent if parent is not None else window)
        self.window = window
        self.opener = opener
        # Every open window of the application (set by its hub): Quit closes them all.
        self.windows: Callable[[], list[MainWindow]] = lambda: [self.window]
        self._menus: list[object] = []  # the View menus holding the entries
        self.watches = WatchList()
        self.problems: dict[str, Problem] = {}
        self.rounds = 0
        self.last_query_ms: float | None = None
        self.tray = QSystemTrayIcon(theme.app_icon(), self)
        self.tray.setToolTip("AutoPR Console: no watches")
        self._tray_menu = QMenu()
        self._tray_menu.addAction("Show the window", self._show_window)
        self.keep_action = QAction("Keep watching when the window closes", self)
        self.keep_action.setCheckable(True)
        self.keep_action.setChecked(settings.WATCH_KEEP_RUNNING.get())
        self.keep_action.toggled.connect(lambda on: settings.WATCH_KEEP_RUNNING.put(on))
        self._tray_menu.addAction(self.keep_action)
        self._tray_menu.addAction("Quit", self.quit)
        self.tray.setContextMenu(self._tray_menu)
        self.tray.activated.connect(lambda _reason: self._show_window())
        self._notifier = notifier  # the desktop's notifier is found when first needed
        self.timer = QTimer(self)
        self.timer.setInterval(interval_s * 1000)
        self.timer.timeout.connect(self.check)
        self._quitting = False
        self._bind(window)

    def _bind(self, window: MainWindow) -> None:
        window.database_changed.connect(self._on_database)
        window.installEventFilter(self)
        self.add_menu_entries(window)
        if window.db is not None:
            self._on_database(window.db)

    def add_menu_entries(self, window: MainWindow) -> None:
        """Watch the event queue and Keep watching in ``window``'s View menu (once)."""
        view_menu = getattr(window, "view_menu", None)
        if view_menu is None or any(m is view_menu for m in self._menus):
            return
        self._menus.append(view_menu)
        view_menu.addAction(
            "Watch the event queue", lambda w=window: self.toggle(Watch("queue"), w)
        )
        view_menu.addAction(self.keep_action)

    def follow(self, window: MainWindow, opener: LinkOpener) -> None:
        """Run on ``window`` from now on (the window followed so far closed)."""
        old = self.window
        if shiboken6.isValid(old):
            with contextlib.suppress(RuntimeError, TypeError):
                old.database_changed.disconnect(self._on_database)
            old.removeEventFilter(self)
        self.window, self.opener = window, opener
        self._on_database(None)
        self._bind(window)

    def stop(self) -> None:
        """The application's last window closed: no more rounds, no tray icon."""
        self.timer.stop()
        self.tray.hide()
        self.deleteLater()

    @property
    def notifier(self) -> Notifier:
        if self._notifier is None:
            self._notifier = best_notifier(self.tray, self)
        return self._notifier

    @notifier.setter
    def notifier(self, notifier: Notifier) -> None:
        self._notifier = notifier

    # ------------------------------------------------------------ watches

    def profile(self) -> str | None:
        db = self.window.db
        return db.profile.name if db is not None else None

    def toggle(self, watch: Watch, window: MainWindow | None = None) -> bool:
        """Watch ``watch`` on the profile of ``window`` (default: the window followed), or
        stop watching it; True when it is watched now."""
        window = window or self.window
        db = window.db
        if db is None:
            window.show_status("Connect first: watches belong to a profile.")
            return False
        profile = db.profile.name
        if profile != self.profile():  # another window's profile: saved, checked there
            saved = load_watches(profile)
            on = saved.add(watch) or not saved.remove(watch)
            save_watches(profile, saved)
            window.show_status(
                f"{'Watching' if on else 'Stopped watching'} {watch.describe()} on {profile}"
                " (checked while the first window shows it)."
            )
            return on
        on = self.watches.add(watch) or not self.watches.remove(watch)
        save_watches(profile, self.watches)
        window.show_status(
            f"{'Watching' if on else 'Stopped watching'} {watch.describe()} on {profile}."
        )
        self._update_tray()
        if on:
            self.check()
        return on

    def _on_database(self, db) -> None:
        self.problems.clear()
        if db is None:
            self.timer.stop()
            self.watches = WatchList()
            self._update_tray()
            return
        self.watches = load_watches(db.profile.name)
        self._update_tray()
        self.timer.start()
        if self.watches.watches:
            self.check()

    # ------------------------------------------------------------ one query per interval

    def check(self) -> None:
        db = self.window.db
        if db is None or not self.watches.watches:
            return
        watches, profile = (
            WatchList(list(self.watches.watches), self.watches.thresholds),
            db.profile,
        )

        def work():
            import time

            from console.queries.watches import evaluate

            start = time.perf_counter()
            with db.reader.connect() as conn:
                found = evaluate(conn, watches, profile.name)
            return found, (time.perf_counter() - start) * 1000

        def done(result) -> None:
            found, ms = result
            if db is not self.window.db:
                return
            self.last_query_ms = ms
            self.rounds += 1
            now = {p.key: p for p in found}
            for key, problem in now.items():
                if key not in self.problems:
                    self._notify(problem)
            self.problems = now
            self._update_tray()

        def failed(exc: BaseException) -> None:
            log.warning("checking the watches failed: %s", exc)

        self.window.runner.submit(work, done, failed, owner=self, key="watches:check")

    def _notify(self, problem: Problem) -> None:
        db = self.window.db
        if db is None:
            return
        ident = identity_of(db.profile)
        link = format_link(
            Link(ident.name, problem.link_kind, problem.link_target, (), ident.host, ident.dbname)
        )

        def open_row() -> None:
            self._show_window()
            self.opener.open(link)

        self.notifier.notify(Notice(problem.title, problem.body, open_row))

    def _update_tray(self) -> None:
        n, watched = len(self.problems), len(self.watches.watches)
        if not watched:
            self.tray.hide()
            return
        self.tray.setToolTip(
            f"AutoPR Console: {n} watched problem{'s' if n != 1 else ''}"
            f" ({watched} watch{'es' if watched != 1 else ''})"
        )
        self.tray.setIcon(theme.app_icon() if n == 0 else self._badge(n))
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray.show()

    @staticmethod
    def _badge(count: int):
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QColor, QFont, QIcon, QPainter

        pix = theme.app_icon().pixmap(32, 32)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor("#d32f2f"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(12, 12, 20, 20)
        painter.setPen(QColor("white"))
        font = QFont()
        font.setBold(True)
        font.setPixelSize(13)
        painter.setFont(font)
        painter.drawText(12, 12, 20, 20, Qt.AlignmentFlag.AlignCenter, str(min(count, 99)))
        painter.end()
        return QIcon(pix)

    # ------------------------------------------------------------ window and tray

    def _show_window(self) -> None:
        reach = getattr(self.window, "reach", None)
        if reach is not None:
            reach.raise_window()
        else:
            self.window.show()

    def quit(self) -> None:
        self._quitting = True
        for window in list(self.windows()):
            if shiboken6.isValid(window):
                window.close()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.window
            and event.type() == QEvent.Type.Close
            and not self._quitting
            and self.keep_action.isChecked()
            and self.watches.watches
            and QSystemTrayIcon.isSystemTrayAvailable()
            and not any(w is not self.window and w.isVisible() for w in self.windows())
        ):  # the last window: hidden to the tray
            event.ignore()  # hidden to the tray; the watches keep running
            self.window.save_layout()
            self.window.hide()
            self.window.show_status("Still watching (tray icon); Quit from its menu.")
            return True
        return False


def add_watch_entries(page, menu: QMenu) -> None:
    """Context menu provider: Watch / Stop watching the current row."""
    kind_field = PAGE_WATCH.get(getattr(page, "key", ""))
    reach = getattr(page.window(), "reach", None)
    manager: WatchManager | None = getattr(reach, "watches", None)
    if kind_field is None or manager is None:
        return
    row_id = page.current_id()
    row = next((r for r in page.model.rows if r.id == row_id), None)
    if row is None or not row.raw.get(kind_field[1]):
        return
    watch = Watch(kind_field[0], str(row.raw[kind_field[1]]))
    watched = watch in manager.watches.watches
    act = menu.addAction(f"{'Stop watching' if watched else 'Watch'} this {watch.kind}")
    act.setObjectName("watchAction")
    act.triggered.connect(lambda _=False: manager.toggle(watch, page.window()))
