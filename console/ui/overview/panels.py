"""The Overview's table panels: per workflow, running now, and what looks stuck.

Each panel owns its models and views, renders its part of a snapshot and opens the
matching filtered table when a row is activated (``open_page(key, filters)``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.queries.overview import (
    DEFAULT_STUCK_EVENT_AFTER,
    OverviewSnapshot,
    RunningExecution,
    StuckEvent,
    StuckExecution,
    WorkflowStats,
    rank_workflows,
)
from console.ui import theme, timefmt
from console.ui.overview.columns import (
    RUNNING_COLUMNS,
    STUCK_EVENT_COLUMNS,
    STUCK_EXECUTION_COLUMNS,
    WORKFLOW_COLUMNS,
    WORKFLOW_FAILED_COLUMN,
)
from console.ui.overview.rows_model import SORT_ROLE, RowsModel

OpenPage = Callable[[str, dict[str, Any]], None]
TOP_N = 25
ORDERS = (("failing", "Most failing first"), ("slowest", "Slowest first"))
DEFAULT_STUCK_MINUTES = int(DEFAULT_STUCK_EVENT_AFTER.total_seconds() // 60)
MAX_STUCK_MINUTES = 7 * 24 * 60


def iso(dt: datetime) -> str:
    return dt.isoformat()


def span_text(span: timedelta) -> str:
    """``24 hours``, ``7 days``, ``2 minutes``: how long a window or bucket is."""
    secs = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if secs >= size and secs % size == 0 and not (unit == "day" and secs < 2 * 86400):
            n = secs // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return timefmt.duration(span)


def section(title: str, body: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(8, 6, 8, 8)
    layout.addWidget(body)
    return box


def rows_table(
    model: RowsModel[Any], height: int = 210, stretch: int = 0
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


def _source_row(proxy: QSortFilterProxyModel, index: QModelIndex) -> int:
    return proxy.mapToSource(index).row()


class WorkflowsPanel(QObject):
    """Executions per workflow, ranked most failing or slowest first (top ``top_n``)."""

    def __init__(self, open_page: OpenPage, now: Callable[[], datetime], parent: QObject) -> None:
        super().__init__(parent)
        self._open_page = open_page
        self._now = now  # the server's clock
        self.snapshot: OverviewSnapshot | None = None
        self.top_n = TOP_N
        self.model: RowsModel[WorkflowStats] = RowsModel(WORKFLOW_COLUMNS)
        self.view, self.proxy = rows_table(self.model, 250)
        self.view.activated.connect(self._activated)
        self.view.setAccessibleName("Executions per workflow")
        self.order_box = QComboBox()
        for key, label in ORDERS:
            self.order_box.addItem(label, key)
        self.order_box.currentIndexChanged.connect(lambda _i: self.show(self.snapshot))
        self.note = QLabel("")
        self.note.setToolTip(
            "Success: completed / (completed + failed + timeout).\n"
            "p50 / p95: duration of the completed runs, recomputed at most once a minute."
        )
        body = QWidget()
        col = QVBoxLayout(body)
        col.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.order_box)
        col.addLayout(row)
        col.addWidget(self.view)
        self.box = section("Per workflow", body)

    def show(self, snap: OverviewSnapshot | None) -> None:
        self.snapshot = snap
        now = self._now()
        if snap is None:
            self.model.set_rows([], now)
            self.note.setText("")
            return
        order = self.order_box.currentData() or "failing"
        rows = rank_workflows(snap.workflows, order=order, limit=self.top_n)
        self.proxy.sort(-1)  # keep the ranking until a header is clicked
        self.model.set_rows(rows, now)
        span = span_text(snap.window.stats_span)
        if not snap.workflows:
            self.note.setText("No executions in this window.")
        else:
            shown = (
                f"top {len(rows)} of {len(snap.workflows)}"
                if len(rows) < len(snap.workflows)
                else f"{len(rows)} workflow(s)"
            )
            self.note.setText(f"{shown}; started in the last {span}")

    def _activated(self, index: QModelIndex) -> None:
        snap = self.snapshot
        if snap is None or not index.isValid():
            return
        stats = self.model.row_at(_source_row(self.proxy, index))
        filters: dict[str, Any] = {
            "workflow_id": str(stats.workflow_id),
            "time_from": iso(snap.window.stats_start),
            "time_to": iso(snap.window.end),
        }
        if index.column() == WORKFLOW_FAILED_COLUMN:
            filters["status"] = ["failed", "timeout"]
        self._open_page("executions", filters)


class RunningPanel(QObject):
    """The executions running now, oldest first; their elapsed times tick."""

    def __init__(self, open_page: OpenPage, parent: QObject) -> None:
        super().__init__(parent)
        self._open_page = open_page
        self.model: RowsModel[RunningExecution] = RowsModel(RUNNING_COLUMNS)
        self.view, self.proxy = rows_table(self.model, 250, stretch=1)
        self.view.activated.connect(self._activated)
        self.view.setAccessibleName("Executions running now")
        self.note = QLabel("")
        body = QWidget()
        col = QVBoxLayout(body)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.note)
        col.addWidget(self.view)
        self.box = section("Running now", body)

    def show(self, snap: OverviewSnapshot | None, now: datetime) -> None:
        if snap is None:
            self.model.set_rows([], now)
            self.note.setText("")
            return
        running = snap.running
        self.model.set_rows(running.rows, now)
        if running.total == 0:
            self.note.setText("Nothing is running.")
        elif running.total > len(running.rows):
            self.note.setText(
                f"{running.total:,} running; the {len(running.rows)} oldest are listed."
            )
        else:
            self.note.setText(f"{running.total:,} running.")

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            row = self.model.row_at(_source_row(self.proxy, index))
            self._open_page("executions", {"execution_id": str(row.id)})


class StuckPanel(QObject):
    """Executions past their p95 or timeout and events processing too long; side by side
    when wide.  ``stuck_after`` sets when a processing event looks stuck."""

    def __init__(self, open_page: OpenPage, minutes: int, parent: QObject) -> None:
        super().__init__(parent)
        self._open_page = open_page
        self.snapshot: OverviewSnapshot | None = None
        self.exec_model: RowsModel[StuckExecution] = RowsModel(STUCK_EXECUTION_COLUMNS)
        self.exec_view, self.exec_proxy = rows_table(self.exec_model, 170, stretch=1)
        self.exec_view.activated.connect(self._exec_activated)
        self.exec_view.setAccessibleName("Executions that look stuck")
        self.event_model: RowsModel[StuckEvent] = RowsModel(STUCK_EVENT_COLUMNS)
        self.event_view, self.event_proxy = rows_table(self.event_model, 170)
        self.event_view.activated.connect(self._event_activated)
        self.event_view.setAccessibleName("Events that look stuck")
        self.exec_note = QLabel("")
        self.event_note = QLabel("")
        self.summary = QLabel("")  # shown beside the event queue
        self.summary.setWordWrap(True)
        self.stuck_after = QSpinBox()
        self.stuck_after.setRange(1, MAX_STUCK_MINUTES)
        self.stuck_after.setValue(minutes)
        self.stuck_after.setSuffix(" min")
        self.stuck_after.setToolTip("An event processing for longer than this looks stuck")
        self.stuck_after.setAccessibleName("Processing events look stuck after (minutes)")

        body = QWidget()
        self.grid = QGridLayout(body)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.addWidget(self.exec_note, 0, 0)
        self.grid.addWidget(self.exec_view, 1, 0)
        self.event_head = QWidget()
        head = QHBoxLayout(self.event_head)
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.event_note, 1)
        after = QLabel("&after")
        after.setBuddy(self.stuck_after)
        head.addWidget(after)
        head.addWidget(self.stuck_after)
        self.grid.addWidget(self.event_head, 0, 1)
        self.grid.addWidget(self.event_view, 1, 1)
        self.grid.setColumnStretch(0, 3)
        self.grid.setColumnStretch(1, 2)
        self.box = section("What looks stuck", body)

    def place(self, wide: bool) -> None:
        """The two tables side by side only when there is room."""
        self.grid.removeWidget(self.event_head)
        self.grid.removeWidget(self.event_view)
        if wide:
            self.grid.addWidget(self.event_head, 0, 1)
            self.grid.addWidget(self.event_view, 1, 1)
            self.grid.setColumnStretch(1, 2)
        else:
            self.grid.addWidget(self.event_head, 2, 0)
            self.grid.addWidget(self.event_view, 3, 0)
            self.grid.setColumnStretch(1, 0)

    def show(self, snap: OverviewSnapshot | None, now: datetime) -> None:
        self.snapshot = snap
        if snap is None:
            self.exec_model.set_rows([], now)
            self.event_model.set_rows([], now)
            for label in (self.exec_note, self.event_note, self.summary):
                label.setText("")
            return
        st = snap.stuck
        self.exec_model.set_rows(st.executions, now)
        self.event_model.set_rows(st.events, now)
        listed = (
            f" (the {len(st.executions)} oldest listed)"
            if st.executions_total > len(st.executions)
            else ""
        )
        self.exec_note.setText(
            f"{st.executions_total:,} execution(s) running past their p95 or timeout{listed}"
            if st.executions
            else "No execution runs past its workflow's p95 or timeout."
        )
        threshold = span_text(st.event_threshold)
        more = f" ({len(st.events)} listed)" if st.events_total > len(st.events) else ""
        self.event_note.setText(
            f"{st.events_total:,} event(s) processing for over {threshold}{more}"
            if st.events_total
            else f"No event has been processing for over {threshold}."
        )
        stuck_total = st.executions_total + st.events_total
        self.summary.setText(
            f"Looks stuck: {st.executions_total:,} execution(s), {st.events_total:,} event(s)"
            if stuck_total
            else "Nothing looks stuck."
        )
        colour = theme.status_color("failed") if stuck_total else theme.muted_color()
        self.summary.setStyleSheet(f"color: {colour.name()};")

    def tick(self, now: datetime) -> None:
        self.exec_model.tick(now)
        self.event_model.tick(now)

    def _exec_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            row = self.exec_model.row_at(_source_row(self.exec_proxy, index))
            self._open_page("executions", {"execution_id": str(row.id)})

    def _event_activated(self, index: QModelIndex) -> None:
        snap = self.snapshot
        if snap is None or not index.isValid():
            return
        row = self.event_model.row_at(_source_row(self.event_proxy, index))
        cutoff = snap.window.now - snap.stuck.event_threshold
        filters = {
            "status": ["processing"],
            "integration_id": str(row.integration_id),
            "time_to": iso(cutoff),
        }
        self._open_page("events", filters)
