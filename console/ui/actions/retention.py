"""Log retention from the window: the Logs page's "Remove log lines older than…".

The same plan and the same removal as ``autopr-console logs retain``
(:mod:`console.logstore.retention`): the confirmation names the number of
lines and the bytes it frees and how (partitions dropped or batched deletes),
and the removal runs through the write guard with an audit row per drop or
batch, off the GUI thread.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtWidgets import QInputDialog, QMenu

from console.logstore.retention import RetentionPlan, apply_plan, make_plan
from console.ui.actions.controller import ActionController
from console.ui.actions.dialogs import ConfirmDialog

DEFAULT_DAYS = 90


def logs_menu(page: Any, menu: QMenu) -> None:
    """Context-menu provider: the entry on the Logs page only."""
    if getattr(page, "key", "") != "logs":
        return
    from console.ui.actions.menus import controller_for

    controller = controller_for(page)
    if controller is None:
        return
    menu.addSeparator()
    action = menu.addAction("Remove log lines older than…")
    action.triggered.connect(lambda: ask_age(controller))


def ask_age(controller: ActionController) -> QInputDialog:
    dialog = QInputDialog(controller.parent_widget)
    dialog.setWindowTitle("Log retention")
    dialog.setLabelText("Remove log lines older than (days):")
    dialog.setInputMode(QInputDialog.InputMode.IntInput)
    dialog.setIntRange(1, 36_500)
    dialog.setIntValue(DEFAULT_DAYS)
    dialog.intValueSelected.connect(lambda days: retain(controller, days))
    controller._show(dialog)
    return dialog


def retain(controller: ActionController, days: int) -> None:
    """Plan (off the GUI thread), confirm with rows and bytes, then remove."""
    engine = controller.db.engine  # the primary: what it plans is what it removes

    def plan() -> RetentionPlan:
        with engine.connect() as conn:
            return make_plan(conn, timedelta(days=days))

    def confirm(found: RetentionPlan) -> None:
        if not found.removals:
            controller._status(f"no log lines older than {days} days to remove")
            return
        dialog = ConfirmDialog(
            "Remove",
            found.rows,
            "log line",
            controller.guard.profile_name,
            controller.guard.environment,
            controller.parent_widget,
            detail=found.details(),
        )
        dialog.accepted.connect(lambda: run(found))
        controller._show(dialog)

    def run(found: RetentionPlan) -> None:
        ctx = controller.ctx
        controller.runner.submit(
            lambda: apply_plan(ctx, found, confirmed=True),
            lambda report: controller._finished(
                f"removed {report.dropped_rows + report.deleted_rows:,} log lines older than "
                f"{days} days ({len(report.dropped)} partitions dropped)"
            ),
            controller.refuse,
            owner=controller,
        )

    controller.when_writable(
        lambda: controller.runner.submit(plan, confirm, controller.refuse, owner=controller)
    )


def install() -> None:
    from console.ui.context_menus import context_menu_providers

    if logs_menu not in context_menu_providers:
        context_menu_providers.append(logs_menu)
