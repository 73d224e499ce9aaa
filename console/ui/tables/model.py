"""A table model over a bounded window of a huge, keyset-ordered table.

The model never runs SQL.  It holds at most ``max_rows`` rows (the window)
positioned at ``start`` inside a row count that comes from an estimate.  When
the view paints a row outside the window, the model emits :attr:`wants` with a
:class:`Plan` — the next or previous page by keyset, the first or last rows, or
a seek to a sort value for a far jump — and the page runs it on a worker and
hands the rows back to :meth:`apply`.  Row numbers are therefore approximate
away from the ends; the row count is corrected when an end is reached.

``data()`` is the hot path: it compares ``role`` with plain ints and returns
strings prepared when the rows were fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QIcon

from console.ui import theme
from console.ui.tables.columns import Column, tooltips

DISPLAY, DECORATION, TOOLTIP, ALIGN, FOREGROUND = 0, 1, 3, 7, 9
ROW_ID_ROLE = 256  # Qt.UserRole: the row's primary key
PLACEHOLDER = "…"
# Qt's scroll area stops at 2^31 px; at ~22 px a row this keeps the view inside it.
MAX_VIEW_ROWS = 60_000_000


# How a window read positions itself (console.queries.keyset.fetch_window; offset/from: by row).
PlanMode = Literal["top", "bottom", "after", "before", "seek", "offset", "from"]


@dataclass(frozen=True)
class Plan:
    """One window read for the page to run: see console.queries.keyset.fetch_window."""

    mode: PlanMode
    generation: int
    limit: int
    row: int = 0  # where the first fetched row lands (seek/offset)
    anchor: tuple[Any, Any] | None = None
    fraction: float = 0.0  # seek: how far down the rows


class Row:
    """One fetched row with its display strings."""

    __slots__ = ("anchor", "id", "raw", "texts", "tips", "tone")

    def __init__(
        self,
        row_id: str,
        anchor: tuple[Any, Any],
        raw: dict[str, Any],
        texts: tuple,
        tips: tuple | None = None,
    ) -> None:
        self.id = row_id
        self.anchor = anchor
        self.raw = raw
        self.texts = texts
        self.tips = tips
        self.tone = ""  # status / level / health of the row, for colour and icon


class WindowModel(QAbstractTableModel):
    wants = Signal(object)  # Plan
    window_changed = Signal()
    sort_requested = Signal(int, bool)  # column, descending

    def __init__(
        self,
        columns: tuple[Column, ...],
        page_size: int = 200,
        max_rows: int = 2000,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.columns = columns
        self.page_size = page_size
        self.max_rows = max(max_rows, 2 * page_size)
        self.generation = 0
        self.total = 0
        self.total_exact = False
        self.start = 0
        self.rows: list[Row] = []
        self.at_top = True
        self.at_bottom = True
        self.loading = False
        self._inflight: Plan | None = None
        self._want: tuple[int, int] | None = None
        self._pending_want: tuple[int, int] | None = None
        self._tone_col = next(
            (i for i, c in enumerate(columns) if c.kind in ("status", "health", "level")), -1
        )
        self._tone_kind = columns[self._tone_col].kind if self._tone_col >= 0 else ""
        self._colors: dict[str, QColor] = {}
        self._icons: dict[str, QIcon] = {}
        self._right = frozenset(i for i, c in enumerate(columns) if c.kind in ("int", "duration"))
        theme.theme_events().changed.connect(self._theme_changed)

    @property
    def in_flight(self) -> Plan | None:
        """The read asked for (``wants``) whose answer has not come back yet."""
        return self._inflight

    # ------------------------------------------------------------ Qt interface

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        i = index.row() - self.start
        if 0 <= i < len(self.rows):
            row = self.rows[i]
            if role == DISPLAY:
                return row.texts[index.column()]
            if role == TOOLTIP:
                if row.tips is None:
                    row.tips = tooltips(row.raw, self.columns)
                return row.tips[index.column()]
            if role == FOREGROUND:
                if index.column() == self._tone_col:
                    return self._color(row.tone)
                return None
            if role == DECORATION:
                if index.column() == self._tone_col and self._tone_kind != "level":
                    return self._icon(row.tone)
                return None
            if role == ALIGN:
                if index.column() in self._right:
                    return 0x0082  # AlignRight | AlignVCenter
                return None
            if role == ROW_ID_ROLE:
                return row.id
            return None
        if role == DISPLAY:
            self.want_rows(index.row(), index.row())
            return PLACEHOLDER if index.column() == 0 else ""
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == DISPLAY and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].header
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is a new keyset query: the page decides (only indexed columns sort)."""
        self.sort_requested.emit(column, order == Qt.SortOrder.DescendingOrder)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():  # the root is no item (Qt's model tester checks this)
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # ------------------------------------------------------------ colours

    def _color(self, tone: str) -> QColor | None:
        color = self._colors.get(tone)
        if color is None and tone:
            if self._tone_kind == "level":
                color = theme.level_color(tone)
            elif self._tone_kind == "health":
                color = theme.health_color(tone)
            else:
                color = theme.status_color(tone)
            self._colors[tone] = color
        return color

    def _icon(self, tone: str) -> QIcon | None:
        icon = self._icons.get(tone)
        if icon is None and tone:
            health = self._tone_kind == "health"
            icon = theme.health_icon(tone) if health else theme.status_icon(tone)
            self._icons[tone] = icon
        return icon

    def _theme_changed(self, *_: Any) -> None:
        self._colors.clear()
        self._icons.clear()
        self.redisplay()

    # ------------------------------------------------------------ window access

    def row_at(self, view_row: int) -> Row | None:
        i = view_row - self.start
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def view_row_of(self, row_id: str) -> int | None:
        for i, row in enumerate(self.rows):
            if row.id == row_id:
                return self.start + i
        return None

    def redisplay(self) -> None:
        """Repaint the window (colours or time format changed)."""
        if self.rows:
            self.dataChanged.emit(
                self.index(self.start, 0),
                self.index(self.start + len(self.rows) - 1, len(self.columns) - 1),
            )

    def set_texts(self, texts: list[tuple[tuple[str, ...], tuple[str, ...] | None]]) -> None:
        """New display strings for every window row (same order), e.g. after a UTC toggle."""
        for row, (t, tips) in zip(self.rows, texts, strict=False):
            row.texts, row.tips = t, tips
        self.redisplay()

    # ------------------------------------------------------------ loading

    def reset(self, total: int, exact: bool, rows: list[Row], limit: int) -> None:
        """A new query (filters, sort or database changed): the first rows and a total."""
        self.beginResetModel()
        self.generation += 1
        self._inflight = None
        self._want = None
        self.rows = rows[: self.max_rows]
        self.start = 0
        self.at_top = True
        self.at_bottom = len(rows) < limit
        if self.at_bottom:
            total, exact = len(rows), True
        self.total = min(max(total, len(self.rows)), MAX_VIEW_ROWS)
        self.total_exact = exact
        self.loading = False
        self.endResetModel()
        self.window_changed.emit()

    def clear(self) -> None:
        self.beginResetModel()
        self.generation += 1
        self._inflight = None
        self._want = None
        self.rows = []
        self.total = 0
        self.start = 0
        self.at_top = self.at_bottom = True
        self.endResetModel()
        self.window_changed.emit()

    def set_total(self, total: int, exact: bool) -> None:
        """An exact count arrived (or a new estimate): resize the row count."""
        if self.at_bottom and self.at_top:
            return  # the window holds every row: its length is exact already
        total = min(max(total, self.start + len(self.rows)), MAX_VIEW_ROWS)
        if self.at_bottom:
            total = self.start + len(self.rows)
        self._resize(total)
        self.total_exact = exact
        self.window_changed.emit()

    def want_rows(self, first: int, last: int) -> None:
        """The view needs rows ``first..last``: start the read at once.

        Called from ``data()`` during a paint: the read overlaps the paint of the
        placeholders.  Rows the read in flight will bring are not asked for again.
        """
        if self._inflight is not None and self._covers(self._inflight, first, last):
            self._pending_want = self._merge(self._pending_want, first, last)
            return
        self._want = self._merge(self._want, first, last)
        self._flush()

    def _merge(self, want: tuple[int, int] | None, first: int, last: int) -> tuple[int, int]:
        if want is None or first > want[1] + self.page_size or last < want[0] - self.page_size:
            return (first, last)  # a new region (the view scrolled far): forget the old one
        return (min(want[0], first), max(want[1], last))

    def _covers(self, plan: Plan, first: int, last: int) -> bool:
        """Whether the rows ``plan`` will bring (as far as known now) include first..last."""
        s, e = self.start, self.start + len(self.rows)
        lo, hi = {
            "top": (0, plan.limit),
            "bottom": (self.total - plan.limit, self.total),
            "after": (e, e + plan.limit),
            "before": (s - plan.limit, s),
        }.get(plan.mode, (plan.row, plan.row + plan.limit))
        return lo <= first and last < hi

    def _flush(self) -> None:
        want, self._want = self._want, None
        if want is None:
            return
        plan = self.plan_for(*want)
        if plan is None:
            return
        if self._inflight == plan:
            return
        self._inflight = plan
        self._pending_want = want
        self.wants.emit(plan)

    def plan_for(self, lo: int, hi: int) -> Plan | None:
        """The read that brings rows ``lo..hi`` into the window (None: already there)."""
        s, e = self.start, self.start + len(self.rows)
        lo, hi = max(0, lo), min(hi, self.total - 1)
        if hi < lo or (s <= lo and hi < e):
            return None
        page, gen = self.page_size, self.generation
        if not self.rows:
            return Plan("top", gen, page)
        if s <= lo < e + page and hi >= e:  # just below the window: the next page
            if self.at_bottom:
                return None
            limit = min(self.max_rows // 2, max(page, hi - e + 1 + page // 2))
            return Plan("after", gen, limit, anchor=self.rows[-1].anchor)
        if s - page <= hi < e and lo < s:  # just above the window: the previous page
            if self.at_top:
                return None
            limit = min(self.max_rows // 2, max(page, s - lo + page // 2))
            return Plan("before", gen, limit, anchor=self.rows[0].anchor)
        limit = min(self.max_rows // 2, max(page, hi - lo + 1 + page // 2))
        if lo < page:
            return Plan("top", gen, max(limit, min(hi + 1, self.max_rows // 2)))
        if hi >= self.total - page:
            return Plan("bottom", gen, limit)
        target = max(0, lo - page // 4)
        return Plan("seek", gen, limit, row=target, fraction=target / max(1, self.total))

    def failed(self, plan: Plan) -> None:
        if self._inflight == plan:
            self._inflight = None

    def apply(self, plan: Plan, rows: list[Row]) -> None:
        """Rows of ``plan`` arrived (in display order)."""
        if plan.generation != self.generation:
            return
        if self._inflight == plan:
            self._inflight = None
        n, full = len(rows), len(rows) >= plan.limit
        mode = plan.mode
        if mode == "top":
            self._place(0, rows)
            self.at_top, self.at_bottom = True, not full
            if not full:
                self._resize(n)
        elif mode == "bottom":
            if not full:
                self._place(0, rows)
                self.at_top = True
                self._resize(n)
            else:
                if self.total < n:
                    self._resize(n)
                self._place(self.total - n, rows)
                self.at_top = False
            self.at_bottom = True
        elif mode in ("seek", "offset", "from"):
            if n == 0:
                if mode == "from":
                    self.rows, self.start = [], plan.row
                self.at_bottom = True
                self._resize(max(plan.row, 1) if mode != "offset" else plan.row)
                follow = Plan("bottom", self.generation, self.page_size)
                self._inflight = follow
                self.wants.emit(follow)
                return
            start = plan.row
            if start + n > self.total:
                self._resize(start + n)
            self._place(start, rows)
            self.at_top = start == 0 and mode == "offset"
            self.at_bottom = not full
            if not full:
                self._resize(start + n)
        elif mode == "after":
            e = self.start + len(self.rows)
            if e + n > self.total:
                self._resize(e + n)
            self.rows.extend(rows)
            self._changed(e, e + n - 1)
            self.at_bottom = not full
            if not full and e + n < self.total:
                self._resize(e + n)
            drop = len(self.rows) - self.max_rows
            if drop > 0:
                del self.rows[:drop]
                self.start += drop
                self.at_top = False
        elif mode == "before":
            new_start = self.start - n
            if new_start < 0:
                self._insert_top(-new_start)
                new_start = 0
            self.rows[:0] = rows
            self.start = new_start
            self._changed(new_start, new_start + n - 1)
            if not full:
                self.at_top = True
                if self.start > 0:
                    self._remove_top(self.start)
            drop = len(self.rows) - self.max_rows
            if drop > 0:
                del self.rows[-drop:]
                self.at_bottom = False
        self.window_changed.emit()
        want = self._pending_want
        if want is not None:
            self._pending_want = None
            self.want_rows(*want)

    # ------------------------------------------------------------ row-count bookkeeping

    def _place(self, start: int, rows: list[Row]) -> None:
        old = (self.start, self.start + len(self.rows) - 1)
        self.rows = rows[: self.max_rows]
        self.start = start
        if old[1] >= old[0]:
            self._changed(*old)
        self._changed(start, start + len(self.rows) - 1)

    def _changed(self, first: int, last: int) -> None:
        last = min(last, self.total - 1)
        if last >= first >= 0:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.columns) - 1))

    def _resize(self, total: int) -> None:
        total = min(max(0, total), MAX_VIEW_ROWS)
        if total > self.total:
            self.beginInsertRows(QModelIndex(), self.total, total - 1)
            self.total = total
            self.endInsertRows()
        elif total < self.total:
            self.beginRemoveRows(QModelIndex(), total, self.total - 1)
            self.total = total
            self.endRemoveRows()

    def _insert_top(self, count: int) -> None:
        self.beginInsertRows(QModelIndex(), 0, count - 1)
        self.total += count
        self.start += count
        self.endInsertRows()

    def _remove_top(self, count: int) -> None:
        self.beginRemoveRows(QModelIndex(), 0, count - 1)
        self.total -= count
        self.start -= count
        self.endRemoveRows()
