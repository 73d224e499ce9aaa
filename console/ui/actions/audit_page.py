"""The Audit page: every operator action, newest first, with its before/after JSON.

Rows come by keyset on ``(occurred_at, id)`` through the TaskRunner; scrolling
near the end (or "Load older") fetches the next window.  Filters: action,
target table, actor, target id, time range.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.actions.audit_query import ACTION_NAMES, TARGET_TABLES, AuditFilter, fetch_audit
from console.queries.filters import local_aware
from console.ui import timefmt
from console.ui.actions import menus
from console.ui.freshness import FreshnessLabel
from console.ui.pages import PageContext, PageSpec
from console.ui.plain import escape, plain_label
from console.ui.tasks import TaskRunner

PAGE_SIZE = 200
COLUMNS = ("When", "Actor", "Host", "Profile", "Action", "Target", "Target id")
RANGES = {"": None, "15m": 15, "1h": 60, "24h": 60 * 24, "7d": 60 * 24 * 7}
DISPLAY = int(Qt.ItemDataRole.DisplayRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)


class AuditModel(QAbstractTableModel):
    """Rows with their display strings computed once."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self._text: list[tuple[str, ...]] = []
        self._tips: list[str] = []

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation, role=DISPLAY):
        if int(role) == DISPLAY and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        role = int(role)
        if role == DISPLAY:
            return self._text[index.row()][index.column()]
        if role == TOOLTIP and index.column() == 0:
            return self._tips[index.row()]
        return None

    def reset(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows, self._text, self._tips = [], [], []
        self._add(rows)
        self.endResetModel()

    def append(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        start = len(self.rows)
        self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
        self._add(rows)
        self.endInsertRows()

    def restyle(self) -> None:
        """Re-format times (UTC toggle)."""
        rows = self.rows
        self.reset(rows)

    def _add(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            self.rows.append(r)
            self._text.append(
                (
                    timefmt.clock(r["occurred_at"]),  # an event stream: see timefmt
                    r["actor"],
                    r["actor_host"] or "",
                    r["profile"] or "",
                    r["action"],
                    r["target_table"],
                    r["target_id"] or "",
                )
            )
            self._tips.append(timefmt.exact(r["occurred_at"], millis=True))


class AuditPage(QWidget):
    """Implements the Page protocol of console/ui/pages.py."""

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner: TaskRunner = ctx.runner
        self.db = None
        self._key = f"audit-{id(self)}"
        self._exhausted = False
        self._loading_more = False
        self._bounds: tuple[datetime | None, datetime | None] = (None, None)  # time_from/to
        self.setObjectName("auditPage")

        bar = QHBoxLayout()
        self.action_box = QComboBox()
        self.action_box.setEditable(True)
        prefixes = sorted({name.split(".")[0] + "." for name in ACTION_NAMES})
        self.action_box.addItems(["", *prefixes, *ACTION_NAMES])
        action_edit = self.action_box.lineEdit()
        assert action_edit is not None  # an editable combo box has its line edit
        action_edit.setPlaceholderText("any action")
        self.table_box = QComboBox()
        self.table_box.addItems(["", *TARGET_TABLES])
        self.actor_edit = QLineEdit()
        self.actor_edit.setPlaceholderText("actor")
        self.target_edit = QLineEdit()
        self.target_edit.setPlaceholderText("target id")
        self.range_box = QComboBox()
        for key, label in (
            ("", "any time"),
            ("15m", "last 15 min"),
            ("1h", "last 1 h"),
            ("24h", "last 24 h"),
            ("7d", "last 7 days"),
        ):
            self.range_box.addItem(label, key)
        self._filter_widgets: list[QWidget] = []
        for label, widget, name in (
            ("A&ction", self.action_box, "Action"),
            ("&Table", self.table_box, "Table"),
            ("Act&or", self.actor_edit, "Actor"),
            ("I&d", self.target_edit, "Target id"),
            ("&When", self.range_box, "When"),
        ):
            buddy = QLabel(label)
            buddy.setBuddy(widget)
            widget.setAccessibleName(f"Audit filter: {name}")
            bar.addWidget(buddy)
            bar.addWidget(widget)
            self._filter_widgets.append(widget)
        self.action_box.currentTextChanged.connect(lambda _: self.refresh())
        self.table_box.currentTextChanged.connect(lambda _: self.refresh())
        self.range_box.currentIndexChanged.connect(lambda _: self.refresh())
        self.actor_edit.editingFinished.connect(self.refresh)
        self.target_edit.editingFinished.connect(self.refresh)

        self.model = AuditModel(self)
        self.view = QTableView()
        self.view.setObjectName("audit_table")
        self.view.setAccessibleName("Audit trail")
        self.view.setTabKeyNavigation(False)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.selectionModel().currentRowChanged.connect(self._show_detail)
        self.view.verticalScrollBar().valueChanged.connect(self._maybe_more)

        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.before_text = QPlainTextEdit(readOnly=True)
        self.after_text = QPlainTextEdit(readOnly=True)
        self.before_text.setAccessibleName("Before the action")
        self.after_text.setAccessibleName("After the action")
        for edit in (self.before_text, self.after_text):
            edit.setFont(mono)
        detail = QSplitter(Qt.Orientation.Horizontal)
        for title, edit in (("Before", self.before_text), ("After", self.after_text)):
            box = QWidget()
            col = QVBoxLayout(box)
            col.setContentsMargins(0, 0, 0, 0)
            col.addWidget(QLabel(f"<b>{title}</b>"))
            col.addWidget(edit)
            detail.addWidget(box)
        self.detail_title = QLabel()
        self.detail_title.setTextFormat(Qt.TextFormat.RichText)  # its parts are escaped

        self.status_label = plain_label()  # may show a server error message
        self.more_button = QPushButton("Load older")
        self.more_button.clicked.connect(self.load_more)
        self.freshness = FreshnessLabel()
        foot = QHBoxLayout()
        foot.addWidget(self.status_label)
        foot.addWidget(self.freshness, 1)
        foot.addWidget(self.more_button)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        bottom = QWidget()
        bcol = QVBoxLayout(bottom)
        bcol.setContentsMargins(0, 0, 0, 0)
        bcol.addWidget(self.detail_title)
        bcol.addWidget(detail)
        split.addWidget(bottom)
        split.setSizes([400, 220])

        col = QVBoxLayout(self)
        col.addLayout(bar)
        col.addWidget(split, 1)
        col.addLayout(foot)
        # A bound method (not a lambda): Qt drops the connection when the page is deleted.
        timefmt.time_events().utc_changed.connect(self._on_utc_changed)

    def _on_utc_changed(self, _utc: bool) -> None:
        self.model.restyle()

    # ------------------------------------------------------------ Page protocol

    def set_database(self, db) -> None:
        self.db = db
        self.runner.invalidate(self._key)
        self.model.reset([])
        self._clear_detail()
        if db is not None:
            self.refresh()

    def shown(self) -> None:
        age = self.freshness.age()
        if age is not None and age >= 2.0:  # (None: the first read is under way or failed)
            self.refresh()

    def refresh(self) -> None:
        if self.db is None:
            return
        engine, f = self.db.engine, self.current_filter()
        keep = self._selected_id()
        self._exhausted = False
        self.status_label.setText("loading…")
        self.runner.submit(
            lambda: fetch_audit(engine, f, limit=PAGE_SIZE),
            lambda rows: self._landed(rows, keep),
            self._failed,
            owner=self,
            key=self._key,
        )

    def apply_filters(self, filters: dict[str, Any]) -> None:
        self._set_quietly(self.action_box, filters.get("action", ""))
        self._set_quietly(self.table_box, filters.get("target_table", ""))
        self.actor_edit.setText(str(filters.get("actor", "")))
        self.target_edit.setText(str(filters.get("target_id", "")))
        self._bounds = (_aware(filters.get("time_from")), _aware(filters.get("time_to")))
        index = self.range_box.findData(filters.get("time_range", ""))
        self.range_box.blockSignals(True)
        self.range_box.setCurrentIndex(max(index, 0))
        self.range_box.blockSignals(False)
        self.refresh()

    def clear_filters(self) -> None:
        self.apply_filters({})

    def filter_scope(self) -> list[QWidget]:
        return list(self._filter_widgets)

    # ------------------------------------------------------------ internals

    def current_filter(self) -> AuditFilter:
        minutes = RANGES.get(self.range_box.currentData() or "")
        since = timefmt.now() - timedelta(minutes=minutes) if minutes else None
        start, end = self._bounds
        if start is not None and (since is None or start > since):
            since = start
        return AuditFilter(
            action=self.action_box.currentText().strip() or None,
            target_table=self.table_box.currentText() or None,
            actor=self.actor_edit.text().strip() or None,
            target_id=self.target_edit.text().strip() or None,
            time_from=since,
            time_to=end,
        )

    def load_more(self) -> None:
        if self.db is None or self._exhausted or self._loading_more or not self.model.rows:
            return
        last = self.model.rows[-1]
        engine, f = self.db.engine, self.current_filter()
        after = (last["occurred_at"], last["id"])
        self._loading_more = True
        self.runner.submit(
            lambda: fetch_audit(engine, f, after=after, limit=PAGE_SIZE),
            self._more_landed,
            self._failed,
            owner=self,
            key=self._key,
        )

    def _maybe_more(self, value: int) -> None:
        bar = self.view.verticalScrollBar()
        if value >= bar.maximum() - 5:
            self.load_more()

    def _landed(self, rows: list[dict[str, Any]], keep: Any) -> None:
        self._loading_more = False
        self.freshness.mark()
        self.model.reset(rows)
        if rows:
            self.view.resizeColumnsToContents()
        self._exhausted = len(rows) < PAGE_SIZE
        self._update_status()
        for i, r in enumerate(rows):
            if r["id"] == keep:
                self.view.selectRow(i)
                break
        else:
            self._clear_detail()

    def _more_landed(self, rows: list[dict[str, Any]]) -> None:
        self._loading_more = False
        self.model.append(rows)
        self._exhausted = len(rows) < PAGE_SIZE
        self._update_status()

    def _failed(self, exc: BaseException) -> None:
        self._loading_more = False
        from console.db.errors import read_failure

        self.status_label.setText(f"Could not load the audit trail. {read_failure(exc)}")

    def _update_status(self) -> None:
        n = len(self.model.rows)
        more = "" if self._exhausted else " (scroll for older)"
        self.status_label.setText(f"{n:,} actions shown{more}")
        self.more_button.setEnabled(not self._exhausted)

    def _selected_id(self) -> Any:
        index = self.view.currentIndex()
        return self.model.rows[index.row()]["id"] if index.isValid() else None

    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or current.row() >= len(self.model.rows):
            self._clear_detail()
            return
        r = self.model.rows[current.row()]
        when = timefmt.exact(r["occurred_at"], millis=True)
        e = escape  # every part comes from the audit row: shown as text
        self.detail_title.setText(
            f"<b>{e(r['action'])}</b> on {e(r['target_table'])} {e(r['target_id'] or '')} — "
            f"{e(r['actor'])}@{e(r['actor_host'] or '?')} on {e(r['profile'] or '?')}, {when}"
        )
        self.before_text.setPlainText(_pretty(r["before"]))
        self.after_text.setPlainText(_pretty(r["after"]))

    def _clear_detail(self) -> None:
        self.detail_title.clear()
        self.before_text.clear()
        self.after_text.clear()

    @staticmethod
    def _set_quietly(box: QComboBox, text: str) -> None:
        box.blockSignals(True)
        box.setCurrentText(str(text))
        box.blockSignals(False)


def _aware(value: Any) -> datetime | None:
    """An ISO-8601 bound from a filter dict (naive means local time); None when absent or bad."""
    if not value:
        return None
    try:
        dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return local_aware(dt)


def _pretty(value: Any) -> str:
    if value is None:
        return "(none)"
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


# The window imports every page module listed in page_specs(); this one also puts the
# operator actions into the table pages' context menus.
menus.install()

PAGE = PageSpec(key="audit", title="Audit", factory=AuditPage, order=90, icon="audit")
