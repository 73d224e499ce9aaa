"""Panel 1: executions started per time bucket, stacked by status (painted with QPainter).

One :class:`BarSeries` per status is created once and updated in place on every
refresh, and the plot repaints once, so the chart never flickers.  A click on a
bar emits ``bar_clicked(status, bucket_index)``; hovering shows the bucket's counts.
(Drawn by hand rather than with a plotting library: that library and numpy would
add about 50 MiB to a process whose whole window needs about 150.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QMouseEvent, QPainter, QPalette, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from console.ui import theme, timefmt

if TYPE_CHECKING:
    from console.queries.overview import StatusBuckets

# Bottom to top: what ended first, then what still runs.
STACK_ORDER: tuple[str, ...] = ("completed", "failed", "timeout", "cancelled", "running", "pending")
BAR_FILL = 0.86  # of a bucket's width
LEFT, RIGHT, TOP, BOTTOM = 42, 10, 8, 22  # plot margins (axis labels)


@dataclass
class BarSeries:
    """One status's segments: ``heights[i]`` executions on top of ``bases[i]``."""

    status: str
    heights: list[int] = field(default_factory=list)
    bases: list[int] = field(default_factory=list)
    brush: QBrush = field(default_factory=QBrush)


def nice_step(top: float, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` grid lines."""
    raw = max(1.0, top / ticks)
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


class _Plot(QWidget):
    """The drawing area: grid, bars, axes and the empty-state message."""

    def __init__(self, chart: StatusChart) -> None:
        super().__init__(chart)
        self.chart = chart
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def background(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Base)

    def area(self) -> QRectF:
        return QRectF(self.rect()).adjusted(LEFT, TOP, -RIGHT, -BOTTOM)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        try:
            p.fillRect(self.rect(), self.background())
            self.chart._paint(p, self.area())
        finally:
            p.end()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self.chart._hover(event.position(), event.globalPosition().toPoint())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            found = self.chart.hit(event.position())
            if found is not None:
                self.chart.bar_clicked.emit(*found)

    def leaveEvent(self, _event) -> None:
        QToolTip.hideText()


class StatusChart(QWidget):
    bar_clicked = Signal(str, int)  # status, bucket index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: StatusBuckets | None = None
        self.top = 1.0  # the count at the top of the plot
        self.empty_message = ""  # drawn over the plot when set

        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)

        self.plot = _Plot(self)
        self.plot.setMinimumHeight(180)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.bars: dict[str, BarSeries] = {s: BarSeries(s) for s in STACK_ORDER}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot, 1)
        self.apply_palette()

    # ------------------------------------------------------------ appearance
    def apply_palette(self) -> None:
        """Colours of the current light/dark scheme (call on theme changes)."""
        for status, bar in self.bars.items():
            bar.brush = QBrush(theme.status_color(status))
        swatches = " ".join(
            f'<span style="color:{theme.status_color(s).name()}">■</span>&nbsp;{s}'
            for s in STACK_ORDER
        )
        self.legend.setText(swatches)
        self.plot.update()

    # ------------------------------------------------------------ data
    def set_data(self, data: StatusBuckets | None, empty_message: str = "") -> None:
        self._data = data
        if data is None:
            for bar in self.bars.values():
                bar.heights, bar.bases = [], []
            self.top = 1.0
            self.empty_message = empty_message
            self.plot.update()
            return
        n = data.window.range.buckets
        base = [0] * n
        for status in STACK_ORDER:
            bar = self.bars[status]
            bar.heights = list(data.counts.get(status, [0] * n))
            bar.bases = list(base)
            base = [b + c for b, c in zip(base, bar.heights, strict=True)]
        self.top = max(1.0, max(base, default=0) * 1.08)
        self.empty_message = empty_message if data.total == 0 else ""
        self.plot.update()

    # ------------------------------------------------------------ geometry
    def _buckets(self) -> int:
        return self._data.window.range.buckets if self._data is not None else 0

    def _bar_rect(self, area: QRectF, index: int, base: float, height: float) -> QRectF:
        width = area.width() / self._buckets()
        x = area.left() + width * (index + (1 - BAR_FILL) / 2)
        y0 = area.bottom() - base / self.top * area.height()
        y1 = area.bottom() - (base + height) / self.top * area.height()
        return QRectF(x, y1, width * BAR_FILL, y0 - y1)

    def hit(self, pos: QPointF | QPoint) -> tuple[str, int] | None:
        """The (status, bucket) of the bar segment at ``pos`` (plot coordinates), if any."""
        n = self._buckets()
        if not n:
            return None
        pos = QPointF(pos)
        area = self.plot.area()
        index = math.floor((pos.x() - area.left()) / (area.width() / n))
        if not 0 <= index < n:
            return None
        for status in STACK_ORDER:
            bar = self.bars[status]
            if bar.heights[index] and self._bar_rect(
                area, index, bar.bases[index], bar.heights[index]
            ).contains(pos):
                return status, index
        return None

    def bar_center(self, status: str, index: int) -> QPoint:
        """Plot position of the middle of one bar segment (tests, keyboard)."""
        bar = self.bars[status]
        rect = self._bar_rect(self.plot.area(), index, bar.bases[index], bar.heights[index])
        return rect.center().toPoint()

    # ------------------------------------------------------------ painting
    def _paint(self, p: QPainter, area: QRectF) -> None:
        muted = theme.muted_color()
        text = self.palette().color(QPalette.ColorRole.Text)
        fm = QFontMetrics(self.font())
        grid = QColor(muted)
        grid.setAlphaF(0.25)
        step = nice_step(self.top)
        for value in range(0, int(self.top) + 1, step):
            y = area.bottom() - value / self.top * area.height()
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            p.setPen(text)
            label = QRectF(0, y - fm.height() / 2, LEFT - 6, fm.height())
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            p.drawText(label, right, f"{value}")
        p.setPen(QPen(muted, 1))
        p.drawLine(area.bottomLeft(), area.bottomRight())
        p.drawLine(area.bottomLeft(), area.topLeft())
        n = self._buckets()
        if n:
            edge = QPen(self.plot.background(), 0.5)
            for status in STACK_ORDER:
                bar = self.bars[status]
                p.setPen(edge)
                p.setBrush(bar.brush)
                for i, height in enumerate(bar.heights):
                    if height:
                        p.drawRect(self._bar_rect(area, i, bar.bases[i], height))
            self._paint_time_axis(p, area, fm, text)
        if self.empty_message:
            p.setPen(muted)
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, self.empty_message)

    def _paint_time_axis(self, p: QPainter, area: QRectF, fm: QFontMetrics, pen: QColor) -> None:
        """A label under every k-th bucket boundary, as many as fit."""
        assert self._data is not None
        w = self._data.window
        n = w.range.buckets
        labels = self.axis_labels()
        widest = max(fm.horizontalAdvance(t) for t in labels) + 16
        every = max(1, math.ceil(widest / (area.width() / n)))
        p.setPen(pen)
        for i in range(0, n + 1, every):
            x = area.left() + area.width() * i / n
            left = min(max(x - widest / 2, 0.0), self.plot.width() - widest)  # not cut off
            rect = QRectF(left, area.bottom() + 3, widest, fm.height())
            p.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, labels[i])

    def axis_labels(self) -> list[str]:
        """The label of every bucket edge, by the time-format policy (UTC setting)."""
        if self._data is None:
            return []
        w = self._data.window
        step = w.range.bucket
        return [timefmt.axis(w.start + i * step, step) for i in range(w.range.buckets + 1)]

    # ------------------------------------------------------------ hover
    def _hover(self, pos: QPointF, global_pos: QPoint) -> None:
        found = self.hit(pos)
        if found is None or self._data is None:
            self.plot.setCursor(Qt.CursorShape.ArrowCursor)
            QToolTip.hideText()
            return
        self.plot.setCursor(Qt.CursorShape.PointingHandCursor)
        QToolTip.showText(global_pos, self.describe(*found), self.plot)

    def describe(self, status: str, index: int) -> str:
        assert self._data is not None
        w = self._data.window
        start = w.start + index * w.range.bucket
        end = start + w.range.bucket
        lines = [f"{timefmt.short(start)} – {timefmt.short(end)}"]
        for s in reversed(STACK_ORDER):
            n = self._data.counts.get(s, [0] * w.range.buckets)[index]
            if n:
                mark = "▶ " if s == status else ""
                lines.append(f"{mark}{s}: {n}")
        lines.append(f"click: open the {status} executions of this interval")
        return "\n".join(lines)

    def bucket_bounds(self, index: int) -> tuple[datetime, datetime]:
        assert self._data is not None
        w = self._data.window
        start = w.start + index * w.range.bucket
        return start, start + w.range.bucket
