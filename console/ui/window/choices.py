"""The operator's view choices (UTC times, theme) and the window layout, remembered."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu, QSplitter

from console.ui import settings, theme, timefmt


class ViewChoices(QObject):
    """The UTC toggle and the theme choice; with ``remember`` each is stored when changed.

    ``on_theme`` runs after a theme is applied (the banner repaints its colours).
    """

    def __init__(
        self, parent: QMainWindow, *, remember: bool, on_theme: Callable[[], None]
    ) -> None:
        super().__init__(parent)
        self._remember = remember
        self._on_theme = on_theme
        self.utc_action = QAction(theme.icon("clock"), "&UTC", parent)
        self.utc_action.setCheckable(True)
        self.utc_action.setToolTip("Show exact times in UTC instead of local time")
        self.utc_action.toggled.connect(self._on_utc)
        self.theme_group = QActionGroup(parent)

    def add_theme_menu(self, menu: QMenu) -> None:
        for mode in theme.THEMES:
            action = menu.addAction(f"&{mode.capitalize()}")
            action.setCheckable(True)
            action.setData(mode)
            self.theme_group.addAction(action)
        self.theme_group.triggered.connect(lambda a: self.set_theme(str(a.data())))

    def set_theme(self, mode: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QGuiApplication):
            theme.apply_theme(app, mode)
        self._check_theme(mode)
        if self._remember:
            settings.THEME.put(mode)
        self._on_theme()

    def restore(self) -> None:
        """The remembered choices; without remembering, the process's current ones."""
        utc = settings.UTC.get() if self._remember else timefmt.use_utc()
        self.utc_action.setChecked(utc)
        timefmt.set_utc(utc)
        self._check_theme(settings.THEME.get() if self._remember else theme.current_scheme())

    def _check_theme(self, mode: str) -> None:
        for action in self.theme_group.actions():
            action.setChecked(action.data() == mode)

    def _on_utc(self, on: bool) -> None:
        timefmt.set_utc(on)
        if self._remember:
            settings.UTC.put(on)


def restore_layout(window: QMainWindow, splitter: QSplitter) -> None:
    """Geometry, dock/toolbar state and the navigation splitter as last saved."""
    geometry = settings.WINDOW_GEOMETRY.load()
    if geometry is not None:
        window.restoreGeometry(geometry)
    state = settings.WINDOW_STATE.load()
    if state is not None:
        window.restoreState(state)
    sizes = settings.WINDOW_SPLITTER.load()
    if sizes is not None:
        splitter.restoreState(sizes)


def save_layout(window: QMainWindow, splitter: QSplitter) -> None:
    settings.WINDOW_GEOMETRY.save(window.saveGeometry())
    settings.WINDOW_STATE.save(window.saveState())
    settings.WINDOW_SPLITTER.save(splitter.saveState())
