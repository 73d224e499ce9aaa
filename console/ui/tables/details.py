"""Detail panes of the table pages (shown beside the table, filled by a background query)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.actions.events import IGNORABLE, REQUEUEABLE
from console.queries import specs
from console.ui import theme, timefmt
from console.ui.pages import PageContext
from console.ui.plain import escape, make_plain, plain_tip
from console.ui.tables import columns as cols
from console.ui.tables.base import DetailPane, apply_columns, configure_view
from console.ui.tables.controller import WindowController
from console.ui.tables.jsontree import JsonTree
from models.vocab import EXECUTION_ACTIVE_STATUSES, EXECUTION_RETRYABLE_STATUSES


def when(dt: datetime | None) -> tuple[str, str]:
    """Relative text and exact tooltip of a time."""
    if dt is None:
        return "—", ""
    return f"{timefmt.relative(dt)}  ({timefmt.exact(dt)})", timefmt.tooltip(dt)


class Pane(DetailPane):
    """Title, a form of fields, then tabs; or a message when there is nothing to show."""

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self.message = QLabel(self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.muted_color().name()};")
        self.body = QWidget(self)
        layout = QVBoxLayout(self.body)
        self.body_layout = layout
        layout.setContentsMargins(6, 0, 0, 0)
        self.title = QLabel(self.body)
        self.title.setObjectName("detailTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        make_plain(self.message, self.title)  # names and ids come from the database
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.tabs = QTabWidget(self.body)
        self.header_buttons = QHBoxLayout()
        self.header_buttons.setContentsMargins(0, 0, 0, 0)
        self.command_buttons = {}
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 1)
        self.link_button = QToolButton(self.body)
        self.link_button.setObjectName("copyLinkButton")
        self.link_button.setText("Copy link")
        self.link_button.setToolTip("Copy the autopr:// link of this row (Ctrl+Shift+C)")
        self.link_button.clicked.connect(self.copy_link_requested.emit)
        title_row.addWidget(self.link_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(title_row)
        layout.addLayout(self.header_buttons)
        layout.addLayout(self.form)
        layout.addWidget(self.tabs, 1)
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.body)
        self.setMinimumWidth(280)

    def show_message(self, message: str) -> None:
        self.message.setText(message)
        self.stack.setCurrentWidget(self.message)

    def set_fields(self, rows: list[tuple[str, str, str, QColor | None]]) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        for label, value, tip, color in rows:
            field = QLabel()
            make_plain(field)
            field.setText(value or "—")
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            field.setWordWrap(True)
            if tip:
                field.setToolTip(plain_tip(tip))
            if color is not None:
                field.setStyleSheet(f"color: {color.name()}; font-weight: bold;")
            self.form.addRow(f"{label}:", field)
        self.stack.setCurrentWidget(self.body)


def sub_table(parent: QWidget, controller: WindowController) -> QTableView:
    """A table view over a windowed sub-query (an execution's logs, an integration's events)."""
    view = QTableView(parent)
    configure_view(view)
    view.setModel(controller.model)
    apply_columns(view, controller.columns)
    return view


PREVIEW_CHARS = 100_000  # a longer text shows its start; the context menu copies it all


class PreviewBox(QPlainTextEdit):
    """A read-only text box that shows the start of a huge text and copies all of it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self._full = ""

    def set_preview(self, text: str) -> None:
        self._full = text
        if len(text) <= PREVIEW_CHARS:
            self.setPlainText(text)
            return
        rest = len(text) - PREVIEW_CHARS
        self.setPlainText(
            f"{text[:PREVIEW_CHARS]}\n\n… {rest:,} more characters not shown"
            " (right-click → Copy full text)"
        )

    def full_text(self) -> str:
        return self._full

    def contextMenuEvent(self, event) -> None:
        from PySide6.QtGui import QGuiApplication

        menu = self.createStandardContextMenu()
        menu.addSeparator()
        menu.addAction("Copy full text").triggered.connect(
            lambda: QGuiApplication.clipboard().setText(self._full)
        )
        menu.exec(event.globalPos())


def text_box(parent: QWidget) -> PreviewBox:
    return PreviewBox(parent)


def full_text(box: PreviewBox) -> str:
    """The whole text behind a (possibly cut) preview."""
    return box.full_text()


def chain_tree(parent: QWidget, headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget(parent)
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # retry chains differ at the end
    tree.setColumnWidth(0, 240)
    return tree


def add_execution_item(tree: QTreeWidget, row: dict[str, Any], label: str = "") -> QTreeWidgetItem:
    started, tip = when(row.get("started_at"))
    item = QTreeWidgetItem(
        tree,
        [
            label + str(row.get("execution_id") or ""),
            str(row.get("status") or ""),
            started.split("  (")[0],
            str(row.get("retry_count") if row.get("retry_count") is not None else ""),
        ],
    )
    item.setData(0, Qt.ItemDataRole.UserRole, str(row["id"]))
    item.setForeground(1, theme.status_color(row.get("status")))
    item.setIcon(1, theme.status_icon(row.get("status")))
    item.setToolTip(2, tip)
    return item


class WorkflowDetail(Pane):
    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.config = JsonTree(self)
        self.actions_tree = JsonTree(self)
        self.triggers = JsonTree(self)
        self.recent = chain_tree(self, ["Execution", "Status", "Started", "Retries"])
        self.recent.itemActivated.connect(self._open_execution)
        self.recent.setToolTip("Double-click or Enter: open the execution")
        self.tabs.addTab(self.config, "Config")
        self.tabs.addTab(self.actions_tree, "Actions")
        self.tabs.addTab(self.triggers, "Triggers")
        self.tabs.addTab(self.recent, "Recent executions")
        self._id = ""

    def show_data(self, wf: dict[str, Any]) -> None:
        self._id = str(wf["id"])
        self.title.setText(wf["name"])
        created, ctip = when(wf["created_at"])
        updated, utip = when(wf["updated_at"])
        self.set_fields(
            [
                ("Status", wf["status"], "", theme.status_color(wf["status"])),
                ("Id", self._id, "", None),
                ("Created by", wf.get("created_by") or "", "", None),
                ("Created", created, ctip, None),
                ("Updated", updated, utip, None),
                ("Description", wf.get("description") or "", "", None),
            ]
        )
        self.config.set_json(wf["config"])
        self.actions_tree.set_json(
            {
                f"{a['order_index']}. {a['action_name']} ({a['action_type']})": {
                    "conditions": a["conditions"],
                    "config": a["config"],
                }
                for a in wf["actions"]
            },
            expand_depth=2,
        )
        self.triggers.set_json(
            {
                f"{t['trigger_type']} ({'enabled' if t['enabled'] else 'disabled'}) #{i + 1}": t[
                    "conditions"
                ]
                for i, t in enumerate(wf["triggers"])
            }
        )
        self.recent.clear()
        for row in wf["recent_executions"]:
            add_execution_item(self.recent, row)
        self.tabs.setTabText(1, f"Actions ({len(wf['actions'])})")
        self.tabs.setTabText(2, f"Triggers ({len(wf['triggers'])})")

    def _open_execution(self, item: QTreeWidgetItem) -> None:
        self.open_page.emit("executions", {"execution_id": item.data(0, Qt.ItemDataRole.UserRole)})


class ExecutionDetail(Pane):
    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.logs = WindowController(ctx.runner, specs.LOGS, cols.EXECUTION_LOGS, 200, parent=self)
        self.logs_view = sub_table(self, self.logs)
        self.chain = chain_tree(self, ["Execution", "Status", "Started", "Retries"])
        self.chain.setToolTip("Click an execution of the retry chain to show it here")
        self.chain.itemActivated.connect(self._chain_clicked)
        self.chain.itemClicked.connect(self._chain_clicked)
        self.trigger_data = JsonTree(self)
        self.result = JsonTree(self)
        self.error = text_box(self)
        self.tabs.addTab(self.logs_view, "Logs")
        self.tabs.addTab(self.chain, "Retry chain")
        self.tabs.addTab(self.trigger_data, "Trigger data")
        self.tabs.addTab(self.result, "Result")
        self.tabs.addTab(self.error, "Error")
        self._id = ""
        self.add_command_buttons(
            self.header_buttons,
            [("cancel", "&Cancel…"), ("retry", "&Retry…"), ("follow-live", "&Follow live")],
        )

    def set_engine(self, engine: Any) -> None:
        self.logs.set_engine(engine)

    def show_data(self, ex: dict[str, Any]) -> None:
        self._id = str(ex["id"])
        self.title.setText(ex["execution_id"])
        active = ex["status"] in EXECUTION_ACTIVE_STATUSES
        self.command_buttons["cancel"].setEnabled(active)
        self.command_buttons["retry"].setEnabled(ex["status"] in EXECUTION_RETRYABLE_STATUSES)
        self.command_buttons["follow-live"].setEnabled(active)
        started, stip = when(ex["started_at"])
        ended, etip = when(ex["completed_at"])
        self.set_fields(
            [
                ("Status", ex["status"], "", theme.status_color(ex["status"])),
                ("Workflow", ex.get("workflow_name") or str(ex["workflow_id"]), "", None),
                ("Started", started, stip, None),
                ("Ended", ended, etip, None),
                ("Duration", timefmt.duration(ex["duration_s"]) or "still running", "", None),
                ("Trigger", ex.get("trigger_type") or "", "", None),
                ("Retry count", str(ex["retry_count"]), "", None),
            ]
        )
        self.trigger_data.set_json(ex["trigger_data"])
        self.result.set_json(ex["result"])
        self.error.set_preview(ex["error_message"] or "(no error)")
        self.tabs.setTabText(4, "Error ⚠" if ex["error_message"] else "Error")
        self.chain.clear()
        for row in ex["ancestors"]:
            add_execution_item(self.chain, row, "↑ ")
        this = add_execution_item(self.chain, ex, "● ")
        font = this.font(0)
        font.setBold(True)
        this.setFont(0, font)
        for row in ex["descendants"]:
            add_execution_item(self.chain, row, "  " * int(row.get("depth", 1)) + "↳ ")
        links = len(ex["ancestors"]) + len(ex["descendants"])
        self.tabs.setTabText(1, f"Retry chain ({links + 1})" if links else "Retry chain")
        self.logs.load({"execution_id": self._id})

    def _chain_clicked(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        row_id = item.data(0, Qt.ItemDataRole.UserRole)
        if row_id and row_id != self._id:
            self.show_id.emit(row_id)


class LogDetail(Pane):
    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.message_box = text_box(self)
        self.metadata = JsonTree(self)
        self.tabs.addTab(self.message_box, "Message")
        self.tabs.addTab(self.metadata, "Metadata")
        self.exec_link = ""

    def show_data(self, row: dict[str, Any]) -> None:
        created, tip = when(row["created_at"])
        self.title.setText(f"{row['level']} — {timefmt.exact(row['created_at'], millis=True)}")
        action = row.get("action_name")
        self.set_fields(
            [
                ("Level", row["level"], "", theme.level_color(row["level"])),
                ("Time", created, tip, None),
                ("Execution", row.get("execution_label") or str(row["execution_id"]), "", None),
                ("Step", row.get("step_name") or "", "", None),
                ("Action", f"{action} ({row.get('action_type')})" if action else "", "", None),
            ]
        )
        label = escape(row.get("execution_label") or "")
        exec_label = QLabel(f'<a href="x">Open execution {label}</a>')
        exec_id = str(row["execution_id"])
        exec_label.linkActivated.connect(
            lambda _l: self.open_page.emit("executions", {"execution_id": exec_id})
        )
        self.form.addRow("", exec_label)
        self.message_box.set_preview(row["message"])
        self.metadata.set_json(row["log_metadata"])


class IntegrationDetail(Pane):
    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.config = JsonTree(self)
        self.events = WindowController(
            ctx.runner, specs.EVENTS, cols.INTEGRATION_EVENTS, parent=self
        )
        self.events_view = sub_table(self, self.events)
        self.tabs.addTab(self.events_view, "Events")
        self.tabs.addTab(self.config, "Config (secrets masked)")
        self.add_command_buttons(self.header_buttons, [("toggle-enabled", "&Disable…")])
        self.why = QLabel(self.body)  # the latest failures, under the title
        self.why.setObjectName("integrationWhy")
        self.why.setWordWrap(True)
        self.why.setTextFormat(Qt.TextFormat.PlainText)
        self.body_layout.insertWidget(2, self.why)
        self._integration_id = ""

    def set_engine(self, engine: Any) -> None:
        self.events.set_engine(engine)

    def show_data(self, row: dict[str, Any]) -> None:
        self.title.setText(row["name"])
        self.command_buttons["toggle-enabled"].setText(
            "&Disable…" if row["enabled"] else "&Enable…"
        )
        checked, tip = when(row["last_health_check"])
        queue = row["queue"]
        self._integration_id = str(row["id"])
        self.set_fields(
            [
                ("Type", row["type"], "", None),
                ("Enabled", "yes" if row["enabled"] else "no", "", None),
                ("Health", row["health_status"], "", theme.health_color(row["health_status"])),
                ("Last check", checked, tip, None),
            ]
        )
        # counts that open the Event queue filtered to this integration and status
        self.queue_links = QLabel(
            ", ".join(
                f'<a href="{s}">{queue.get(s, 0):,} {s}</a>' if queue.get(s) else f"0 {s}"
                for s in ("pending", "processing", "failed", "completed", "ignored")
            )
        )
        self.queue_links.setObjectName("queueLinks")
        self.queue_links.setToolTip("Open these events in the Event queue")
        self.queue_links.linkActivated.connect(self._open_queue)
        self.form.addRow("Event queue:", self.queue_links)
        failures = row.get("recent_failures") or []
        self.why.setVisible(bool(failures))
        self.why.setStyleSheet(f"color: {theme.status_color('failed').name()};")
        self.why.setText(
            "Latest failures:\n"
            + "\n".join(
                f"• {timefmt.relative(f['created_at'])} · {f['event_type']}: "
                f"{(f['error_message'] or '(no error message)').splitlines()[0][:200]}"
                for f in failures
            )
        )
        self.config.set_json(row["config"])
        self.events.load({"integration_id": str(row["id"])})

    def _open_queue(self, status: str) -> None:
        self.open_page.emit("events", {"integration_id": self._integration_id, "status": [status]})


class EventDetail(Pane):
    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.payload = JsonTree(self)
        self.error = text_box(self)
        self.tabs.addTab(self.payload, "Payload")
        self.tabs.addTab(self.error, "Error")
        self.add_command_buttons(
            self.header_buttons, [("requeue", "Re&queue…"), ("ignore", "&Ignore…")]
        )

    def show_data(self, row: dict[str, Any]) -> None:
        self.title.setText(f"{row['event_type']}  {row.get('event_id') or ''}")
        self.command_buttons["requeue"].setEnabled(row["status"] in REQUEUEABLE)
        self.command_buttons["ignore"].setEnabled(row["status"] in IGNORABLE)
        received, rtip = when(row["created_at"])
        processed, ptip = when(row["processed_at"])
        self.set_fields(
            [
                ("Status", row["status"], "", theme.status_color(row["status"])),
                ("Integration", f"{row['integration_name']} ({row['integration_type']})", "", None),
                ("Received", received, rtip, None),
                ("Processed", processed, ptip, None),
                ("Retries", str(row["retry_count"]), "", None),
            ]
        )
        self.payload.set_json(row["payload"])
        self.error.set_preview(row["error_message"] or "(no error)")
