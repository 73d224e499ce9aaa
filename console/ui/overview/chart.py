"""Panel 1: executions started per time bucket, stacked by status (pyqtgraph).

One ``BarGraphItem`` per status is created once and updated in place
(``setOpts``) on every refresh, so the chart never flickers.  A click on a bar
emits ``bar_clicked(status, bucket_index)``; hovering shows the bucket's counts.
"""

from __future__ import annotations

import math
from datetime import datetime

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from console.queries.overview import StatusBuckets
from console.ui import theme, timefmt

# Bottom to top: what ended first, then what still runs.
STACK_ORDER: tuple[str, ...] = ("completed", "failed", "timeout", "cancelled", "running", "pending")


class StatusChart(QWidget):
    bar_clicked = Signal(str, int)  # status, bucket index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: StatusBuckets | None = None
        self._stacks: dict[str, list[float]] = {}  # status -> y0 per bucket

        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)

        self.axis = pg.DateAxisItem(orientation="bottom")
        self.plot = pg.PlotWidget(axisItems={"bottom": self.axis})
        self.plot.setMinimumHeight(180)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.setMouseEnabled(x=False, y=False)
        item.showGrid(x=False, y=True, alpha=0.25)
        item.getAxis("left").setWidth(42)
        self.bars: dict[str, pg.BarGraphItem] = {}
        for status in STACK_ORDER:
            bar = pg.BarGraphItem(x=[], height=[], width=1.0, y0=[])
            bar.setZValue(len(self.bars))
            item.addItem(bar)
            self.bars[status] = bar
        self.empty_text = pg.TextItem("", anchor=(0.5, 0.5))
        item.addItem(self.empty_text, ignoreBounds=True)

        self.plot.scene().sigMouseClicked.connect(self._on_click)
        self.plot.scene().sigMouseMoved.connect(self._on_move)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.legend)
        layout.addWidget(self.plot, 1)
        self.apply_palette()

    # ------------------------------------------------------------ appearance
    def apply_palette(self) -> None:
        """Colours of the current light/dark scheme (call on theme changes)."""
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        self.plot.setBackground(base)
        for name in ("left", "bottom"):
            axis = self.plot.getPlotItem().getAxis(name)
            axis.setPen(pg.mkPen(theme.muted_color()))
            axis.setTextPen(pg.mkPen(text))
        edge = pg.mkPen(base, width=0.5)
        for status, bar in self.bars.items():
            bar.setOpts(brush=pg.mkBrush(theme.status_color(status)), pen=edge)
        self.empty_text.setColor(theme.muted_color())
        self.axis.utcOffset = 0 if timefmt.use_utc() else None
        self.axis.picture = None
        self.axis.update()
        swatches = " ".join(
            f'<span style="color:{theme.status_color(s).name()}">■</span>&nbsp;{s}'
            for s in STACK_ORDER
        )
        self.legend.setText(swatches)

    # ------------------------------------------------------------ data
    def set_data(self, data: StatusBuckets | None, empty_message: str = "") -> None:
        self._data = data
        if data is None:
            for bar in self.bars.values():
                bar.setOpts(x=[], height=[], y0=[])
            self._stacks = {}
            self._show_empty(empty_message)
            return
        w = data.window
        step = w.range.bucket.total_seconds()
        x0 = w.start.timestamp()
        xs = [x0 + step * (i + 0.5) for i in range(w.range.buckets)]
        base = [0.0] * w.range.buckets
        self._stacks = {}
        for status in STACK_ORDER:
            counts = data.counts.get(status, [0] * w.range.buckets)
            self._stacks[status] = list(base)
            self.bars[status].setOpts(x=xs, height=counts, y0=list(base), width=step * 0.86)
            base = [b + c for b, c in zip(base, counts, strict=True)]
        top = max(base, default=0)
        item = self.plot.getPlotItem()
        item.setXRange(x0, w.end.timestamp(), padding=0.01)
        item.setYRange(0, max(1.0, top * 1.08), padding=0)
        self._show_empty(empty_message if data.total == 0 else "")

    def _show_empty(self, message: str) -> None:
        self.empty_text.setText(message)
        self.empty_text.setVisible(bool(message))
        if message:
            vb = self.plot.getPlotItem().getViewBox()
            (x0, x1), (y0, y1) = vb.viewRange()
            self.empty_text.setPos((x0 + x1) / 2, (y0 + y1) / 2)

    # ------------------------------------------------------------ hit testing
    def hit(self, x: float, y: float) -> tuple[str, int] | None:
        """The (status, bucket) under view coordinates ``x``, ``y``, if a bar is there."""
        data = self._data
        if data is None:
            return None
        w = data.window
        step = w.range.bucket.total_seconds()
        pos = (x - w.start.timestamp()) / step
        index = math.floor(pos)
        if not 0 <= index < w.range.buckets or abs(pos - index - 0.5) > 0.43:
            return None
        for status in STACK_ORDER:
            y0 = self._stacks[status][index]
            height = data.counts.get(status, [0] * w.range.buckets)[index]
            if height and y0 <= y < y0 + height:
                return status, index
        return None

    def bar_center(self, status: str, index: int) -> QPointF:
        """Scene position of the middle of one bar segment (tests, keyboard)."""
        assert self._data is not None
        w = self._data.window
        step = w.range.bucket.total_seconds()
        x = w.start.timestamp() + step * (index + 0.5)
        y = self._stacks[status][index] + self._data.counts[status][index] / 2
        vb = self.plot.getPlotItem().getViewBox()
        return vb.mapViewToScene(QPointF(x, y))

    def _view_pos(self, scene_pos: QPointF) -> QPointF:
        return self.plot.getPlotItem().getViewBox().mapSceneToView(scene_pos)

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        p = self._view_pos(event.scenePos())
        found = self.hit(p.x(), p.y())
        if found is not None:
            self.bar_clicked.emit(*found)

    def _on_move(self, scene_pos: QPointF) -> None:
        p = self._view_pos(scene_pos)
        found = self.hit(p.x(), p.y())
        if found is None or self._data is None:
            self.plot.setCursor(Qt.CursorShape.ArrowCursor)
            QToolTip.hideText()
            return
        self.plot.setCursor(Qt.CursorShape.PointingHandCursor)
        status, index = found
        QToolTip.showText(
            self.plot.mapToGlobal(self.plot.mapFromScene(scene_pos)),
            self.describe(status, index),
            self.plot,
        )

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
