"""The window's pages: the navigation list, the page stack, pages built when first shown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.ui import settings, theme
from console.ui.pages import PageSpec

if TYPE_CHECKING:
    from console.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class EmptyPages(QWidget):
    """Shown when no page is installed (or every page failed to load)."""

    def __init__(self, message: str) -> None:
        super().__init__()
        col = QVBoxLayout(self)
        col.addStretch(1)
        title = QLabel("Nothing to show yet")
        title.setProperty("role", "empty-title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(message)
        hint.setProperty("role", "hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        col.addWidget(title)
        col.addWidget(hint)
        col.addStretch(2)


class BrokenPage(EmptyPages):
    """Stands in for a page whose module failed to load, so the rest of the window works."""

    def __init__(self, title: str, error: BaseException) -> None:
        super().__init__(f"The {title} page could not be loaded: {error}")

    def set_database(self, db: object) -> None:
        pass

    def refresh(self) -> None:
        pass

    def apply_filters(self, filters: object) -> None:
        pass


class LazyPages(dict[str, QWidget]):
    """Key -> page widget; a page not built yet is built when first asked for."""

    def __init__(self, build: Callable[[str], QWidget]) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, key: str) -> QWidget:
        page = self[key] = self._build(key)
        return page


def page_shortcuts(keys: list[str]) -> dict[str, str]:
    """Page key -> shortcut text: Ctrl+1, Ctrl+2 … in navigation order (up to Ctrl+9)."""
    return {key: f"Ctrl+{n}" for n, key in enumerate(keys[:9], start=1)}


def call_page(page: QWidget, method: str, *args: Any, report: Callable[[str], None]) -> bool:
    """Call an optional page method; a page's error is logged and reported, not raised.
    Returns whether the page has the method."""
    fn = getattr(page, method, None)
    if not callable(fn):
        return False
    try:
        fn(*args)
    except Exception as exc:
        log.exception("%s.%s failed", type(page).__name__, method)
        report(f"{method} failed: {exc}")
    return True


class PageNavigator(QObject):
    """The navigation list and the page stack of one window.

    A page is built when it is first shown or asked for (``pages[key]``): the window
    paints and the first page loads without the widgets of the others.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.specs: list[PageSpec] = []
        self.keys: list[str] = []  # navigation order
        self.pages: dict[str, QWidget] = LazyPages(self._build_page)  # the pages built so far
        self.shortcuts: dict[str, QShortcut] = {}
        self.nav = QListWidget()  # the window places it
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Pages")
        self.nav.setIconSize(QSize(18, 18))
        self.nav.setMinimumWidth(150)
        self.nav.setMaximumWidth(260)
        self.nav.currentRowChanged.connect(self._on_nav_row)
        self.page_stack = QStackedWidget()
        self.page_stack.setObjectName("pageStack")
        self.empty_pages = EmptyPages("Pages appear here once they are installed.")
        self.page_stack.addWidget(self.empty_pages)

    def call(self, page: QWidget, method: str, *args: Any) -> bool:
        return call_page(page, method, *args, report=self._window.show_status)

    def call_all(self, method: str, *args: Any) -> None:
        """``method`` on every page built so far."""
        for page in list(self.pages.values()):
            self.call(page, method, *args)

    def build(self, specs: list[PageSpec] | None, menu: QMenu) -> None:
        """List the pages (once) from ``specs`` or the installed page list; show one."""
        if self.specs:
            return
        if specs is None:
            specs = self._load_specs()
        self.specs = list(specs)
        shortcuts = page_shortcuts([spec.key for spec in self.specs])
        window = self._window
        for spec in self.specs:
            self.keys.append(spec.key)
            item = QListWidgetItem(theme.icon(spec.icon or spec.key), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            seq = shortcuts.get(spec.key)
            show = partial(self.show_page, spec.key)
            if seq:
                item.setToolTip(f"{spec.title} ({seq})")
                shortcut = QShortcut(QKeySequence(seq), window)
                shortcut.activated.connect(show)
                self.shortcuts[spec.key] = shortcut
            self.nav.addItem(item)
            action = menu.addAction(f"&{spec.title}", show)
            if seq:
                action.setShortcut(QKeySequence(seq))
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # QShortcut acts
        if self.keys:
            last = settings.WINDOW_PAGE.get() or None if window.remember else None
            self.show_page(last if last in self.keys else self.keys[0])

    def _build_page(self, key: str) -> QWidget:
        """Build page ``key`` (``pages[key]`` calls this the first time)."""
        spec = self.spec(key)
        if spec is None:
            raise KeyError(key)
        window = self._window
        try:
            page = spec.factory(window.ctx)
        except Exception as exc:
            log.exception("page %s failed to build", spec.key)
            page = BrokenPage(spec.title, exc)
        page.setObjectName(f"page_{spec.key}")
        if hasattr(page, "title_changed"):
            page.title_changed.connect(lambda _suffix: window.update_title())
        self.page_stack.addWidget(page)
        if window.db is not None:
            self.call(page, "set_database", window.db)
        return page

    def _load_specs(self) -> list[PageSpec]:
        from console.ui import pages as pages_module

        try:
            return pages_module.lazy_page_specs()
        except Exception as exc:  # one broken page module must not take the window down
            log.exception("loading the page list failed")
            self.empty_pages = EmptyPages(f"The pages could not be loaded: {exc}")
            self.page_stack.addWidget(self.empty_pages)
            self.page_stack.setCurrentWidget(self.empty_pages)
            return []

    def spec(self, key: str) -> PageSpec | None:
        return next((s for s in self.specs if s.key == key), None)

    def current_key(self) -> str | None:
        row = self.nav.currentRow()
        return self.keys[row] if 0 <= row < len(self.keys) else None

    def current_page(self) -> QWidget | None:
        key = self.current_key()
        return self.pages.get(key) if key else None

    def show_page(self, key: str) -> bool:
        if key not in self.keys:
            return False
        self.nav.setCurrentRow(self.keys.index(key))
        return True

    def focus_filter(self) -> None:
        page = self.current_page()
        if page is not None:
            self.call(page, "focus_filter")

    def clear_filters(self) -> None:
        """Clears the filters of the bar the focus is in, and nothing else."""
        page = self.current_page()
        if page is None:
            return
        scope = getattr(page, "filter_scope", None)
        focus = QApplication.focusWidget()
        widgets = scope() if callable(scope) else []
        if focus is None or not any(w is focus or w.isAncestorOf(focus) for w in widgets):
            return
        self.call(page, "clear_filters")

    def show_placeholder_if_empty(self) -> None:
        if not self.keys:
            self.page_stack.setCurrentWidget(self.empty_pages)

    def _on_nav_row(self, row: int) -> None:
        if not 0 <= row < len(self.keys):
            return
        window = self._window
        key = self.keys[row]
        self.page_stack.setCurrentWidget(self.pages[key])
        if window.remember and window.primary:
            settings.WINDOW_PAGE.put(key)
        window.update_title()
        if window.db is not None:  # live by default: what is shown is re-read when shown
            page = self.pages[key]
            self.call(page, "shown") or self.call(page, "refresh")
