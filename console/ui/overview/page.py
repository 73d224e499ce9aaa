"""The Overview page: what the engine is doing, at a glance.

All panels are read in one background task (:func:`load_overview`) and updated
in place when it lands; a one-second timer advances elapsed times and ages
between refreshes without querying.  Clicking a bar, a row or a tile opens the
matching filtered table through ``PageContext.open_page``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.db import errors as db_errors
from console.db.connection import Database
from console.queries.overview import (
    DEFAULT_RANGE,
    DEFAULT_STUCK_EVENT_AFTER,
    TIME_RANGES,
    BucketCache,
    OverviewParams,
    OverviewSnapshot,
    RunningExecution,
    StatsCache,
    StuckEvent,
    StuckExecution,
    WorkflowStats,
    load_overview,
    rank_workflows,
)
from console.ui import settings, theme, timefmt
from console.ui.freshness import FreshnessLabel
from console.ui.overview.chart import StatusChart
from console.ui.overview.columns import (
    RUNNING_COLUMNS,
    STUCK_EVENT_COLUMNS,
    STUCK_EXECUTION_COLUMNS,
    WORKFLOW_COLUMNS,
    WORKFLOW_FAILED_COLUMN,
)
from console.ui.overview.rows_model import SORT_ROLE, RowsModel
from console.ui.overview.tiles import IntegrationTiles, QueueCard
from console.ui.pages import PageContext, PageSpec

log = logging.getLogger(__name__)

TASK_KEY = "overview"
DEFAULT_STUCK_MINUTES = int(DEFAULT_STUCK_EVENT_AFTER.total_seconds() // 60)
MAX_STUCK_MINUTES = 7 * 24 * 60
WIDE = 980  # px; below this the panels stack in one column
TOP_N = 25
EMPTY_DB_TEXT = (
    "Nothing to show yet: this database has no executions in this window, nothing running, "
    "no integrations and an empty event queue."
)
DISCONNECTED_TEXT = "Not connected. Choose a profile to see what the engine is doing."
ORDERS = (("failing", "Most failing first"), ("slowest", "Slowest first"))


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def span_text(span: timedelta) -> str:
    """``24 hours``, ``7 days``, ``2 minutes``: how long a window or bucket is."""
    secs = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if secs >= size and secs % size == 0 and not (unit == "day" and secs < 2 * 86400):
            n = secs // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return timefmt.duration(span)


def _section(title: str, body: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(8, 6, 8, 8)
    layout.addWidget(body)
    return box


def _table(
    model: RowsModel, height: int = 210, stretch: int = 0
) -> tuple[QTableView, QSortFilterProxyModel]:
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView()
    view.setModel(proxy)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # execution ids keep their suffix
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(22)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    view.setMinimumHeight(120)
    view.setFixedHeight(height)
    view.setToolTip("double-click or Enter: open in its table")
    return view, proxy


class OverviewPage(QWidget):
    """Charts and tiles of the Overview; the first page once connected."""

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.db: Database | None = None
        self.snapshot: OverviewSnapshot | None = None
        self.top_n = TOP_N
        self._offset = timedelta(0)  # server clock minus local clock
        self._bucket_cache = BucketCache()
        self._stats_cache = StatsCache()
        self._layout_wide: bool | None = None

        # header
        self.title = QLabel("Overview")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.range_box = QComboBox()
        for tr in TIME_RANGES.values():
            self.range_box.addItem(tr.label, tr.key)
        remembered = settings.OVERVIEW_RANGE.get()
        if remembered not in TIME_RANGES:
            remembered = DEFAULT_RANGE
        minutes = settings.OVERVIEW_STUCK_MINUTES.get()
        if not 1 <= minutes <= MAX_STUCK_MINUTES:
            minutes = DEFAULT_STUCK_MINUTES
        self.params = OverviewParams(
            range_key=remembered,
            workflow_limit=None,
            stuck_event_after=timedelta(minutes=minutes),
        )
        self.stuck_after = QSpinBox()
        self.stuck_after.setRange(1, MAX_STUCK_MINUTES)
        self.stuck_after.setValue(minutes)
        self.stuck_after.setSuffix(" min")
        self.stuck_after.setToolTip("An event processing for longer than this looks stuck")
        self.stuck_after.valueChanged.connect(self._stuck_after_changed)
        self.stuck_after.setAccessibleName("Processing events look stuck after (minutes)")
        self.range_box.setAccessibleName("Time range of the overview")
        self.range_box.setCurrentIndex(list(TIME_RANGES).index(remembered))
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
        self.chart = StatusChart()
        self.chart.bar_clicked.connect(self._bar_clicked)
        self.queue = QueueCard()
        self.queue.open_status.connect(
            lambda status: self.ctx.open_page("events", {"status": [status]})
        )
        self.stuck_summary = QLabel("")
        self.stuck_summary.setWordWrap(True)
        self.totals = QLabel("")
        self.totals.setWordWrap(True)

        self.workflows_model: RowsModel[WorkflowStats] = RowsModel(WORKFLOW_COLUMNS)
        self.workflows_view, self.workflows_proxy = _table(self.workflows_model, 250)
        self.workflows_view.activated.connect(self._workflow_activated)
        self.workflows_view.setAccessibleName("Executions per workflow")
        self.order_box = QComboBox()
        for key, label in ORDERS:
            self.order_box.addItem(label, key)
        self.order_box.currentIndexChanged.connect(self._order_changed)
        self.workflows_note = QLabel("")

        self.running_model: RowsModel[RunningExecution] = RowsModel(RUNNING_COLUMNS)
        self.running_view, self.running_proxy = _table(self.running_model, 250, stretch=1)
        self.running_view.activated.connect(self._running_activated)
        self.running_view.setAccessibleName("Executions running now")
        self.running_note = QLabel("")

        self.tiles = IntegrationTiles()
        self.tiles.tile_clicked.connect(
            lambda integ: self.ctx.open_page("integrations", {"integration_id": str(integ.id)})
        )

        self.stuck_exec_model: RowsModel[StuckExecution] = RowsModel(STUCK_EXECUTION_COLUMNS)
        self.stuck_exec_view, self.stuck_exec_proxy = _table(self.stuck_exec_model, 170, stretch=1)
        self.stuck_exec_view.activated.connect(self._stuck_exec_activated)
        self.stuck_exec_view.setAccessibleName("Executions that look stuck")
        self.stuck_event_model: RowsModel[StuckEvent] = RowsModel(STUCK_EVENT_COLUMNS)
        self.stuck_event_view, self.stuck_event_proxy = _table(self.stuck_event_model, 170)
        self.stuck_event_view.activated.connect(self._stuck_event_activated)
        self.stuck_event_view.setAccessibleName("Events that look stuck")
        self.stuck_exec_note = QLabel("")
        self.stuck_event_note = QLabel("")

        self._build_layout()
        self._clear()

        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start()
        theme.theme_events().changed.connect(self._restyle)
        timefmt.time_events().utc_changed.connect(self._restyle)
        self._restyle()

    # ------------------------------------------------------------ layout
    def _build_layout(self) -> None:
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.updated)
        header.addWidget(self.range_box)

        chart_box = _section("Executions started, by status", self.chart)
        self.chart_box = chart_box
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.queue)
        side_layout.addWidget(self.stuck_summary)
        side_layout.addWidget(self.totals)
        side_layout.addStretch(1)
        self.queue_box = _section("Event queue", side)

        wf = QWidget()
        wf_layout = QVBoxLayout(wf)
        wf_layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.workflows_note, 1)
        row.addWidget(self.order_box)
        wf_layout.addLayout(row)
        wf_layout.addWidget(self.workflows_view)
        self.workflows_box = _section("Per workflow", wf)

        run = QWidget()
        run_layout = QVBoxLayout(run)
        run_layout.setContentsMargins(0, 0, 0, 0)
        run_layout.addWidget(self.running_note)
        run_layout.addWidget(self.running_view)
        self.running_box = _section("Running now", run)

        stuck = QWidget()
        stuck_layout = QGridLayout(stuck)
        stuck_layout.setContentsMargins(0, 0, 0, 0)
        stuck_layout.addWidget(self.stuck_exec_note, 0, 0)
        stuck_layout.addWidget(self.stuck_exec_view, 1, 0)
        self.stuck_event_head = QWidget()
        head = QHBoxLayout(self.stuck_event_head)
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.stuck_event_note, 1)
        after = QLabel("&after")
        after.setBuddy(self.stuck_after)
        head.addWidget(after)
        head.addWidget(self.stuck_after)
        stuck_layout.addWidget(self.stuck_event_head, 0, 1)
        stuck_layout.addWidget(self.stuck_event_view, 1, 1)
        stuck_layout.setColumnStretch(0, 3)
        stuck_layout.setColumnStretch(1, 2)
        self.stuck_grid = stuck_layout
        self.stuck_box = _section("What looks stuck", stuck)

        self.tiles_box = _section("Integrations", self.tiles)

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

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
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
        # the stuck tables sit side by side only when there is room
        self.stuck_grid.removeWidget(self.stuck_event_head)
        self.stuck_grid.removeWidget(self.stuck_event_view)
        if wide:
            self.stuck_grid.addWidget(self.stuck_event_head, 0, 1)
            self.stuck_grid.addWidget(self.stuck_event_view, 1, 1)
            self.stuck_grid.setColumnStretch(1, 2)
        else:
            self.stuck_grid.addWidget(self.stuck_event_head, 2, 0)
            self.stuck_grid.addWidget(self.stuck_event_view, 3, 0)
            self.stuck_grid.setColumnStretch(1, 0)
        self.queue_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place(wide=self.width() >= WIDE)

    # ------------------------------------------------------------ Page protocol
    def set_database(self, db: Database | None) -> None:
        self.ctx.runner.invalidate(TASK_KEY)
        self.db = db
        self._bucket_cache = BucketCache()
        self._stats_cache = StatsCache()
        self._clear()
        if db is not None:
            self.banner.setText("Loading…")
            self.refresh()

    def refresh(self) -> None:
        db = self.db
        if db is None:
            return
        engine = db.reader
        params = self.params
        buckets, stats = self._bucket_cache, self._stats_cache

        def work() -> OverviewSnapshot:
            with engine.connect() as conn:
                return load_overview(conn, params, bucket_cache=buckets, stats_cache=stats)

        self.ctx.runner.submit(work, self._loaded, self._failed, owner=self, key=TASK_KEY)

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
        key = self.range_box.currentData()
        settings.OVERVIEW_RANGE.put(key)
        self.params = replace(self.params, range_key=key)
        self.refresh()

    def _stuck_after_changed(self, minutes: int) -> None:
        settings.OVERVIEW_STUCK_MINUTES.put(minutes)
        self.params = replace(self.params, stuck_event_after=timedelta(minutes=minutes))
        self.refresh()

    def _order_changed(self, _index: int) -> None:
        self._show_workflows()

    # ------------------------------------------------------------ results
    def now(self) -> datetime:
        """The server's clock, advanced locally since the last snapshot."""
        return datetime.now(UTC) + self._offset

    def _loaded(self, snap: OverviewSnapshot) -> None:
        if self.db is None:
            return
        self.snapshot = snap
        self._offset = snap.window.now - datetime.now(UTC)
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

        self._show_workflows()

        running = snap.running
        self.running_model.set_rows(running.rows, now)
        if running.total == 0:
            self.running_note.setText("Nothing is running.")
        elif running.total > len(running.rows):
            self.running_note.setText(
                f"{running.total:,} running; the {len(running.rows)} oldest are listed."
            )
        else:
            self.running_note.setText(f"{running.total:,} running.")

        self.tiles.set_integrations(snap.integrations, now)
        self.queue.set_queue(snap.queue, now)

        st = snap.stuck
        self.stuck_exec_model.set_rows(st.executions, now)
        self.stuck_event_model.set_rows(st.events, now)
        listed = (
            f" (the {len(st.executions)} oldest listed)"
            if st.executions_total > len(st.executions)
            else ""
        )
        self.stuck_exec_note.setText(
            f"{st.executions_total:,} execution(s) running past their p95 or timeout{listed}"
            if st.executions
            else "No execution runs past its workflow's p95 or timeout."
        )
        threshold = span_text(st.event_threshold)
        more = f" ({len(st.events)} listed)" if st.events_total > len(st.events) else ""
        self.stuck_event_note.setText(
            f"{st.events_total:,} event(s) processing for over {threshold}{more}"
            if st.events_total
            else f"No event has been processing for over {threshold}."
        )
        stuck_total = st.executions_total + st.events_total
        self.stuck_summary.setText(
            f"Looks stuck: {st.executions_total:,} execution(s), {st.events_total:,} event(s)"
            if stuck_total
            else "Nothing looks stuck."
        )
        colour = theme.status_color("failed") if stuck_total else theme.muted_color()
        self.stuck_summary.setStyleSheet(f"color: {colour.name()};")

    def _show_workflows(self) -> None:
        snap = self.snapshot
        if snap is None:
            self.workflows_model.set_rows([], self.now())
            return
        order = self.order_box.currentData() or "failing"
        rows = rank_workflows(snap.workflows, order=order, limit=self.top_n)
        self.workflows_proxy.sort(-1)  # keep the ranking until a header is clicked
        self.workflows_model.set_rows(rows, self.now())
        span = span_text(snap.window.stats_span)
        if not snap.workflows:
            self.workflows_note.setText("No executions in this window.")
        else:
            shown = (
                f"top {len(rows)} of {len(snap.workflows)}"
                if len(rows) < len(snap.workflows)
                else f"{len(rows)} workflow(s)"
            )
            self.workflows_note.setText(f"{shown}; started in the last {span}")
        self.workflows_note.setToolTip(
            "Success: completed / (completed + failed + timeout).\n"
            "p50 / p95: duration of the completed runs, recomputed at most once a minute."
        )

    def tick(self) -> None:
        """Advance elapsed times and ages by the local clock (no query)."""
        if self.snapshot is None or not self.isVisible():
            return
        now = self.now()
        self.running_model.tick(now)
        self.stuck_exec_model.tick(now)
        self.stuck_event_model.tick(now)
        self.tiles.tick(now)
        self.queue.tick(now)

    def _clear(self) -> None:
        self.snapshot = None
        now = self.now()
        self.chart.set_data(None, "Not connected" if self.db is None else "")
        self.workflows_model.set_rows([], now)
        self.running_model.set_rows([], now)
        self.stuck_exec_model.set_rows([], now)
        self.stuck_event_model.set_rows([], now)
        self.tiles.set_integrations([], now)
        self.queue.set_queue(None, now)
        self.workflows_note.setText("")
        self.running_note.setText("")
        self.stuck_exec_note.setText("")
        self.stuck_event_note.setText("")
        self.stuck_summary.setText("")
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
            "executions", {"status": [status], "time_from": _iso(start), "time_to": _iso(end)}
        )

    def _source_row(self, proxy: QSortFilterProxyModel, index: QModelIndex) -> int:
        return proxy.mapToSource(index).row()

    def _workflow_activated(self, index: QModelIndex) -> None:
        snap = self.snapshot
        if snap is None or not index.isValid():
            return
        stats = self.workflows_model.row_at(self._source_row(self.workflows_proxy, index))
        filters: dict[str, Any] = {
            "workflow_id": str(stats.workflow_id),
            "time_from": _iso(snap.window.stats_start),
            "time_to": _iso(snap.window.end),
        }
        if index.column() == WORKFLOW_FAILED_COLUMN:
            filters["status"] = ["failed", "timeout"]
        self.ctx.open_page("executions", filters)

    def _running_activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        row = self.running_model.row_at(self._source_row(self.running_proxy, index))
        self.ctx.open_page("executions", {"execution_id": str(row.id)})

    def _stuck_exec_activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        row = self.stuck_exec_model.row_at(self._source_row(self.stuck_exec_proxy, index))
        self.ctx.open_page("executions", {"execution_id": str(row.id)})

    def _stuck_event_activated(self, index: QModelIndex) -> None:
        snap = self.snapshot
        if snap is None or not index.isValid():
            return
        row = self.stuck_event_model.row_at(self._source_row(self.stuck_event_proxy, index))
        cutoff = snap.window.now - snap.stuck.event_threshold
        self.ctx.open_page(
            "events",
            {
                "status": ["processing"],
                "integration_id": str(row.integration_id),
                "time_to": _iso(cutoff),
            },
        )


PAGE = PageSpec("overview", "Overview", lambda ctx: OverviewPage(ctx), order=0, icon="overview")
