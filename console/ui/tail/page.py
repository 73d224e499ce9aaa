"""The Live tail page: follow one execution, or every running one, as lines commit.

Follow mode keeps the newest line in view.  Scrolling up pauses it: the model
stops changing (so the operator can read), new lines wait in a bounded list and
a "N new lines ↓" button jumps back.  Scrolling to the top while paused pages
older lines in.  All SQL runs on the tail's own thread or through the runner.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.db.errors import first_line
from console.tail.engine import Finished, TailOptions, TailState
from console.ui import theme, timefmt
from console.ui.pages import PageContext, PageSpec
from console.ui.tail.model import (
    COL_ACTION,
    COL_EXECUTION,
    COL_LEVEL,
    COL_STEP,
    COL_TIME,
    DEFAULT_CAPACITY,
    R_CREATED_AT,
    R_ID,
    PackedRow,
    TailTableModel,
    make_row,
)
from console.ui.tail.session import TailSession
from console.ui.tail.view import TailView
from models.vocab import LOG_LEVELS

if TYPE_CHECKING:
    from console.db.connection import Database

ALL_RUNNING = ""
OLDER_PAGE = 2000
RUNNING_HISTORY = timedelta(hours=1)


class TargetBox(QComboBox):
    """The target list; it does not change under the operator while its popup is open."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.popup_open = False

    def showPopup(self) -> None:
        self.popup_open = True
        super().showPopup()

    def hidePopup(self) -> None:
        super().hidePopup()
        self.popup_open = False
        self.closed.emit()


class _Progress(QObject):
    """Crosses export progress from the worker thread to the GUI thread."""

    moved = Signal(int, int)


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
        self._target: str = ALL_RUNNING
        self._programmatic = False
        self._loading_older = False
        self._no_older = False
        self._export_cancel = False
        self._wrapped_rows: set[int] = set()
        self._pending_count = 0
        self._start_when_shown = False
        self._labels: dict[str, str] = {}  # execution UUID -> its execution_id, once seen
        self._deferred_targets: tuple[list[Any], Any] | None = None
        self.poll_interval_s = 1.0
        self.last_export: tuple[Path, int] | None = None
        self._build()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.target = TargetBox()
        self.target.setObjectName("tailTarget")
        self.target.setAccessibleName("Execution to follow")
        self.target.closed.connect(self._apply_deferred_targets)
        self.target.setMinimumContentsLength(34)  # an execution id whole
        self.target.view().setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.target.setToolTip("Follow one execution, or every running execution merged")
        self.target.addItem("All running executions", ALL_RUNNING)
        self.target.activated.connect(self._target_picked)
        self.reload_targets = QToolButton()
        self.reload_targets.setText("⟳")
        self.reload_targets.setToolTip("Reload the list of running executions")
        self.reload_targets.setAccessibleName("Reload the list of running executions")
        self.reload_targets.clicked.connect(self._load_running)
        self.level = QComboBox()
        self.level.addItems(LOG_LEVELS)
        self.level.setToolTip("Minimum level")
        self.level.setAccessibleName("Minimum level")
        self.level.currentTextChanged.connect(self._filters_changed)
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Filter text (matches are highlighted)")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.setAccessibleName("Filter the lines by text")
        self._filter_timer = QTimer(self, singleShot=True, interval=150)
        self._filter_timer.timeout.connect(self._filters_changed)
        self.text_filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self.wrap = QCheckBox("Wrap")
        self.wrap.toggled.connect(self._wrap_toggled)
        self.time_mode = QComboBox()
        self.time_mode.addItems(["Exact times", "Relative times"])
        self.time_mode.setAccessibleName("Time format")
        self.time_mode.currentIndexChanged.connect(lambda i: self.model.set_relative(i == 1))
        self.save_button = QPushButton("Save log…")
        self.save_button.setToolTip("Save the whole log of this execution (text or JSON Lines)")
        self.save_button.clicked.connect(self._ask_save)
        self.save_button.setEnabled(False)

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

        self.banner = QLabel()
        self.banner.setTextFormat(Qt.TextFormat.PlainText)  # names an execution from the db
        self.banner.setVisible(False)
        self.banner.setObjectName("tailBanner")
        self.banner.setMargin(6)

        self.view = TailView(self.model)
        self.view.setObjectName("tail_table")
        self.view.setAccessibleName("Log lines, newest last")
        self.view.setTabKeyNavigation(False)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.view.setAlternatingRowColors(True)
        vh = self.view.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = self.view.horizontalHeader()
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
        vbar = self.view.verticalScrollBar()
        vbar.valueChanged.connect(self._scrolled)
        vbar.rangeChanged.connect(self._range_changed)

        self.jump = QPushButton("0 new lines ↓", self.view)
        self.jump.setVisible(False)
        self.jump.setCursor(Qt.CursorShape.PointingHandCursor)
        self.jump.clicked.connect(self.jump_to_newest)

        self.mode_label = QLabel("not connected")
        self.mode_label.setTextFormat(Qt.TextFormat.PlainText)  # may quote a server message
        self.mode_label.setMinimumWidth(self.fontMetrics().averageCharWidth() * 48)
        self.count_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setMaximumWidth(260)
        self.cancel_save = QToolButton()
        self.cancel_save.setText("Cancel")
        self.cancel_save.setVisible(False)
        self.cancel_save.clicked.connect(self._cancel_export)
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

        self._clock = QTimer(self, interval=1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self._wrap_timer = QTimer(self, singleShot=True, interval=50)
        self._wrap_timer.timeout.connect(self._fit_wrapped_rows)
        # Bound methods, not lambdas: Qt drops these connections when the page is deleted.
        theme.theme_events().changed.connect(self._theme_changed)
        timefmt.time_events().utc_changed.connect(self._utc_changed)
        self._update_columns()
        self._update_count()

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
        self.target.blockSignals(True)
        while self.target.count() > 1:
            self.target.removeItem(1)
        self.target.blockSignals(False)
        if db is None:
            self._target = ALL_RUNNING
            self.mode_label.setText("not connected")
            self.banner.setVisible(False)
            return
        self._load_running()
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
        self._load_running()
        if self.session is None and self.db is not None and self.finished_result is None:
            self._restart()

    def apply_filters(self, filters: dict[str, Any]) -> None:
        if filters.get("min_level"):
            self.level.setCurrentText(str(filters["min_level"]).upper())
        if "text" in filters:
            self.text_filter.setText(str(filters["text"] or ""))
            self._filters_changed()
        if "execution_id" in filters:
            self.follow_execution(str(filters["execution_id"] or ""))

    def clear_filters(self) -> None:
        self.text_filter.clear()
        self.level.setCurrentIndex(0)

    def filter_scope(self) -> list[QWidget]:
        return [self.text_filter, self.level]

    def focus_filter(self) -> None:
        self.text_filter.setFocus()
        self.text_filter.selectAll()

    def follow_execution(self, execution_id: str) -> None:
        """Follow ``execution_id`` (a UUID), or every running execution for ``""``."""
        if execution_id:
            execution_id = str(uuid.UUID(execution_id))
            if self.target.findData(execution_id) < 0:
                label = self._labels.get(execution_id, execution_id)
                self.target.addItem(label, execution_id)
        self.target.setCurrentIndex(max(0, self.target.findData(execution_id)))
        self._target = execution_id
        self._restart()
        if execution_id and self.target.currentText() == execution_id:
            self._load_running()  # names it (and says whether it still runs)

    def screenshot_states(self) -> list[tuple[str, Any]]:
        return [("filtered", lambda: self.text_filter.setText("error"))]

    # ---------------------------------------------------------------- session
    def _options(self) -> TailOptions:
        common = {"history_limit": self.model.capacity, "poll_interval_s": self.poll_interval_s}
        if self._target:
            return TailOptions(execution=uuid.UUID(self._target), **common)
        return TailOptions(since=timefmt.now() - RUNNING_HISTORY, **common)

    def _restart(self) -> None:
        self._start_when_shown = False
        self._stop_session()
        self.model.clear()
        self.pending.clear()
        self.pending_overflow = False
        self.finished_result = None
        self._no_older = False
        self._wrapped_rows.clear()
        self.banner.setVisible(False)
        self._set_following(True)
        self._update_columns()
        if self.db is None:
            return
        self.session = TailSession(
            self.db.read_conninfo(), self._options(), self.db.listen_allowed, self
        )
        self.session.rows.connect(self._rows_arrived)
        self.session.state_changed.connect(self._state_changed)
        self.session.finished.connect(self._finished)
        self.session.failed.connect(self._failed)
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
        if self.wrap.isChecked():
            self._wrap_timer.start()
        self._update_count()

    def _state_changed(self, state: TailState) -> None:
        text = state.describe()
        if state.phase == "live":
            text = f"Live · {text}"
            if not state.exact_floor:
                lookback = self._options().fallback_lookback_s
                text += f" · late commits bounded by a {lookback:g} s look-back"
        self.mode_label.setText(text)
        colour = theme.status_color("timeout") if state.phase == "reconnecting" else None
        self.mode_label.setStyleSheet(f"color: {colour.name()};" if colour else "")

    def _finished(self, result: Finished) -> None:
        self.finished_result = result
        self.banner.setText(f"Execution {result.describe()} — the tail has stopped.")
        colour = theme.status_color(result.status)
        text = theme.text_on(colour)  # white on the light palette's colours, dark on the dark's
        self.banner.setStyleSheet(
            f"background: {colour.name()}; color: {text.name()}; border-radius: 4px;"
            " font-weight: 600;"
        )
        self.banner.setVisible(True)
        self.mode_label.setText("Stopped: the execution is " + result.status)
        self.mode_label.setStyleSheet("")

    def _failed(self, message: str) -> None:
        self.mode_label.setText(f"The tail stopped: {message}")
        self.mode_label.setStyleSheet(f"color: {theme.status_color('failed').name()};")

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
        if self.wrap.isChecked():
            self._wrap_timer.start()

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
        if self.db is None or self._loading_older or self._no_older:
            return
        oldest = self.model.oldest()
        if oldest is None:
            return
        from console.tail import sql
        from console.tail.lines import TailLine

        db = self.db
        execution = uuid.UUID(self._target) if self._target else None
        executions = [uuid.UUID(e) for e in self.model.execution_ids()]
        params = {
            "before_at": oldest[R_CREATED_AT],
            "before_id": uuid.UUID(oldest[R_ID]),
            "execution": execution,
            "executions": executions,
        }
        query = sql.older(execution is not None, False, OLDER_PAGE)

        def work() -> list[PackedRow]:
            with db.connect_raw("autopr-console-tail-older") as c:
                return [make_row(TailLine.from_row(r)) for r in c.execute(query, params)]

        def done(rows: list[PackedRow]) -> None:
            self._loading_older = False
            if not rows:
                self._no_older = True
                self.ctx.show_status("No older lines.")
                return
            self.model.prepend_rows(rows)
            self._programmatic = True
            try:
                self.view.scrollTo(self.model.index(min(len(rows), self.model.rowCount() - 1), 0))
            finally:
                self._programmatic = False
            self._update_count()

        def failed(exc: BaseException) -> None:
            self._loading_older = False
            self.ctx.show_status(f"Could not load older lines: {first_line(exc)}")

        self._loading_older = True
        self.ctx.runner.submit(work, done, failed, owner=self, key="tail-older")

    # ---------------------------------------------------------------- filters
    def _filters_changed(self, *_args) -> None:
        self.model.set_filter(self.level.currentText(), self.text_filter.text())
        self.view.viewport().update()
        if self.following:
            self._scroll_to_bottom()
        self._update_count()

    def _wrap_toggled(self, on: bool) -> None:
        self.view.setWordWrap(on)
        self.model.set_wrap(on)
        if on:
            self._fit_wrapped_rows()
        else:
            height = self.view.verticalHeader().defaultSectionSize()
            for row in self._wrapped_rows:
                if row < self.model.rowCount():
                    self.view.setRowHeight(row, height)
            self._wrapped_rows.clear()
        if self.following:
            self._scroll_to_bottom()

    def _fit_wrapped_rows(self) -> None:
        """Fit only the rows on screen: resizing 100,000 rows would freeze the window."""
        if not self.wrap.isChecked() or self.model.rowCount() == 0:
            return
        first = max(0, self.view.rowAt(0))
        last = self.view.rowAt(self.view.viewport().height() - 1)
        if last < 0:
            last = self.model.rowCount() - 1
        for row in range(first, min(last + 1, self.model.rowCount())):
            if row not in self._wrapped_rows:
                self.view.resizeRowToContents(row)
                self._wrapped_rows.add(row)
        if self.following:
            self._scroll_to_bottom()

    # --------------------------------------------------------------- targets
    def _target_picked(self, index: int) -> None:
        value = self.target.itemData(index) or ALL_RUNNING
        if value != self._target:
            self._target = value
            self._restart()

    def _load_running(self) -> None:
        if self.db is None:
            return
        db = self.db
        current = self._target

        def work():
            from console.tail.resolve import (
                ExecutionNotFound,
                resolve_execution,
                running_executions,
            )

            with db.connect_raw("autopr-console-tail-list") as c:
                refs = running_executions(c)
                extra = None
                if current and all(str(r.id) != current for r in refs):
                    try:  # a finished target keeps its execution id and says how it ended
                        extra = resolve_execution(c, current)
                    except ExecutionNotFound:
                        extra = None
                return refs, extra

        def failed(exc: BaseException) -> None:
            self.ctx.show_status(f"Could not list running executions: {first_line(exc)}")

        self.ctx.runner.submit(work, self._running_loaded, failed, owner=self, key="tail-running")

    def _running_loaded(self, answer: tuple[list[Any], Any]) -> None:
        if self.target.popup_open:  # the list stays still under the operator's pointer
            self._deferred_targets = answer
            return
        refs, extra = answer
        for ref in [*refs, *([extra] if extra is not None else [])]:
            self._labels[str(ref.id)] = ref.code
        current = self._target
        items = [(ref.label(), str(ref.id)) for ref in refs]
        if current and all(data != current for _, data in items):
            if extra is not None and str(extra.id) == current:
                items.append((f"{extra.code} ({extra.status})", current))
            else:
                items.append((f"{self._labels.get(current, current)} (not running)", current))
        shown = [
            (self.target.itemText(i), self.target.itemData(i))
            for i in range(1, self.target.count())
        ]
        if shown == items:
            return
        self.target.blockSignals(True)
        while self.target.count() > 1:
            self.target.removeItem(1)
        for text, data in items:
            self.target.addItem(text, data)
        self.target.setCurrentIndex(max(0, self.target.findData(current)))
        self.target.blockSignals(False)

    def _apply_deferred_targets(self) -> None:
        answer, self._deferred_targets = self._deferred_targets, None
        if answer is not None:
            QTimer.singleShot(0, lambda: self._running_loaded(answer))

    def _update_columns(self) -> None:
        self.view.setColumnHidden(COL_EXECUTION, bool(self._target))
        self.save_button.setEnabled(bool(self._target) and self.db is not None)

    def _update_count(self) -> None:
        shown, held = self.model.rowCount(), self.model.total()
        text = f"{held:,} lines"
        if shown != held:
            text = f"{shown:,} of {held:,} lines match"
        self.count_label.setText(f"{text} · newest {self.model.capacity:,} kept")

    def _tick(self) -> None:
        if self.time_mode.currentIndex() == 1 and self.model.rowCount():
            first = max(0, self.view.rowAt(0))
            last = self.view.rowAt(self.view.viewport().height() - 1)
            self.model.touch_times(first, last if last >= 0 else None)

    # ------------------------------------------------------------------ save
    def _ask_save(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self, "Save the execution log", "", "Text (*.log *.txt);;JSON Lines (*.jsonl)"
        )
        if path:
            fmt = "jsonl" if "jsonl" in chosen.lower() or path.endswith(".jsonl") else "text"
            self.save_log(Path(path), fmt)

    def save_log(self, path: Path, fmt: str = "text") -> None:
        """Save every line of the followed execution, streamed off the GUI thread."""
        if self.db is None or not self._target:
            return
        from console.tail.export import ExportCancelled, export_execution_log

        db = self.db
        execution = uuid.UUID(self._target)
        relay = _Progress(self)
        relay.moved.connect(self._export_progress)
        self._export_cancel = False

        def progress(done: int, total: int) -> bool:
            relay.moved.emit(done, total)
            return not self._export_cancel

        def work() -> int:
            return export_execution_log(
                lambda: db.connect_raw("autopr-console-export"), execution, path, fmt, progress
            )

        def done(count: int) -> None:
            self._export_finished()
            self.ctx.show_status(f"Saved {count:,} lines to {path}")
            self.last_export = (path, count)

        def failed(exc: BaseException) -> None:
            self._export_finished()
            if isinstance(exc, ExportCancelled):
                self.ctx.show_status("Saving the log was cancelled.")
            else:
                self.ctx.show_status(f"Could not save the log: {first_line(exc)}")
            self.last_export = (path, -1)

        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_save.setVisible(True)
        self.save_button.setEnabled(False)
        self.ctx.runner.submit(work, done, failed, owner=self, key="tail-save")

    def _export_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done:,} / {total:,} lines")

    def _cancel_export(self) -> None:
        self._export_cancel = True

    def _export_finished(self) -> None:
        self.progress.setVisible(False)
        self.cancel_save.setVisible(False)
        self._update_columns()


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
