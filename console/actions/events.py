"""Event queue actions: requeue failed events, mark events ignored; one or many.

Requeue puts a failed event back to ``pending`` with ``retry_count + 1`` and
``processed_at`` cleared; ``error_message`` is kept so the last failure stays
visible until the engine processes the event again (and overwrites it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement

from console.actions.context import ActionContext
from console.actions.errors import INVALID, ActionError, ActionResult, BulkItem, BulkSummary
from console.actions.rows import as_uuid, require_status
from console.actions.simple import update_step
from console.actions.tx import Step, Tx, perform, run_bulk
from models.schema import INTEGRATION_EVENTS

EV = INTEGRATION_EVENTS
EV_COLUMNS = (
    EV.c.id,
    EV.c.integration_id,
    EV.c.event_type,
    EV.c.status,
    EV.c.retry_count,
    EV.c.processed_at,
    EV.c.error_message,
)
SEEN_COLUMNS = ("status", "retry_count", "processed_at")
REQUEUEABLE = ("failed",)
IGNORABLE = ("pending", "failed")


def _where(event_id: str) -> ColumnElement[bool]:
    as_id = as_uuid(event_id)
    if as_id is None:
        raise ActionError(INVALID, f"{event_id!r} is not an event id (UUID)", target=event_id)
    return EV.c.id == as_id


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("event_type", "status", "retry_count", "processed_at")}


def requeue_step(event_id: str, seen: Mapping[str, Any] | None = None) -> Step:
    return update_step(
        action="event.requeue",
        table=EV,
        where=_where(event_id),
        what=f"event {event_id}",
        columns=EV_COLUMNS,
        label_key="id",
        values=lambda row: {
            "status": "pending",
            "retry_count": row["retry_count"] + 1,
            "processed_at": None,
        },
        seen=seen,
        check=lambda row: require_status(row, REQUEUEABLE, f"event {row['id']}", "requeued"),
        shown=_shown,
        verb="requeued",
    )


def ignore_step(event_id: str, seen: Mapping[str, Any] | None = None) -> Step:
    return update_step(
        action="event.ignore",
        table=EV,
        where=_where(event_id),
        what=f"event {event_id}",
        columns=EV_COLUMNS,
        label_key="id",
        values={"status": "ignored"},
        seen=seen,
        check=lambda row: require_status(row, IGNORABLE, f"event {row['id']}", "ignored"),
        shown=_shown,
        verb="ignored",
    )


def requeue_event(
    ctx: ActionContext, event_id: str, *, seen: Mapping[str, Any] | None = None
) -> ActionResult:
    return perform(ctx, requeue_step(event_id, seen))


def ignore_event(
    ctx: ActionContext,
    event_id: str,
    *,
    seen: Mapping[str, Any] | None = None,
    confirmed: bool = False,
) -> ActionResult:
    """Ignoring drops the event from the queue: confirmed on staging/prod."""
    return perform(ctx, ignore_step(event_id, seen), needs_confirmation=True, confirmed=confirmed)


def _bulk(
    ctx: ActionContext,
    action: str,
    items: Sequence[BulkItem],
    make: Callable[[str, dict[str, Any] | None], Step],
    confirmed: bool,
    batch_size: int,
) -> BulkSummary:
    def step_for(item: BulkItem) -> Step:
        try:
            return make(item.target, item.seen)
        except ActionError as err:  # a malformed id refuses that item only

            def refuse(tx: Tx, err: ActionError = err) -> ActionResult:
                raise err

            return refuse

    return run_bulk(ctx, action, items, step_for, confirmed=confirmed, batch_size=batch_size)


def bulk_requeue(
    ctx: ActionContext, items: Sequence[BulkItem], *, confirmed: bool = False, batch_size: int = 100
) -> BulkSummary:
    return _bulk(ctx, "requeue", items, requeue_step, confirmed, batch_size)


def bulk_ignore(
    ctx: ActionContext, items: Sequence[BulkItem], *, confirmed: bool = False, batch_size: int = 100
) -> BulkSummary:
    return _bulk(ctx, "ignore", items, ignore_step, confirmed, batch_size)
