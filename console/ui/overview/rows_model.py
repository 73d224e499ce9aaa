"""A small read-only table model over a list of row objects, for the Overview's tables.

Display strings are computed once per row when rows arrive (``data()`` only looks
them up); columns marked ``live`` are recomputed by :meth:`RowsModel.tick`, which
emits ``dataChanged`` for that column alone (elapsed times ticking each second).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon

T = TypeVar("T")

SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


@dataclass(frozen=True)
class Column(Generic[T]):
    title: str
    text: Callable[[T, datetime], str]
    sort: Callable[[T], Any] | None = None
    tooltip: Callable[[T, datetime], str] | None = None
    icon: Callable[[T], QIcon] | None = None
    color: Callable[[T], QColor | None] | None = None
    numeric: bool = False  # right-aligned
    live: bool = False  # recomputed on tick()


class RowsModel(QAbstractTableModel, Generic[T]):
    def __init__(self, columns: Sequence[Column[T]], parent=None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[T] = []
        self._text: list[list[str]] = []
        self._tips: list[list[str]] = []
        self._live = [i for i, c in enumerate(self._columns) if c.live]

    # -- data in
    def set_rows(self, rows: Sequence[T], now: datetime) -> None:
        """Replace the rows without a model reset: views keep their scroll position
        and the refresh does not flash (rows are updated, added or removed at the end)."""
        new = list(rows)
        text = [[c.text(r, now) for c in self._columns] for r in new]
        tips = [[c.tooltip(r, now) if c.tooltip else "" for c in self._columns] for r in new]
        old_n, new_n = len(self._rows), len(new)
        if new_n < old_n:
            self.beginRemoveRows(QModelIndex(), new_n, old_n - 1)
            del self._rows[new_n:], self._text[new_n:], self._tips[new_n:]
            self.endRemoveRows()
        if new_n > old_n:
            self.beginInsertRows(QModelIndex(), old_n, new_n - 1)
            self._rows, self._text, self._tips = new, text, tips
            self.endInsertRows()
        else:
            self._rows, self._text, self._tips = new, text, tips
        common = min(old_n, new_n)
        if common:
            self.dataChanged.emit(self.index(0, 0), self.index(common - 1, len(self._columns) - 1))

    def tick(self, now: datetime) -> None:
        """Recompute the live columns against ``now`` (no query)."""
        if not self._rows or not self._live:
            return
        for col in self._live:
            column = self._columns[col]
            for i, r in enumerate(self._rows):
                self._text[i][col] = column.text(r, now)
                if column.tooltip:
                    self._tips[i][col] = column.tooltip(r, now)
            self.dataChanged.emit(
                self.index(0, col), self.index(len(self._rows) - 1, col), [_DISPLAY, _TOOLTIP]
            )

    def row_at(self, row: int) -> T:
        return self._rows[row]

    def rows(self) -> list[T]:
        return list(self._rows)

    def text_at(self, row: int, col: int) -> str:
        return self._text[row][col]

    # -- Qt
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and int(role) == _DISPLAY:
            return self._columns[section].title
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        role = int(role)
        r, c = index.row(), index.column()
        if role == _DISPLAY:
            return self._text[r][c]
        if role == SORT_ROLE:
            column = self._columns[c]
            return column.sort(self._rows[r]) if column.sort else self._text[r][c]
        if role == _TOOLTIP:
            return self._tips[r][c] or None
        if role == _DECORATION:
            column = self._columns[c]
            return column.icon(self._rows[r]) if column.icon else None
        if role == _FOREGROUND:
            column = self._columns[c]
            return column.color(self._rows[r]) if column.color else None
        if role == _ALIGN and self._columns[c].numeric:
            return _RIGHT
        return None
