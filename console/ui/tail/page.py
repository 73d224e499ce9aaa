"""The Live tail page: follow one execution, or every running one, as lines commit.

Follow mode keeps the newest line in view.  Scrolling up pauses it: the model
stops changing (so the operator can read), new lines wait in a bounded list and
a "N new lines ↓" button jumps back.  Scrolling to the top while paused pages
older lines in.  All SQL runs on the tail's own thread or through the runner.

The page follows and lays out; its collaborators keep the target list
(:mod:`.targets`), the display controls (:mod:`.display`), paging older lines
(:mod:`.older`) and saving the log (:mod:`.log_saver`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.tail.engine import Finished, TailOptions, TailState
from console.ui import theme, timefmt
from console.ui.pages import PageContext, PageSpec
from console.ui.tail.display import TailDisplay
from console.ui.tail.log_saver import LogSaver
from console.ui.tail.model import (
    COL_ACTION,
    COL_EXECUTION,
    COL_LEVEL,
    COL_STEP,
    COL_TIME,
    DEFAULT_CAPACITY,
    PackedRow,
    TailTableModel,
)
from console.ui.tail.older import (
    OLDER_PAGE,  # noqa: F401  (the page's public figure)
    OlderLines,
)
from console.ui.tail.session import TailSession
from console.ui.tail.status import TailStatus
from console.ui.tail.targets import ALL_RUNNING, TailTargets, TargetBox  # noqa: F401
from console.ui.tail.view import TailView

if TYPE_CHECKING:
    from console.db.connection import Database

RUNNING_HISTORY = timedelta(hours=1)


class TailPage(QWidget):
    """Live tail of execution logs."""

    def __init__(
        self, ctx: PageContext, parent: QWidget | None = None, capacity: int = DEFAULT_CAPACITY
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.db: Database | None = None
        self.session: TailSession | None = None
        self.model = TailTableModel(capacity, self)
        self.following = True
        self.pending: list[PackedRow] = []
        self.pending_overflow = False
        self.finished_result: Finished | None = None
        self._programmatic = False
        self._pending_count = 0
        self._start_when_shown = False
        self.poll_interval_s = 1.0
        self._build()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.view = TailView(self.model)
        self.targets = TailTargets(self.ctx, self)
        self.targets.picked.connect(lambda _target: self._restart())
        self.target, self.reload_targets = self.targets.box, self.targets.reload_button
        self.display = TailDisplay(self.model, self.view, self)
        self.display.filtered.connect(self._filtered)
        self.display.wrapped.connect(self._keep_newest)
        self.level, self.text_filter = self.display.level, self.display.text_filter
        self.wrap, self.time_mode = self.display.wrap, self.display.time_mode
        self.older = OlderLines(self.ctx, self.model, self)
        self.saver = LogSaver(self.ctx, self)
        self.saver.button.clicked.connect(lambda: self.saver.ask(self.save_log))
        self.saver.finished.connect(self._update_columns)
        self.save_button, self.progress = self.saver.button, self.saver.progress
        self.cancel_save = self.saver.cancel_button

        bar = QHBoxLayout()
        bar.addWidget(self.target, 3)
        bar.addWidget(self.reload_targets)
        level_label = QLabel("&Level ≥")
        level_label.setBuddy(self.level)
        bar.addWidget(level_label)
        bar.addWidget(self.level)
        bar.addWidget(self.text_filter, 2)
        bar.addWidget(self.wrap)
        bar.addWidget(self.time_mode)
        bar.addWidget(self.save_button)

        self.status = TailStatus(self)
        self.banner, self.mode_label = self.status.banner, self.status.mode_label

        self._setup_view()
        self.jump = QPushButton("0 new lines ↓", self.view)
        self.jump.setVisible(False)
        self.jump.setCursor(Qt.CursorShape.PointingHandCursor)
        self.jump.clicked.connect(self.jump_to_newest)

        self.count_label = QLabel("")
        foot = QHBoxLayout()
        foot.addWidget(self.mode_label)
        foot.addStretch(1)
        foot.addWidget(self.progress)
        foot.addWidget(self.cancel_save)
        foot.addWidget(self.count_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.view, 1)
        layout.addLayout(foot)

        # Bound methods, not lambdas: Qt drops these connections when the page is deleted.
        theme.theme_events().changed.connect(self._theme_changed)
        timefmt.time_events().utc_changed.connect(self._utc_changed)
        self._update_columns()
        self._update_count()

    def _setup_view(self) -> None:
        view = self.view
        view.setObjectName("tail_table")
        view.setAccessibleName("Log lines, newest last")
        view.setTabKeyNavigation(False)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setWordWrap(False)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        view.setAlternatingRowColors(True)
        vh = view.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = view.horizontalHeader()
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        for col, chars in (
            (COL_TIME, 20),  # timefmt.clock: 09:03:12.345, 11-24 09:03:12
            (COL_LEVEL, 11),
            (COL_EXECUTION, 24),
            (COL_STEP, 16),
            (COL_ACTION, 10),
        ):
            hh.resizeSection(col, self.fontMetrics().averageCharWidth() * chars + 12)
        vbar = view.verticalScrollBar()
        vbar.valueChanged.connect(self._scrolled)
        vbar.rangeChanged.connect(self._range_changed)

    def _theme_changed(self, _scheme: str) -> None:
        self.model.reload_colors()

    def _utc_changed(self, _utc: bool) -> None:
        self.model.reformat_times()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_jump()

    def _place_jump(self) -> None:
        hint = self.jump.sizeHint()
        viewport = self.view.viewport().geometry()
        self.jump.setGeometry(
            viewport.right() - hint.width() - 12,
            viewport.bottom() - hint.height() - 10,
            hint.width(),
            hint.height(),
        )

    # --------------------------------------------------------------- Page API
    def set_database(self, db: Database | None) -> None:
        self._stop_session()
        self.db = db
        self.model.clear()
        self.pending.clear()
        self.targets.db = db
        self.targets.clear()
        if db is None:
            self.targets.current = ALL_RUNNING
            self.status.disconnected()
            return
        self.targets.reload()
        if self.isVisible():
            self._restart()
        else:
            self._start_when_shown = True  # no tail (and no connection) until the page is seen

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._start_when_shown and self.db is not None and self.session is None:
            self._restart()

    def refresh(self) -> None:
        """Reload the running executions (the tail itself is live already)."""
        self.targets.reload()
        if self.session is None and self.db is not None and self.finished_result is None:
            self._restart()

    def apply_filters(self, filters: dict[str, Any]) -> None:
        if filters.get("min_level"):
            self.level.setCurrentText(str(filters["min_level"]).upper())
        if "text" in filters:
            self.text_filter.setText(str(filters["text"] or ""))
            self.display.apply_filter()
        if "execution_id" in filters:
            self.follow_execution(str(filters["execution_id"] or ""))

    def clear_filters(self) -> None:
        self.display.clear()

    def filter_scope(self) -> list[QWidget]:
        return [self.text_filter, self.level]

    def focus_filter(self) -> None:
        self.text_filter.setFocus()
        self.text_filter.selectAll()

    def follow_execution(self, execution_id: str) -> None:
        """Follow ``execution_id`` (a UUID), or every running execution for ``""``."""
        if execution_id:
            execution_id = str(uuid.UUID(execution_id))
        self.targets.choose(execution_id)
        self._restart()
        if self.targets.unnamed():
            self.targets.reload()  # names it (and says whether it still runs)

    def screenshot_states(self) -> list[tuple[str, Any]]:
        return [("filtered", lambda: self.text_filter.setText("error"))]

    # ---------------------------------------------------------------- session
    def tail_options(self) -> TailOptions:
        """What the tail session follows, how much history it reads, how often it polls."""
        limit, poll = self.model.capacity, self.poll_interval_s
        target = self.targets.current
        if target:
            return TailOptions(
                execution=uuid.UUID(target), history_limit=limit, poll_interval_s=poll
            )
        since = timefmt.now() - RUNNING_HISTORY
        return TailOptions(since=since, history_limit=limit, poll_interval_s=poll)

    def _restart(self) -> None:
        self._start_when_shown = False
        self._stop_session()
        self.model.clear()
        self.pending.clear()
        self.pending_overflow = False
        self.finished_result = None
        self.older.reset()
        self.display.forget_wrapped()
        self.status.restarted()
        self._set_following(True)
        self._update_columns()
        if self.db is None:
            return
        self.session = TailSession(
            self.db.read_conninfo(), self.tail_options(), self.db.listen_allowed, self
        )
        self.session.rows.connect(self._rows_arrived)
        self.session.state_changed.connect(self._state_changed)
        self.session.finished.connect(self._finished)
        self.session.failed.connect(self.status.failed)
        self.session.start()

    def _stop_session(self) -> None:
        if self.session is not None:
            self.session.stop()
            for signal in (
                self.session.rows,
                self.session.state_changed,
                self.session.finished,
                self.session.failed,
            ):
                signal.disconnect()
            self.session.deleteLater()  # its thread ends by itself; it emits nothing more
            self.session = None

    def closeEvent(self, event) -> None:
        self._stop_session()
        super().closeEvent(event)

    def _rows_arrived(self, rows: list[PackedRow]) -> None:
        if self.following:
            self.model.append_rows(rows)
            self._scroll_to_bottom()
        else:
            self.pending.extend(rows)
            cap = self.model.capacity
            if len(self.pending) > cap:
                del self.pending[: len(self.pending) - cap]
                self.pending_overflow = True
            self._pending_count += len(rows)
            self.jump.setText(f"{self._pending_count:,} new lines ↓")
            self.jump.adjustSize()
            self._place_jump()
            self.jump.setVisible(True)
        self.display.rows_changed()
        self._update_count()

    def _state_changed(self, state: TailState) -> None:
        self.status.state(state, self.tail_options().fallback_lookback_s)

    def _finished(self, result: Finished) -> None:
        self.finished_result = result
        self.status.finished(result)

    # ----------------------------------------------------------------- follow
    def _set_following(self, on: bool) -> None:
        self.following = on
        if on:
            self._pending_count = 0
            self.jump.setVisible(False)

    def _scroll_to_bottom(self) -> None:
        self._programmatic = True
        try:
            self.view.scrollToBottom()
        finally:
            self._programmatic = False

    def _range_changed(self, _lo: int, _hi: int) -> None:
        if self.following:
            self._scroll_to_bottom()

    def _scrolled(self, value: int) -> None:
        if self._programmatic:
            return
        vbar = self.view.verticalScrollBar()
        at_bottom = value >= vbar.maximum()
        if at_bottom and not self.following:
            self.jump_to_newest()
        elif not at_bottom and self.following:
            self._set_following(False)
        if value == 0 and not self.following and vbar.maximum() > 0:
            self.load_older()
        self.display.rows_changed()

    def jump_to_newest(self) -> None:
        """Back to follow mode: the lines that came meanwhile, then the newest in view."""
        pending, self.pending = self.pending, []
        if self.pending_overflow:
            self.model.replace_rows(pending)
        else:
            self.model.append_rows(pending)
            self.model.trim()
        self.pending_overflow = False
        self._set_following(True)
        self._scroll_to_bottom()
        self._update_count()

    # ------------------------------------------------------------------ older
    def load_older(self) -> None:
        """Page in the lines before the oldest one held (while paused, at the top)."""
        if self.db is not None:
            self.older.load(self.db, self.targets.current, self._older_landed)

    def _older_landed(self, rows: list[PackedRow]) -> None:
        self._programmatic = True
        try:
            self.view.scrollTo(self.model.index(min(len(rows), self.model.rowCount() - 1), 0))
        finally:
            self._programmatic = False
        self._update_count()

    # ---------------------------------------------------------------- display
    def _filtered(self) -> None:
        self._keep_newest()
        self._update_count()

    def _keep_newest(self) -> None:
        if self.following:
            self._scroll_to_bottom()

    def _update_columns(self) -> None:
        target = self.targets.current
        self.view.setColumnHidden(COL_EXECUTION, bool(target))
        self.save_button.setEnabled(bool(target) and self.db is not None)

    def _update_count(self) -> None:
        shown, held = self.model.rowCount(), self.model.total()
        text = f"{held:,} lines"
        if shown != held:
            text = f"{shown:,} of {held:,} lines match"
        self.count_label.setText(f"{text} · newest {self.model.capacity:,} kept")

    # ------------------------------------------------------------------ save
    def save_log(self, path: Path, fmt: str = "text") -> None:
        """Save every line of the followed execution, streamed off the GUI thread."""
        if self.db is not None and self.targets.current:
            self.saver.save(self.db, uuid.UUID(self.targets.current), path, fmt)

    @property
    def last_export(self) -> tuple[Path, int] | None:
        """Path and lines written of the last save (-1: not saved); None to wait anew."""
        return self.saver.last

    @last_export.setter
    def last_export(self, value: tuple[Path, int] | None) -> None:
        self.saver.last = value


def _make_page(ctx: PageContext) -> TailPage:
    """The page with the operator's settings: ``pages/tail/capacity`` (lines kept) and
    ``pages/tail/poll_ms`` (polling interval where LISTEN is not available)."""
    from console.ui import settings

    capacity = settings.TAIL_CAPACITY.get()
    poll_ms = settings.TAIL_POLL_MS.get()
    page = TailPage(ctx, capacity=max(1000, capacity))
    page.poll_interval_s = max(0.05, poll_ms / 1000)
    return page


PAGE = PageSpec("tail", "Live tail", _make_page, order=45, icon="tail")
