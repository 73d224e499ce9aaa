"""A table page's header: the sort (from an index only), column widths, order and the
columns shown, remembered per page."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QMenu

from console.queries.keyset import Sort
from console.ui import settings
from console.ui.tables.view_setup import apply_columns

if TYPE_CHECKING:
    from console.ui.tables.base import TablePage

SAVE_MS = 500  # widths are saved once the operator stops dragging


class HeaderState(QObject):
    """Sort requests from the header become a re-read (``resort``) when an index serves
    them; widths and order are saved and restored per set of columns."""

    def __init__(self, page: TablePage, resort: Callable[[], None]) -> None:
        super().__init__(page)
        self._page = page
        self._resort = resort
        self._restoring = False
        self.sort = self._saved_sort()
        self.menu: QMenu | None = None  # the column chooser shown last
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_MS)
        self._save_timer.timeout.connect(self.save)
        header = page.view.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda pos: page.columns_menu().popup(header.mapToGlobal(pos))
        )
        header.sectionResized.connect(lambda *_: self._save_timer.start())
        header.sectionMoved.connect(lambda *_: self._save_timer.start())
        page.model.sort_requested.connect(self._sort_requested)

    def _saved_sort(self) -> Sort:
        spec = self._page.spec
        raw = settings.PAGE_SORT.get(self._page.key)
        name, _, direction = raw.partition(":")
        if name in spec.sort_keys:
            return Sort(name, direction == "desc")
        return Sort(spec.default_sort, spec.sort_keys[spec.default_sort].descending)

    def _sort_column(self) -> int:
        return next((i for i, c in enumerate(self._page.columns) if c.sort == self.sort.name), -1)

    def show_sort_indicator(self) -> None:
        self._restoring = True
        order = (
            Qt.SortOrder.DescendingOrder if self.sort.descending else Qt.SortOrder.AscendingOrder
        )
        self._page.view.horizontalHeader().setSortIndicator(self._sort_column(), order)
        self._restoring = False

    def _sort_requested(self, column: int, descending: bool) -> None:
        if self._restoring:
            return
        page = self._page
        name = page.columns[column].sort
        if name is None:
            page.ctx.show_status(
                f"{page.columns[column].header}: no index to sort {page.noun} by this column"
            )
            QTimer.singleShot(0, self.show_sort_indicator)
            return
        new = Sort(name, descending)
        if new == self.sort:
            return
        self.sort = new
        settings.PAGE_SORT.put(f"{name}:{'desc' if descending else 'asc'}", page.key)
        self._resort()

    def restore(self) -> None:
        """Column widths and order; the sort comes from our own setting, never the header's."""
        page = self._page
        header = page.view.horizontalHeader()
        self._restoring = True
        try:
            restored = settings.restore_header(self._key(), header)
        finally:
            self._restoring = False
        apply_columns(page.view, page.columns, widths=not restored)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.show_sort_indicator()

    def _key(self) -> str:
        """Widths saved for one set of columns: a new layout starts from its defaults."""
        names = ",".join(c.name for c in self._page.columns)
        return f"{self._page.key}-{zlib.crc32(names.encode()):08x}"

    def save(self) -> None:
        settings.save_header(self._key(), self._page.view.horizontalHeader())

    def columns_menu(self) -> QMenu:
        """Check boxes to show or hide columns (remembered with the widths)."""
        page = self._page
        menu = QMenu("C&olumns", page)
        header = page.view.horizontalHeader()
        shown = [i for i in range(len(page.columns)) if not header.isSectionHidden(i)]
        for i, col in enumerate(page.columns):
            act = menu.addAction(col.header)
            act.setCheckable(True)
            act.setChecked(not header.isSectionHidden(i))
            act.setEnabled(not (len(shown) == 1 and i in shown))  # one column stays
            act.toggled.connect(lambda on, i=i: self.show_column(i, on))
        # Parented to the page (it is also a submenu of the row menu): the one made before
        # goes, or every row menu opened would leave a menu and its actions behind.
        old, self.menu = self.menu, menu
        if old is not None:
            old.deleteLater()
        return menu

    def show_column(self, index: int, on: bool) -> None:
        view = self._page.view
        view.horizontalHeader().setSectionHidden(index, not on)
        if on and view.columnWidth(index) < 20:
            col = self._page.columns[index]
            view.setColumnWidth(index, max(col.width, col.min_width))
        stretch = getattr(view, "_stretch", None)
        if stretch is not None:
            stretch.fit()
        self.save()
