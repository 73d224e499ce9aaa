"""Editors opened from the table pages: JSON columns, description, action order, triggers.

Every load runs on the TaskRunner; every save goes through the action layer
(with the ``updated_at`` the operator loaded as what was seen).  JSON documents
are shown masked (:mod:`console.secret_policy`); the action puts the stored
secrets back by key path when it saves.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.actions import reads
from console.actions.integrations import edit_integration_config, load_masked_config
from console.actions.triggers import edit_trigger_conditions, set_trigger_enabled
from console.actions.workflows import edit_action, edit_workflow, reorder_actions
from console.secret_policy import MASK, mask
from console.ui.actions.controller import ActionController
from console.ui.actions.json_editor import PLAIN_TEXT, JsonEditorDialog

ID_ROLE = int(Qt.ItemDataRole.UserRole)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


SECRETS_NOTE = (
    f"Secret values show as {MASK}: leave them to keep the stored value, "
    "or replace them with a new one."
)


def open_json_editor(
    controller: ActionController, title: str, kind: str, value: Any, save, note: str | None = None
) -> None:
    """Open the editor once writing is allowed (prod asks for the unlock first).

    A JSON ``value`` is shown masked; the save callback gets the edited (masked) document.
    """
    if kind != PLAIN_TEXT:
        shown = mask(value)
        if note is None and shown != value:
            note = SECRETS_NOTE
        value = shown

    def show() -> None:
        text = value if kind == PLAIN_TEXT else _pretty(value)
        dialog = JsonEditorDialog(
            title, kind, text, save, controller.runner, controller.parent_widget, note
        )
        dialog.saved.connect(controller.done.emit)
        controller.dialog = dialog
        dialog.open()

    controller.when_writable(show)


def edit_workflow_field(controller: ActionController, workflow_id: str, field: str) -> None:
    """``field``: "config" or "description"."""
    engine = controller.db.engine

    def loaded(wf: dict[str, Any]) -> None:
        seen = {"updated_at": wf["updated_at"]}
        if field == "config":
            open_json_editor(
                controller,
                f"Config of workflow {wf['name']}",
                "workflow.config",
                wf["config"] or {},
                lambda v: edit_workflow(controller.ctx, workflow_id, config=v, seen=seen),
            )
        else:
            open_json_editor(
                controller,
                f"Description of workflow {wf['name']}",
                PLAIN_TEXT,
                wf["description"] or "",
                lambda v: edit_workflow(
                    controller.ctx, workflow_id, description=v or None, seen=seen
                ),
            )

    def load() -> dict[str, Any]:
        with engine.connect() as conn:
            return reads.workflow_for_edit(conn, workflow_id)

    controller.runner.submit(load, loaded, controller.refuse, owner=controller)


def edit_integration(controller: ActionController, integration_id: str, name: str) -> None:
    engine = controller.db.engine

    def loaded(answer: tuple[dict[str, Any], dict[str, Any]]) -> None:
        config, seen = answer
        open_json_editor(
            controller,
            f"Config of integration {name}",
            "integration.config",
            config,
            lambda v: edit_integration_config(controller.ctx, integration_id, v, seen=seen),
            note=SECRETS_NOTE,
        )

    controller.runner.submit(
        lambda: load_masked_config(engine, integration_id),
        loaded,
        controller.refuse,
        owner=controller,
    )


class _WorkflowRowsDialog(QDialog):
    """A dialog over one workflow's child rows, re-read after every action it starts."""

    controller: ActionController  # set by the subclass before its first reload()

    def read_rows(self, engine) -> list[dict[str, Any]]:  # an sqlalchemy Engine
        raise NotImplementedError

    def _loaded(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _changed(self, _result: object) -> None:
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        engine = self.controller.db.engine
        self.controller.runner.submit(
            lambda: self.read_rows(engine),
            self._loaded,
            self.controller.refuse,
            owner=self,
            key=f"{type(self).__name__}-{id(self)}",
        )


class WorkflowActionsDialog(_WorkflowRowsDialog):
    """The actions of a workflow: drag (or move) to reorder, edit config and conditions."""

    def __init__(self, controller: ActionController, workflow_id: str, name: str) -> None:
        super().__init__(controller.parent_widget)
        self.controller = controller
        self.workflow_id = workflow_id
        self.seen_order: dict[str, int] = {}
        self.action_rows: dict[str, dict[str, Any]] = {}
        self.setWindowTitle(f"Actions of workflow {name}")
        col = QVBoxLayout(self)
        col.addWidget(QLabel("Drag to reorder, or use Move up / Move down; then Save order."))
        self.list = QListWidget()
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        col.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.config_button = QPushButton("Edit config…")
        self.conditions_button = QPushButton("Edit conditions…")
        self.save_button = QPushButton("Save order")
        for button in (
            self.up_button,
            self.down_button,
            self.config_button,
            self.conditions_button,
            self.save_button,
        ):
            row.addWidget(button)
        col.addLayout(row)
        self.status = QLabel()
        col.addWidget(self.status)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        col.addWidget(close)
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(1))
        self.save_button.clicked.connect(self.save_order)
        self.config_button.clicked.connect(lambda: self.edit_current("config"))
        self.conditions_button.clicked.connect(lambda: self.edit_current("conditions"))
        controller.done.connect(self._changed)  # bound slot: disconnects with the dialog
        self.resize(520, 420)
        self.reload()

    def read_rows(self, engine) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return reads.actions_of(conn, self.workflow_id)

    def _loaded(self, rows: list[dict[str, Any]]) -> None:
        self.list.clear()
        self.action_rows = {str(r["id"]): r for r in rows}
        self.seen_order = {str(r["id"]): r["order_index"] for r in rows}
        for r in rows:
            item = QListWidgetItem(
                f"{r['order_index']:>3}  {r['action_name']}  ({r['action_type']})"
            )
            item.setData(ID_ROLE, str(r["id"]))
            self.list.addItem(item)
        self.status.setText(f"{len(rows)} actions")

    def order(self) -> list[str]:
        return [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())]

    def move_current(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)

    def save_order(self) -> None:
        ids, seen = self.order(), dict(self.seen_order)
        self.controller.single(
            "reorder",
            "actions",
            lambda ctx, ok: reorder_actions(ctx, self.workflow_id, ids, seen_order=seen),
        )

    def edit_current(self, field: str) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        action = self.action_rows[item.data(ID_ROLE)]
        seen = {"updated_at": action["updated_at"]}
        action_id = str(action["id"])

        def save(value: Any):
            return edit_action(self.controller.ctx, action_id, **{field: value}, seen=seen)

        open_json_editor(
            self.controller,
            f"{field.capitalize()} of action {action['action_name']}",
            f"action.{field}",
            action[field] if field == "config" else action["conditions"],
            save,
        )


class TriggersDialog(_WorkflowRowsDialog):
    """The triggers of a workflow: enable, disable, edit conditions."""

    def __init__(self, controller: ActionController, workflow_id: str, name: str) -> None:
        super().__init__(controller.parent_widget)
        self.controller = controller
        self.workflow_id = workflow_id
        self.name = name
        self.rows: list[dict[str, Any]] = []
        self.setWindowTitle(f"Triggers of workflow {name}")
        col = QVBoxLayout(self)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Type", "Enabled", "Conditions"])
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        col.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.enable_button = QPushButton("Enable")
        self.disable_button = QPushButton("Disable")
        self.conditions_button = QPushButton("Edit conditions…")
        for button in (self.enable_button, self.disable_button, self.conditions_button):
            row.addWidget(button)
        col.addLayout(row)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        col.addWidget(close)
        self.enable_button.clicked.connect(lambda: self.toggle(True))
        self.disable_button.clicked.connect(lambda: self.toggle(False))
        self.conditions_button.clicked.connect(self.edit_conditions)
        controller.done.connect(self._changed)  # bound slot: disconnects with the dialog
        self.resize(560, 320)
        self.reload()

    def read_rows(self, engine) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return reads.triggers_of(conn, self.workflow_id)

    def _loaded(self, rows: list[dict[str, Any]]) -> None:
        current = self.table.currentRow()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(r["trigger_type"]))
            self.table.setItem(i, 1, QTableWidgetItem("yes" if r["enabled"] else "no"))
            shown = json.dumps(mask(r["conditions"]), ensure_ascii=False)
            self.table.setItem(i, 2, QTableWidgetItem(shown))
        if 0 <= current < len(rows):
            self.table.selectRow(current)

    def _current(self) -> dict[str, Any] | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def toggle(self, enabled: bool) -> None:
        trigger = self._current()
        if trigger is None:
            return
        trigger_id, seen = str(trigger["id"]), {"updated_at": trigger["updated_at"]}
        self.controller.single(
            "enable" if enabled else "disable",
            f"{trigger['trigger_type']} of {self.name}",
            lambda ctx, ok: set_trigger_enabled(ctx, trigger_id, enabled, seen=seen, confirmed=ok),
            destructive=not enabled,
            noun="trigger",
        )

    def edit_conditions(self) -> None:
        trigger = self._current()
        if trigger is None:
            return
        trigger_id, seen = str(trigger["id"]), {"updated_at": trigger["updated_at"]}
        open_json_editor(
            self.controller,
            f"Conditions of {trigger['trigger_type']} trigger",
            "trigger.conditions",
            trigger["conditions"] or {},
            lambda v: edit_trigger_conditions(self.controller.ctx, trigger_id, v, seen=seen),
        )


def show_dialog(controller: ActionController, dialog: QWidget) -> None:
    controller.dialog = dialog  # type: ignore[assignment]
    dialog.show()
