"""Operator actions in the table pages' context menus (see ``context_menu_providers``).

Selected rows act with what the operator saw of them (status, timestamps,
counts) so that a row changed meanwhile is refused, not overwritten.  "All
matching the filter" counts exactly the eligible rows of the page's filter
before asking, then acts on those rows only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMenu

from console.actions import events, executions, integrations, workflows
from console.actions.errors import BulkItem
from console.actions.selection import matching_items
from console.ui.actions.controller import ActionController
from console.ui.actions.editors import (
    TriggersDialog,
    WorkflowActionsDialog,
    edit_integration,
    edit_workflow_field,
    show_dialog,
)
from models.vocab import (
    EXECUTION_ACTIVE_STATUSES,
    EXECUTION_RETRYABLE_STATUSES,
    WORKFLOW_STATUSES,
)

SEEN = {
    "executions": executions.SEEN_COLUMNS,
    "events": events.SEEN_COLUMNS,
    "workflows": ("status", "updated_at"),
    "integrations": ("enabled", "updated_at"),
}


def controller_for(page: Any) -> ActionController | None:
    """One controller per page and connection (a new one after a profile switch)."""
    db = getattr(page, "db", None)
    if db is None:
        return None
    extras = page.ctx.extras
    guard = extras.get("write_guard")
    current = getattr(page, "_action_controller", None)
    if current is not None and current.db is db and (guard is None or current.guard is guard):
        return current
    controller = ActionController(
        page,
        page.ctx.runner,
        db,
        guard,
        request_unlock=extras.get("request_unlock"),
        show_status=page.ctx.show_status,
    )
    controller.done.connect(page.refresh)
    page._action_controller = controller
    return controller


def selected_rows(page: Any) -> list[dict[str, Any]]:
    rows = sorted(i.row() for i in page.view.selectionModel().selectedRows())
    found = (page.model.row_at(r) for r in rows)
    return [row.raw for row in found if row is not None]


def items_of(
    page_key: str, rows: list[dict[str, Any]], statuses: tuple[str, ...]
) -> list[BulkItem]:
    keys = SEEN[page_key]
    return [
        BulkItem(str(r["id"]), {k: r[k] for k in keys if k in r})
        for r in rows
        if not statuses or r.get("status") in statuses
    ]


def _matching(page: Any, statuses: tuple[str, ...]) -> Callable[[], list[BulkItem]]:
    """Every row of the page's filter whose status is in ``statuses`` (read off-thread)."""
    filters = dict(page.current_filters())
    wanted = filters.get("status") or list(statuses)
    if isinstance(wanted, str):
        wanted = [wanted]
    filters["status"] = [s for s in wanted if s in statuses]
    engine, key = page.db.engine, page.key

    def load() -> list[BulkItem]:
        return matching_items(engine, key, filters) if filters["status"] else []

    return load


def table_actions(page: Any, menu: QMenu) -> None:
    """The context-menu provider: adds the page's actions to ``menu``."""
    builder = _BUILDERS.get(getattr(page, "key", ""))
    controller = controller_for(page)
    if builder is None or controller is None:
        return
    builder(page, menu, controller, selected_rows(page))


def _executions(page, menu: QMenu, c: ActionController, rows) -> None:
    cancellable = items_of("executions", rows, EXECUTION_ACTIVE_STATUSES)
    retryable = items_of("executions", rows, EXECUTION_RETRYABLE_STATUSES)

    def bulk_cancel(ctx, items, ok):
        return executions.bulk_cancel(ctx, items, confirmed=ok)

    def bulk_retry(ctx, items, ok):
        return executions.bulk_retry(ctx, items, confirmed=ok)

    def bulk_retry_override(ctx, items, ok):
        return executions.bulk_retry(ctx, items, confirmed=ok, override_max_retries=True)

    act = menu.addAction(f"Cancel {len(cancellable)} selected…")
    act.setEnabled(bool(cancellable))
    act.triggered.connect(lambda: c.bulk("cancel", "execution", cancellable, bulk_cancel))
    act = menu.addAction(f"Retry {len(retryable)} selected…")
    act.setEnabled(bool(retryable))
    act.triggered.connect(
        lambda: c.bulk("retry", "execution", retryable, bulk_retry, override=bulk_retry_override)
    )
    menu.addAction(
        "Cancel all pending/running matching the filter…",
        lambda: c.bulk(
            "cancel", "execution", _matching(page, EXECUTION_ACTIVE_STATUSES), bulk_cancel
        ),
    )
    menu.addAction(
        "Retry all failed/timeout/cancelled matching the filter…",
        lambda: c.bulk(
            "retry",
            "execution",
            _matching(page, EXECUTION_RETRYABLE_STATUSES),
            bulk_retry,
            override=bulk_retry_override,
        ),
    )


def _events(page, menu: QMenu, c: ActionController, rows) -> None:
    requeueable = items_of("events", rows, events.REQUEUEABLE)
    ignorable = items_of("events", rows, events.IGNORABLE)

    def requeue(ctx, items, ok):
        return events.bulk_requeue(ctx, items, confirmed=ok)

    def ignore(ctx, items, ok):
        return events.bulk_ignore(ctx, items, confirmed=ok)

    act = menu.addAction(f"Requeue {len(requeueable)} failed…")
    act.setEnabled(bool(requeueable))
    act.triggered.connect(lambda: c.bulk("requeue", "event", requeueable, requeue))
    act = menu.addAction(f"Ignore {len(ignorable)} selected…")
    act.setEnabled(bool(ignorable))
    act.triggered.connect(lambda: c.bulk("ignore", "event", ignorable, ignore))
    menu.addAction(
        "Requeue all failed matching the filter…",
        lambda: c.bulk("requeue", "event", _matching(page, events.REQUEUEABLE), requeue),
    )
    menu.addAction(
        "Ignore all pending/failed matching the filter…",
        lambda: c.bulk("ignore", "event", _matching(page, events.IGNORABLE), ignore),
    )


def _workflows(page, menu: QMenu, c: ActionController, rows) -> None:
    if not rows:
        return
    wf = rows[0]
    wf_id, name = str(wf["id"]), wf["name"]
    seen = {k: wf[k] for k in SEEN["workflows"] if k in wf}
    status_menu = menu.addMenu(f"Set status of {name}")
    for status in WORKFLOW_STATUSES:
        act = status_menu.addAction(status)
        act.setEnabled(status != wf.get("status"))
        act.triggered.connect(
            lambda _=False, s=status: c.single(
                f"set {s}",
                name,
                lambda ctx, ok: workflows.set_workflow_status(
                    ctx, wf_id, s, seen=seen, confirmed=ok
                ),
                destructive=s in workflows.STOPPING,
            )
        )
    menu.addAction("Edit description…", lambda: edit_workflow_field(c, wf_id, "description"))
    menu.addAction("Edit config…", lambda: edit_workflow_field(c, wf_id, "config"))
    menu.addAction(
        "Actions and order…", lambda: show_dialog(c, WorkflowActionsDialog(c, wf_id, name))
    )
    menu.addAction("Triggers…", lambda: show_dialog(c, TriggersDialog(c, wf_id, name)))


def _integrations(page, menu: QMenu, c: ActionController, rows) -> None:
    if not rows:
        return
    integ = rows[0]
    integ_id, name, enabled = str(integ["id"]), integ["name"], bool(integ.get("enabled"))
    seen = {k: integ[k] for k in SEEN["integrations"] if k in integ}
    menu.addAction(
        f"{'Disable' if enabled else 'Enable'} {name}…",
        lambda: c.single(
            "disable" if enabled else "enable",
            name,
            lambda ctx, ok: integrations.set_integration_enabled(
                ctx, integ_id, not enabled, seen=seen, confirmed=ok
            ),
            destructive=enabled,
        ),
    )
    menu.addAction("Edit config…", lambda: edit_integration(c, integ_id, name))


_BUILDERS = {
    "executions": _executions,
    "events": _events,
    "workflows": _workflows,
    "integrations": _integrations,
}


def install() -> None:
    """Add the provider to every table page's context menu (once)."""
    from console.ui.tables.base import context_menu_providers

    if table_actions not in context_menu_providers:
        context_menu_providers.append(table_actions)
