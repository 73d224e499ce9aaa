"""How a table view looks: fixed row heights, row selection, column widths and minimums,
one column stretched, ids elided in the middle."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from console.ui.tables.columns import Column

ROW_HEIGHT = 22


def configure_view(view: QTableView) -> None:
    """Fixed row heights (the scroll range is rows x height), row selection, no row numbers."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)  # Tab leaves the table; the arrows move inside it
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    vh = view.verticalHeader()
    vh.setVisible(False)
    vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vh.setDefaultSectionSize(ROW_HEIGHT)
    view.horizontalHeader().setStretchLastSection(True)
    # left-aligned titles stay readable over wide columns (a message column's centre is off-screen)
    view.horizontalHeader().setDefaultAlignment(
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    )
    view.horizontalHeader().setHighlightSections(False)


class MiddleElide(QStyledItemDelegate):
    """Ids keep both ends: ``exec-2026…547-9c4e3d`` (retry chains differ in the suffix)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Any) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class _Stretch(QObject):
    """Gives one column the width the others leave, never less than its minimum.

    (QHeaderView's Stretch mode squeezes it to a few pixels when the view is
    narrow; here the table scrolls sideways instead.)
    """

    def __init__(self, view: QTableView, index: int, least: int) -> None:
        super().__init__(view)
        self.view, self.index, self.least = view, index, least
        self.header = view.horizontalHeader()
        view.viewport().installEventFilter(self)
        self.header.sectionResized.connect(self._other_resized)
        self.header.setStretchLastSection(False)
        QTimer.singleShot(0, self.fit)

    def fit(self) -> None:
        header = self.header
        others = sum(
            header.sectionSize(i)
            for i in range(header.count())
            if i != self.index and not header.isSectionHidden(i)
        )
        want = max(self.least, self.view.viewport().width() - others)
        if header.sectionSize(self.index) != want:
            header.resizeSection(self.index, want)

    def _other_resized(self, index: int, _old: int, _new: int) -> None:
        if index != self.index:
            self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False


def apply_columns(view: QTableView, columns: tuple[Column, ...], *, widths: bool = True) -> None:
    """Widths, the stretched column, ids elided in the middle, minimum widths kept."""
    header = view.horizontalHeader()
    delegate: MiddleElide | None = None
    for i, col in enumerate(columns):
        if col.kind == "id":
            delegate = delegate or MiddleElide(view)
            view.setItemDelegateForColumn(i, delegate)
        if widths:
            view.setColumnWidth(i, max(col.width, col.min_width))
    minimums = {i: c.min_width for i, c in enumerate(columns) if c.min_width}

    def keep_minimum(index: int, _old: int, new: int) -> None:
        least = minimums.get(index, 0)
        if new < least:
            QTimer.singleShot(0, lambda: header.resizeSection(index, least))

    if minimums:
        header.sectionResized.connect(keep_minimum)
    stretch = next((i for i, c in enumerate(columns) if c.stretch), None)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Interactive)
        view._stretch = _Stretch(view, stretch, columns[stretch].min_width)  # type: ignore[attr-defined]
