"""The Overview page: what the engine is doing, at a glance.

All panels are read in one background task (:class:`~.loader.OverviewLoader`) and
updated in place when it lands; a one-second timer advances elapsed times and ages
between refreshes without querying.  Clicking a bar, a row or a tile opens the
matching filtered table through ``PageContext.open_page``.  The chart
(:mod:`.chart`), the tiles and queue card (:mod:`.tiles`) and the table panels
(:mod:`.panels`) render their parts; the page lays them out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.db import errors as db_errors
from console.db.connection import Database
from console.queries.overview import TIME_RANGES, OverviewParams, OverviewSnapshot
from console.ui import theme, timefmt
from console.ui.freshness import FreshnessLabel
from console.ui.overview.chart import StatusChart
from console.ui.overview.loader import TASK_KEY, OverviewLoader  # noqa: F401
from console.ui.overview.panels import (  # noqa: F401  (the page's public figures)
    DEFAULT_STUCK_MINUTES,
    MAX_STUCK_MINUTES,
    ORDERS,
    TOP_N,
    RunningPanel,
    StuckPanel,
    WorkflowsPanel,
    iso,
    section,
    span_text,
)
from console.ui.overview.tiles import IntegrationTiles, QueueCard
from console.ui.pages import PageContext, PageSpec

log = logging.getLogger(__name__)

WIDE = 980  # px; below this the panels stack in one column
EMPTY_DB_TEXT = (
    "Nothing to show yet: this database has no executions in this window, nothing running, "
    "no integrations and an empty event queue."
)
DISCONNECTED_TEXT = "Not connected. Choose a profile to see what the engine is doing."


class OverviewPage(QWidget):
    """Charts and tiles of the Overview; the first page once connected."""

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.db: Database | None = None
        self.snapshot: OverviewSnapshot | None = None
        self._layout_wide: bool | None = None
        self.loader = OverviewLoader(ctx, self)
        self.loader.loaded.connect(self._loaded)
        self.loader.failed.connect(self._failed)

        # header
        self.title = QLabel("Overview")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.range_box = QComboBox()
        for tr in TIME_RANGES.values():
            self.range_box.addItem(tr.label, tr.key)
        self.range_box.setAccessibleName("Time range of the overview")
        self.range_box.setCurrentIndex(list(TIME_RANGES).index(self.params.range_key))
        self.range_box.currentIndexChanged.connect(self._range_changed)
        self.updated = FreshnessLabel()
        self.error = QLabel("")
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # quotes the server's message
        self.error.setWordWrap(True)
        self.error.hide()
        self.banner = QLabel(DISCONNECTED_TEXT)
        self.banner.setWordWrap(True)
        self.banner.setObjectName("overviewEmpty")

        # panels
        open_page = self.ctx.open_page
        self.chart = StatusChart()
        self.chart.bar_clicked.connect(self._bar_clicked)
        self.queue = QueueCard()
        self.queue.open_status.connect(lambda status: open_page("events", {"status": [status]}))
        self.totals = QLabel("")
        self.totals.setWordWrap(True)
        self.tiles = IntegrationTiles()
        self.tiles.tile_clicked.connect(
            lambda integ: open_page("integrations", {"integration_id": str(integ.id)})
        )
        self.workflows = WorkflowsPanel(open_page, self.now, self)
        self.running = RunningPanel(open_page, self)
        minutes = int(self.params.stuck_event_after.total_seconds() // 60)
        self.stuck = StuckPanel(open_page, minutes, self)
        self.stuck.stuck_after.valueChanged.connect(self._stuck_after_changed)
        self._expose_parts()

        self._build_layout()
        self._clear()

        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start()
        theme.theme_events().changed.connect(self._restyle)
        timefmt.time_events().utc_changed.connect(self._restyle)
        self._restyle()

    def _expose_parts(self) -> None:
        """The panels' parts under the page's names (tests and screenshots reach them)."""
        w, r, s = self.workflows, self.running, self.stuck
        self.workflows_model, self.workflows_view, self.workflows_proxy = w.model, w.view, w.proxy
        self.order_box, self.workflows_note = w.order_box, w.note
        self.running_model, self.running_view, self.running_note = r.model, r.view, r.note
        self.stuck_exec_model, self.stuck_exec_view = s.exec_model, s.exec_view
        self.stuck_event_model, self.stuck_event_view = s.event_model, s.event_view
        self.stuck_exec_note, self.stuck_event_note = s.exec_note, s.event_note
        self.stuck_after, self.stuck_summary = s.stuck_after, s.summary

    @property
    def params(self) -> OverviewParams:
        """What the next read asks for: the range and the stuck threshold."""
        return self.loader.params

    @property
    def top_n(self) -> int:
        return self.workflows.top_n

    @top_n.setter
    def top_n(self, n: int) -> None:
        self.workflows.top_n = n

    # ------------------------------------------------------------ layout
    def _build_layout(self) -> None:
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.updated)
        header.addWidget(self.range_box)

        self.chart_box = section("Executions started, by status", self.chart)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.queue)
        side_layout.addWidget(self.stuck_summary)
        side_layout.addWidget(self.totals)
        side_layout.addStretch(1)
        self.queue_box = section("Event queue", side)
        self.workflows_box, self.running_box = self.workflows.box, self.running.box
        self.stuck_box = self.stuck.box
        self.tiles_box = section("Integrations", self.tiles)

        self.grid = QGridLayout()
        self.grid.setSpacing(8)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(10, 8, 10, 10)
        body_layout.addLayout(header)
        body_layout.addWidget(self.error)
        body_layout.addWidget(self.banner)
        body_layout.addLayout(self.grid)
        body_layout.addStretch(1)
        self.chart.plot.setMinimumHeight(200)
        self.chart.plot.setMaximumHeight(300)

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)
        self._place(wide=True)

    def _place(self, wide: bool) -> None:
        """Two columns when wide, one when narrow; widgets are moved, never rebuilt."""
        if wide == self._layout_wide:
            return
        self._layout_wide = wide
        boxes = (
            self.chart_box,
            self.queue_box,
            self.workflows_box,
            self.running_box,
            self.stuck_box,
            self.tiles_box,
        )
        for box in boxes:
            self.grid.removeWidget(box)
        if wide:
            self.grid.addWidget(self.chart_box, 0, 0)
            self.grid.addWidget(self.queue_box, 0, 1)
            self.grid.addWidget(self.workflows_box, 1, 0)
            self.grid.addWidget(self.running_box, 1, 1)
            self.grid.addWidget(self.stuck_box, 2, 0, 1, 2)
            self.grid.addWidget(self.tiles_box, 3, 0, 1, 2)
            self.grid.setColumnStretch(0, 3)
            self.grid.setColumnStretch(1, 2)
        else:
            for n, box in enumerate(boxes):
                self.grid.addWidget(box, n, 0, 1, 2)
            self.grid.setColumnStretch(0, 1)
            self.grid.setColumnStretch(1, 0)
        self.stuck.place(wide)
        self.queue_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def layout_is_wide(self) -> bool | None:
        """Two columns (True), one (False), or not placed yet (None)."""
        return self._layout_wide

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place(wide=self.width() >= WIDE)

    # ------------------------------------------------------------ Page protocol
    def set_database(self, db: Database | None) -> None:
        self.loader.set_database(db)
        self.db = db
        self._clear()
        if db is not None:
            self.banner.setText("Loading…")
            self.refresh()

    def refresh(self) -> None:
        self.loader.refresh()

    def shown(self) -> None:
        """Shown again: re-read unless the last read is a second old."""
        age = self.updated.age()
        if age is not None and age >= 2.0:  # (None: the first read is under way or failed)
            self.refresh()

    def apply_filters(self, filters: dict[str, Any]) -> None:
        key = filters.get("time_range")
        if key in TIME_RANGES:
            self.set_range(key)

    def screenshot_states(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("7d", lambda: self.set_range("7d")),
            ("1h", lambda: self.set_range("1h")),
        ]

    # ------------------------------------------------------------ controls
    def set_range(self, key: str) -> None:
        index = self.range_box.findData(key)
        if index >= 0 and index != self.range_box.currentIndex():
            self.range_box.setCurrentIndex(index)  # -> _range_changed -> refresh

    def _range_changed(self, _index: int) -> None:
        self.loader.set_range(self.range_box.currentData())
        self.refresh()

    def _stuck_after_changed(self, minutes: int) -> None:
        self.loader.set_stuck_minutes(minutes)
        self.refresh()

    # ------------------------------------------------------------ results
    def now(self) -> datetime:
        """The server's clock, advanced locally since the last snapshot."""
        return self.loader.now()

    def _loaded(self, snap: OverviewSnapshot) -> None:
        self.snapshot = snap
        self.error.hide()
        self._render()

    def _failed(self, exc: BaseException) -> None:
        reason = db_errors.reason(exc)  # one line, never a password
        log.warning("overview refresh failed: %s", reason)
        self.error.setText(
            f"Could not refresh the Overview: {reason}. "
            "The figures below are from the last successful refresh."
        )
        self.error.show()

    def _render(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        now = self.now()
        w = snap.window
        self.banner.setVisible(snap.is_empty)
        self.banner.setText(EMPTY_DB_TEXT)
        self.updated.mark()
        label = w.range.label.lower()
        bucket = span_text(w.range.bucket).removeprefix("1 ")
        self.chart_box.setTitle(f"Executions started, by status — {label}, per {bucket}")
        self.chart.set_data(snap.buckets, f"No executions started in the {label}")
        started = snap.buckets.total
        bad = sum(sum(snap.buckets.counts.get(s, [])) for s in ("failed", "timeout"))
        share = f" · {bad / started * 100:.1f} % failed or timed out" if started else ""
        self.totals.setText(
            f"{started:,} executions started in the {label}{share} · "
            f"{snap.running.total:,} running now · {len(snap.integrations)} integration(s)"
        )
        self.workflows.show(snap)
        self.running.show(snap, now)
        self.tiles.set_integrations(snap.integrations, now)
        self.queue.set_queue(snap.queue, now)
        self.stuck.show(snap, now)

    def tick(self) -> None:
        """Advance elapsed times and ages by the local clock (no query)."""
        if self.snapshot is None or not self.isVisible():
            return
        now = self.now()
        self.running_model.tick(now)
        self.stuck.tick(now)
        self.tiles.tick(now)
        self.queue.tick(now)

    def _clear(self) -> None:
        self.snapshot = None
        now = self.now()
        self.chart.set_data(None, "Not connected" if self.db is None else "")
        self.workflows.show(None)
        self.running.show(None, now)
        self.stuck.show(None, now)
        self.tiles.set_integrations([], now)
        self.queue.set_queue(None, now)
        self.totals.setText("")
        self.updated.clear()
        self.error.hide()
        self.banner.setText(DISCONNECTED_TEXT)
        self.banner.setVisible(True)

    def _restyle(self, *_args: object) -> None:
        self.chart.apply_palette()
        muted = theme.muted_color().name()
        for label in (
            self.banner,
            self.totals,
            self.updated,
            self.workflows_note,
            self.running_note,
            self.stuck_exec_note,
            self.stuck_event_note,
        ):
            label.setStyleSheet(f"color: {muted};")
        self.error.setStyleSheet(f"color: {theme.status_color('failed').name()};")
        if self.snapshot is not None:
            self._render()

    # ------------------------------------------------------------ click-through
    def _bar_clicked(self, status: str, index: int) -> None:
        start, end = self.chart.bucket_bounds(index)
        self.ctx.open_page(
            "executions", {"status": [status], "time_from": iso(start), "time_to": iso(end)}
        )


PAGE = PageSpec("overview", "Overview", lambda ctx: OverviewPage(ctx), order=0, icon="overview")
