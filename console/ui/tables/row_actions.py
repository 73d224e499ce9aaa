"""What an operator does with a table page's rows: the context menu (mouse and keyboard),
the Actions-menu commands carried out through it, and copying rows."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import QMenu

from console.ui.context_menus import context_menu_providers
from console.ui.tables.clipboard import to_json, to_tsv
from console.ui.tables.columns import export_cells

if TYPE_CHECKING:
    from console.ui.tables.base import TablePage

log = logging.getLogger(__name__)


DETAIL_TOGGLE = "Ctrl+D"  # show / hide the detail pane
COPY_LINK = "Ctrl+Shift+C"  # the autopr:// link of the row (console.ui.links_ui)
COPY_JSON = "Ctrl+Alt+C"


def _walk(menu: QMenu) -> list[QAction]:
    out: list[QAction] = []
    for action in menu.actions():
        sub = action.menu()
        out.extend(_walk(sub) if isinstance(sub, QMenu) else [action])
    return out


def _plain(text: str) -> str:
    return text.replace("&", "")


def _install_operator_actions() -> None:
    """The operator actions' provider, imported when a menu is first needed (pages are
    built lazily: the module that used to install it may not be loaded yet)."""
    from console.ui.actions import menus

    menus.install()


def _is_menu_key(event: QKeyEvent) -> bool:
    return event.key() == Qt.Key.Key_Menu or (
        event.key() == Qt.Key.Key_F10 and event.modifiers() == Qt.KeyboardModifier.ShiftModifier
    )


class RowActions(QObject):
    """The page's row menu, its shortcuts on the table, and copying the selected rows."""

    def __init__(self, page: TablePage) -> None:
        super().__init__(page)
        self._page = page
        self.menu: QMenu | None = None  # the menu shown last
        self._rows_override: list[Any] | None = None
        view = page.view
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._mouse_menu)
        view.installEventFilter(self)
        for seq, slot in (
            (QKeySequence.StandardKey.Copy, self.copy_tsv),
            (QKeySequence(COPY_JSON), self.copy_json),
            (QKeySequence(COPY_LINK), page.copy_link),
            (QKeySequence(Qt.Key.Key_Menu), self.keyboard_menu),
            (QKeySequence(DETAIL_TOGGLE), page.toggle_details),
            (QKeySequence("Shift+F10"), self.keyboard_menu),
        ):
            sc = QShortcut(seq, view)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)

    # ------------------------------------------------------------ commands

    def action_rows(self) -> list[Any]:
        """The rows an action acts on: a detail header's row, else the selected (or current)."""
        if self._rows_override is not None:
            return list(self._rows_override)
        model = self._page.model
        found = (model.row_at(r) for r in self._page.selected_rows())
        return [row.raw for row in found if row is not None]

    def run_command(self, key: str, rows: list[Any] | None = None) -> bool:
        """Carry out the context-menu entry tagged ``key``; says so when there is none."""
        self._rows_override = rows
        try:
            menu = self.build_menu()
        finally:
            self._rows_override = None
        found = [a for a in _walk(menu) if a.data() == key]
        status = self._page.ctx.show_status
        if found and found[0].isEnabled():
            found[0].trigger()
        elif found:
            status(f"{_plain(found[0].text()).rstrip('…')}: not for these rows")
        else:
            status(f"Nothing to {key.replace('-', ' ')} on this page")
        menu.deleteLater()
        return True

    # ------------------------------------------------------------ the menu

    def build_menu(self) -> QMenu:
        page = self._page
        menu = QMenu(page)
        has = bool(page.selected_rows())
        for label, slot, shortcut, key in (
            ("Copy cell", self.copy_cell, None, "copy-cell"),
            ("Copy rows as TSV", self.copy_tsv, QKeySequence.StandardKey.Copy, "copy-tsv"),
            ("Copy rows as JSON", self.copy_json, QKeySequence(COPY_JSON), "copy-json"),
            ("Open details", page.open_details, QKeySequence(Qt.Key.Key_Return), "open-details"),
        ):
            act = menu.addAction(label)
            act.setData(key)
            act.setEnabled(has)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(lambda _=False, s=slot: s())
        act = menu.addAction("E&xport selected rows…")
        act.setData("export-selection")
        act.setEnabled(has)
        act.triggered.connect(lambda: page.ask_export(selection=True))
        act = menu.addAction("Export all rows matching the filter…")
        act.setData("export")
        act.setEnabled(page.db is not None and page.model.total > 0)
        act.triggered.connect(lambda: page.ask_export(selection=False))
        menu.addMenu(page.columns_menu())
        _install_operator_actions()
        if context_menu_providers:
            menu.addSeparator()
        for provider in list(context_menu_providers):
            try:
                provider(page, menu)
            except Exception:
                log.exception("context menu provider %r failed", provider)
        return menu

    def _mouse_menu(self, pos: QPoint) -> None:
        """A right-click: the clicked row becomes current (selected if it was not)."""
        view = self._page.view
        idx = view.indexAt(pos)
        if idx.isValid() and not view.selectionModel().isRowSelected(idx.row()):
            view.selectRow(idx.row())
        if idx.isValid():
            view.setCurrentIndex(idx)
        self._popup(view.viewport().mapToGlobal(pos))

    def keyboard_menu(self) -> None:
        """Menu key / Shift+F10: the menu of the current row, as a right-click on it.

        A selection that holds the current row stays as it is; a current row outside the
        selection (moved there with Ctrl+arrows) becomes the selection, so the menu never
        acts on rows other than the one it opens at.  (Qt's keyboard request carries a
        point on the lower edge of the current row, where ``indexAt`` finds the next row:
        it is never used here.)
        """
        view = self._page.view
        idx = view.currentIndex()
        selection = view.selectionModel()
        if idx.isValid() and not selection.isRowSelected(idx.row()):
            flags = selection.SelectionFlag
            selection.select(idx, flags.ClearAndSelect | flags.Rows)
        rect = view.visualRect(idx) if idx.isValid() else None
        if rect is not None and rect.isValid() and view.viewport().rect().intersects(rect):
            at = QPoint(rect.left() + 24, rect.center().y())
        else:
            at = QPoint(24, 8)
        self._popup(view.viewport().mapToGlobal(at))

    def _popup(self, global_pos: QPoint) -> None:
        old, self.menu = self.menu, self.build_menu()
        if old is not None:
            old.deleteLater()
        self.menu.popup(global_pos)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._page.view:
            return False
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            if event.modifiers() == Qt.KeyboardModifier.ControlModifier and event.key() in (
                Qt.Key.Key_PageDown,
                Qt.Key.Key_PageUp,
            ):  # the table would take Ctrl+PgDown as a page down; here it walks the detail tabs
                self._page.step_detail_tab(1 if event.key() == Qt.Key.Key_PageDown else -1)
                return True
            if _is_menu_key(event):  # when no shortcut took it (window not active yet)
                self.keyboard_menu()
                return True
        if (
            isinstance(event, QContextMenuEvent)
            and event.type() == QEvent.Type.ContextMenu
            and event.reason() == QContextMenuEvent.Reason.Keyboard
        ):
            self.keyboard_menu()
            return True
        return False

    # ------------------------------------------------------------ copying

    def selection_tsv(self) -> str:
        """The selected rows with a header line; times as ISO 8601, not "42 s ago"."""
        page = self._page
        rows = [page.model.row_at(r) for r in page.selected_rows()]
        headers = [c.header for c in page.columns]
        return to_tsv(
            headers,
            [export_cells(r.raw, page.columns, r.texts) for r in rows if r is not None],
        )

    def selection_json(self) -> str:
        page = self._page
        rows = [page.model.row_at(r) for r in page.selected_rows()]
        return to_json([r.raw for r in rows if r is not None])

    def copy_tsv(self) -> None:
        if self._page.selected_rows():
            QGuiApplication.clipboard().setText(self.selection_tsv())

    def copy_json(self) -> None:
        if self._page.selected_rows():
            QGuiApplication.clipboard().setText(self.selection_json())

    def copy_cell(self) -> None:
        view = self._page.view
        idx = view.currentIndex()
        row = self._page.model.row_at(idx.row()) if idx.isValid() else None
        if row is not None:
            QGuiApplication.clipboard().setText(row.texts[idx.column()])
