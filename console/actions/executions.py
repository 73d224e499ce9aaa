"""Execution actions: cancel, retry (with the workflow's max_retries), and in bulk."""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, func, insert, select, text, update

from console.actions.context import ActionContext
from console.actions.errors import (
    INELIGIBLE,
    MAX_RETRIES,
    ActionError,
    ActionResult,
    BulkItem,
    BulkSummary,
)
from console.actions.rows import as_uuid, check_seen, lock_row, require_status
from console.actions.tx import Step, Tx, perform, run_bulk
from models.execution_ids import next_python_id
from models.schema import WORKFLOW_EXECUTIONS, WORKFLOWS
from models.vocab import EXECUTION_ACTIVE_STATUSES, EXECUTION_RETRYABLE_STATUSES

EX = WORKFLOW_EXECUTIONS
WF = WORKFLOWS

# What the operator sees of an execution, and what a cancel/retry compares.
SEEN_COLUMNS = ("status", "completed_at", "retry_count")
_COLUMNS = (
    EX.c.id,
    EX.c.execution_id,
    EX.c.workflow_id,
    EX.c.status,
    EX.c.started_at,
    EX.c.completed_at,
    EX.c.retry_count,
    EX.c.error_message,
)


def _where(target: str) -> ColumnElement[bool]:
    """An execution by UUID or by its human ``execution_id`` (exact, or resolved prefix)."""
    as_id = as_uuid(target)
    return EX.c.id == as_id if as_id is not None else EX.c.execution_id == target


def _resolve(tx: Tx, target: str) -> str:
    """``target`` as named: a UUID, an exact ``execution_id`` of any format, else the one
    execution whose id starts with it (several: refused, naming a few)."""
    if as_uuid(target) is not None:
        return target
    exact = tx.conn.execute(select(EX.c.id).where(EX.c.execution_id == target)).first()
    if exact is not None:
        return target
    from console.queries.filters import escape_like, prefix_range

    lo, hi = prefix_range(target)
    cond = EX.c.execution_id.like(f"{escape_like(target)}%") & (EX.c.execution_id >= lo)
    if hi is not None:
        cond = cond & (EX.c.execution_id < hi)
    found = (
        tx.conn.execute(select(EX.c.execution_id).where(cond).order_by(EX.c.execution_id).limit(4))
        .scalars()
        .all()
    )
    if len(found) == 1:
        return str(found[0])
    if len(found) > 1:
        more = ", …" if len(found) > 3 else ""
        raise ActionError(
            INELIGIBLE,
            f"{target!r} starts more than one execution id ({', '.join(found[:3])}{more}); "
            "give more of it or the UUID",
        )
    return target  # lock_row says it was not found


def _snapshot(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    return {k: row[k] for k in ("execution_id", "status", "completed_at", "retry_count")}


def new_execution_id() -> str:
    """``exec-YYYYMMDD-HHMMSS-xxxxxx`` (UTC) made here, for a database without
    ``autopr_new_execution_id()``: distinct from every other id this process made (the
    server's scramble over a counter of this process), so one bulk retry never repeats
    one; a row of the engine's with the same id is still refused by its UNIQUE key."""
    return next_python_id()


# Whether the database of an action's transaction has the generator (asked once a Tx).
_HAS_GENERATOR: weakref.WeakKeyDictionary[Tx, bool] = weakref.WeakKeyDictionary()


def _execution_id_value(tx: Tx) -> ColumnElement[Any] | str:
    """The new execution's id: the server's ``autopr_new_execution_id()`` where it exists
    (one counter with every column default and every other console: distinct by
    construction), else :func:`new_execution_id`.  Named in the INSERT, not left to the
    column default: the engine's tables have none."""
    has = _HAS_GENERATOR.get(tx)
    if has is None:
        has = bool(
            tx.conn.execute(
                text("SELECT to_regprocedure('autopr_new_execution_id()') IS NOT NULL")
            ).scalar()
        )
        _HAS_GENERATOR[tx] = has
    return func.autopr_new_execution_id() if has else new_execution_id()


def cancel_step(target: str, seen: Mapping[str, Any] | None = None) -> Step:
    def step(tx: Tx) -> ActionResult:
        row = lock_row(tx, EX, _COLUMNS, _where(_resolve(tx, target)), f"execution {target}")
        what = f"execution {row['execution_id']}"
        check_seen(row, seen, what)
        require_status(row, EXECUTION_ACTIVE_STATUSES, what, "cancelled")
        # The engine stamps started_at with its own host's clock: when that runs ahead of
        # the server's, now() would break chk_completed_at_after_started.
        after = (
            tx.conn.execute(
                update(EX)
                .where(EX.c.id == row["id"])
                .values(status="cancelled", completed_at=func.greatest(func.now(), EX.c.started_at))
                .returning(*_COLUMNS, func.now().label("server_now"))
            )
            .mappings()
            .one()
        )
        before_s, after_s = _snapshot(row), _snapshot(after)
        # Both clocks: the engine's (started_at) and the server's at the cancel.
        after_s["started_at"] = after["started_at"]
        after_s["server_now"] = after["server_now"]
        audit_id = tx.audit("execution.cancel", "workflow_executions", row["id"], before_s, after_s)
        return ActionResult(
            "execution.cancel",
            "workflow_executions",
            str(row["id"]),
            row["execution_id"],
            f"cancelled {row['execution_id']} (was {row['status']})",
            audit_id,
            before_s,
            after_s,
        )

    return step


def retry_step(
    target: str, seen: Mapping[str, Any] | None = None, *, override_max_retries: bool = False
) -> Step:
    def step(tx: Tx) -> ActionResult:
        row = lock_row(tx, EX, _COLUMNS, _where(_resolve(tx, target)), f"execution {target}")
        what = f"execution {row['execution_id']}"
        check_seen(row, seen, what)
        require_status(row, EXECUTION_RETRYABLE_STATUSES, what, "retried")
        child = tx.conn.execute(
            select(EX.c.execution_id).where(EX.c.parent_execution_id == row["id"]).limit(1)
        ).scalar()
        if child is not None:
            raise ActionError(
                INELIGIBLE, f"{what} was already retried as {child}; retry that one instead"
            )
        attempt = row["retry_count"] + 1
        max_retries = _max_retries(tx, row["workflow_id"])
        if max_retries is not None and attempt > max_retries and not override_max_retries:
            raise ActionError(
                MAX_RETRIES,
                f"{what} has had {row['retry_count']} retries and its workflow allows "
                f"max_retries = {max_retries}; retry again only with an explicit override",
                target=what,
            )
        trigger_data = {
            "requested_by": tx.ctx.actor,
            "host": tx.ctx.actor_host,
            "profile": tx.ctx.profile,
            "retry_of": row["execution_id"],
            "source": "autopr-console",
        }
        if max_retries is not None and attempt > max_retries:
            trigger_data["max_retries_override"] = True
        new = (
            tx.conn.execute(
                insert(EX)
                .values(
                    # Named, not left to defaults: the engine's tables have none for these.
                    id=uuid.uuid4(),
                    execution_id=_execution_id_value(tx),
                    started_at=func.now(),
                    workflow_id=row["workflow_id"],
                    status="pending",
                    retry_count=attempt,
                    parent_execution_id=row["id"],
                    trigger_type="manual",
                    trigger_data=trigger_data,
                )
                .returning(EX.c.id, EX.c.execution_id, EX.c.status, EX.c.retry_count)
            )
            .mappings()
            .one()
        )
        after = {
            "id": str(new["id"]),
            "execution_id": new["execution_id"],
            "status": new["status"],
            "retry_count": new["retry_count"],
            "parent_execution_id": str(row["id"]),
            "trigger_type": "manual",
            "trigger_data": trigger_data,
        }
        before = _snapshot(row)
        audit_id = tx.audit("execution.retry", "workflow_executions", row["id"], before, after)
        return ActionResult(
            "execution.retry",
            "workflow_executions",
            str(row["id"]),
            row["execution_id"],
            f"retried {row['execution_id']} as {new['execution_id']} (attempt {attempt})",
            audit_id,
            before,
            after,
            created_id=str(new["id"]),
        )

    return step


def _max_retries(tx: Tx, workflow_id: Any) -> int | None:
    config = tx.conn.execute(select(WF.c.config).where(WF.c.id == workflow_id)).scalar()
    value = (config or {}).get("max_retries")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def cancel_execution(
    ctx: ActionContext,
    target: str,
    *,
    seen: Mapping[str, Any] | None = None,
    confirmed: bool = False,
) -> ActionResult:
    """pending/running → cancelled with completed_at = now(). Destructive: confirmed on staging."""
    return perform(ctx, cancel_step(target, seen), needs_confirmation=True, confirmed=confirmed)


def retry_execution(
    ctx: ActionContext,
    target: str,
    *,
    seen: Mapping[str, Any] | None = None,
    override_max_retries: bool = False,
    confirmed: bool = False,
) -> ActionResult:
    """A new pending execution whose parent is ``target`` (failed/timeout/cancelled)."""
    step = retry_step(target, seen, override_max_retries=override_max_retries)
    return perform(ctx, step, confirmed=confirmed)


def bulk_cancel(
    ctx: ActionContext, items: Sequence[BulkItem], *, confirmed: bool = False, batch_size: int = 100
) -> BulkSummary:
    return run_bulk(
        ctx,
        "cancel",
        items,
        lambda item: cancel_step(item.target, item.seen),
        confirmed=confirmed,
        batch_size=batch_size,
    )


def bulk_retry(
    ctx: ActionContext,
    items: Sequence[BulkItem],
    *,
    confirmed: bool = False,
    override_max_retries: bool = False,
    batch_size: int = 100,
) -> BulkSummary:
    return run_bulk(
        ctx,
        "retry",
        items,
        lambda item: retry_step(item.target, item.seen, override_max_retries=override_max_retries),
        confirmed=confirmed,
        batch_size=batch_size,
    )
