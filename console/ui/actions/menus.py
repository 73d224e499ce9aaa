"""Operator actions in the table pages' context menus (see ``context_menu_providers``).

Selected rows act with what the operator saw of them (status, timestamps,
counts) so that a row changed meanwhile is refused, not overwritten.  "All
matching the filter" counts exactly the eligible rows of the page's filter
before asking, then acts on those rows only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from console.actions import events, executions, integrations, preview, workflows
from console.actions.errors import BulkItem
from console.actions.selection import matching_items
from console.ui.actions.controller import ActionController, BulkFn, Previewer
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
    if current is not None:  # the old connection's: one controller per page at a time
        current.deleteLater()
    return controller


def selected_rows(page: Any) -> list[dict[str, Any]]:
    """The rows to act on: a detail header's row, else the selected (or the current) rows."""
    rows = getattr(page, "action_rows", None)
    if callable(rows):
        return rows()
    found = (page.model.row_at(r) for r in page.selected_rows())
    return [row.raw for row in found if row is not None]


def _tagged(act: QAction, key: str) -> QAction:
    act.setData(key)  # the Actions menu, its shortcut and the detail buttons find it by this
    return act


def _follow_live(page: Any, menu: QMenu, rows: list[dict[str, Any]], id_key: str) -> None:
    """Follow the (first) row's execution on the Live tail page."""
    target = next((str(r[id_key]) for r in rows if r.get(id_key)), None)
    act = _tagged(menu.addAction("&Follow live"), "follow-live")
    act.setEnabled(target is not None)
    act.triggered.connect(lambda: page.ctx.open_page("tail", {"execution_id": target}))


def items_of(
    page_key: str, rows: list[dict[str, Any]], statuses: tuple[str, ...] = ()
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


def _add_matching(
    page: Any, menu: QMenu, label: str, statuses: tuple[str, ...], start: Callable[..., None]
) -> None:
    """ "… matching the filter": only with a filter set (without one it means every row)."""
    if not page.current_filters():
        act = menu.addAction(f"{label} matching the filter… (set a filter first)")
        act.setEnabled(False)
        act.setToolTip("Without a filter this would act on every row of the table")
        return
    text = page.title_suffix()
    menu.addAction(f"{label} matching the filter…", lambda: start(_matching(page, statuses), text))


def open_executions(page: Any) -> Callable[[list[str]], None]:
    """Opens the executions an action created on the Executions page."""

    def open_ids(ids: list[str]) -> None:
        if len(ids) == 1:
            page.ctx.open_page("executions", {"execution_id": ids[0]})
        else:  # the retries just made: manual, pending, in the last quarter hour
            page.ctx.open_page(
                "executions",
                {"status": ["pending"], "trigger_type": ["manual"], "time_range": "15m"},
            )

    return open_ids


def table_actions(page: Any, menu: QMenu) -> None:
    """The context-menu provider: adds the page's actions to ``menu``."""
    builder = _BUILDERS.get(getattr(page, "key", ""))
    controller = controller_for(page)
    if builder is None or controller is None:
        return
    builder(page, menu, controller, selected_rows(page))


@dataclass(frozen=True)
class BulkAction:
    """An action on the selected rows of a page, and on every row matching its filter."""

    key: str  # the menu entry's tag (the Actions menu and the detail buttons find it)
    verb: str
    noun: str
    label: str  # the selected rows' entry, "{n}" the eligible ones among them
    matching_label: str  # "… matching the filter"
    statuses: tuple[str, ...]  # the rows' statuses it acts on
    run: BulkFn
    preview: Previewer
    override: BulkFn | None = None
    opens_created: bool = False


EXECUTION_ACTIONS = (
    BulkAction(
        "cancel",
        "cancel",
        "execution",
        "&Cancel {n} selected…",
        "Cancel all pending/running",
        EXECUTION_ACTIVE_STATUSES,
        lambda ctx, items, ok: executions.bulk_cancel(ctx, items, confirmed=ok),
        lambda engine, items: preview.executions(engine, "cancel", items),
    ),
    BulkAction(
        "retry",
        "retry",
        "execution",
        "&Retry {n} selected…",
        "Retry all failed/timeout/cancelled",
        EXECUTION_RETRYABLE_STATUSES,
        lambda ctx, items, ok: executions.bulk_retry(ctx, items, confirmed=ok),
        lambda engine, items: preview.executions(engine, "retry", items),
        override=lambda ctx, items, ok: executions.bulk_retry(
            ctx, items, confirmed=ok, override_max_retries=True
        ),
        opens_created=True,
    ),
)

EVENT_ACTIONS = (
    BulkAction(
        "requeue",
        "requeue",
        "event",
        "Re&queue {n} failed…",
        "Requeue all failed",
        events.REQUEUEABLE,
        lambda ctx, items, ok: events.bulk_requeue(ctx, items, confirmed=ok),
        lambda engine, items: preview.events(engine, events.REQUEUEABLE, "requeued", items),
    ),
    BulkAction(
        "ignore",
        "ignore",
        "event",
        "&Ignore {n} selected…",
        "Ignore all pending/failed",
        events.IGNORABLE,
        lambda ctx, items, ok: events.bulk_ignore(ctx, items, confirmed=ok),
        lambda engine, items: preview.events(engine, events.IGNORABLE, "ignored", items),
    ),
)


def _bulk_starter(page: Any, c: ActionController, action: BulkAction) -> Callable[..., None]:
    """Starts ``action`` on what ``load`` gives (rows, or a read of the filter's rows)."""

    def start(load: Any, filter_text: str | None = None) -> None:
        c.bulk(
            action.verb,
            action.noun,
            load,
            action.run,
            override=action.override,
            preview=action.preview,
            filter_text=filter_text,
            open_created=open_executions(page) if action.opens_created else None,
        )

    return start


def _add_bulk_actions(
    page: Any,
    menu: QMenu,
    c: ActionController,
    rows: list[dict[str, Any]],
    actions: tuple[BulkAction, ...],
    between: Callable[[], None] = lambda: None,
) -> None:
    """One entry per action on the selected rows, ``between``, then the "matching" entries."""
    chosen = items_of(page.key, rows)
    starters = [_bulk_starter(page, c, action) for action in actions]
    for action, start in zip(actions, starters, strict=True):
        eligible = len(items_of(page.key, rows, action.statuses))
        act = _tagged(menu.addAction(action.label.format(n=eligible)), action.key)
        act.setEnabled(bool(eligible))
        act.triggered.connect(lambda _=False, start=start: start(chosen))
    between()
    for action, start in zip(actions, starters, strict=True):
        _add_matching(page, menu, action.matching_label, action.statuses, start)


def _executions(page, menu: QMenu, c: ActionController, rows) -> None:
    running = [r for r in rows if r.get("status") in EXECUTION_ACTIVE_STATUSES]
    _add_bulk_actions(
        page, menu, c, rows, EXECUTION_ACTIONS, lambda: _follow_live(page, menu, running, "id")
    )


def _events(page, menu: QMenu, c: ActionController, rows) -> None:
    _add_bulk_actions(page, menu, c, rows, EVENT_ACTIONS)


def _logs(page, menu: QMenu, c: ActionController, rows) -> None:
    _follow_live(page, menu, rows, "execution_id")


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
                noun="workflow",
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
    act = _tagged(
        menu.addAction(f"{'&Disable' if enabled else '&Enable'} {name}…"), "toggle-enabled"
    )
    act.triggered.connect(
        lambda: c.single(
            "disable" if enabled else "enable",
            name,
            lambda ctx, ok: integrations.set_integration_enabled(
                ctx, integ_id, not enabled, seen=seen, confirmed=ok
            ),
            destructive=enabled,
            noun="integration",
        ),
    )
    menu.addAction("Edit config…", lambda: edit_integration(c, integ_id, name))


_BUILDERS = {
    "logs": _logs,
    "executions": _executions,
    "events": _events,
    "workflows": _workflows,
    "integrations": _integrations,
}


def install() -> None:
    """Add the provider to every table page's context menu (once)."""
    from console.ui.context_menus import context_menu_providers

    if table_actions not in context_menu_providers:
        context_menu_providers.append(table_actions)
    from console.ui.actions import retention

    retention.install()
