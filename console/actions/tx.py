"""Running action steps: one short transaction, checked, audited, committed or nothing.

A *step* is a function of a :class:`Tx` that locks its row, checks it is still
what the operator saw, writes the change and its audit row, and returns an
:class:`ActionResult` (or raises :class:`ActionError`).  :func:`perform` runs one
step in its own transaction; :func:`run_bulk` runs many, a batch per
transaction with a savepoint per item, so one refused item leaves the others.

When the connection drops while committing, the outcome is settled by looking
for the step's audit row (written in the same transaction as the change): found
means done, absent means not done.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from console.actions import dberrors
from console.actions.context import ActionContext
from console.actions.errors import (
    CONNECTION,
    UNVERIFIED,
    ActionError,
    ActionResult,
    BulkItem,
    BulkSummary,
)
from console.secret_policy import mask, redact_fields
from models.schema import AUDIT_LOG

AUDIT = AUDIT_LOG


class Tx:
    """An open read-write transaction of one action (or one bulk batch)."""

    def __init__(self, conn: Connection, ctx: ActionContext) -> None:
        self.conn = conn
        self.ctx = ctx

    def audit(
        self,
        action: str,
        table: str,
        target_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> uuid.UUID:
        """Insert the audit row of this change; same transaction, so same fate.

        ``before``/``after`` pass the secrets policy here, whatever the caller gave:
        the audit trail never holds a secret.
        """
        audit_id = uuid.uuid4()
        self.conn.execute(
            insert(AUDIT).values(
                id=audit_id,
                actor=self.ctx.actor,
                actor_host=self.ctx.actor_host,
                profile=self.ctx.profile,
                action=action,
                target_table=table,
                target_id=str(target_id),
                before=_audited(before),
                after=_audited(after),
            )
        )
        return audit_id


Step = Callable[[Tx], ActionResult]


def jsonable(value: Any) -> Any:
    """Plain JSON values (UUIDs and timestamps as strings)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def perform(
    ctx: ActionContext,
    step: Step,
    *,
    needs_confirmation: bool = False,
    confirmed: bool = False,
) -> ActionResult:
    """Run one step in its own transaction; raise :class:`ActionError` on any refusal."""
    ctx.check_may_write(needs_confirmation=needs_confirmation, confirmed=confirmed)
    outcome = _run_batch(ctx, [step], isolate=False)[0]
    if isinstance(outcome, ActionError):
        raise outcome
    return outcome


def run_bulk(
    ctx: ActionContext,
    action: str,
    items: Sequence[BulkItem],
    make_step: Callable[[BulkItem], Step],
    *,
    confirmed: bool = False,
    batch_size: int = 100,
) -> BulkSummary:
    """Apply ``make_step(item)`` to every item, each checked on its own.

    Bulk actions always count as needing confirmation on staging and prod.  The guard
    is asked again before every batch: when the unlock lapses half-way, the rest of
    the items are refused, never written.
    """
    ctx.check_may_write(needs_confirmation=True, confirmed=confirmed)
    summary = BulkSummary(action)
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        if start:
            try:
                ctx.check_may_write(needs_confirmation=True, confirmed=confirmed)
            except ActionError as err:
                for item in items[start:]:
                    summary.refused.append((item.target, ActionError(err.kind, err.message)))
                break
        outcomes = _run_batch(ctx, [make_step(item) for item in batch], isolate=True)
        for item, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, ActionError):
                outcome.target = outcome.target or item.target
                summary.refused.append((item.target, outcome))
            else:
                summary.done.append(outcome)
    return summary


def _run_batch(
    ctx: ActionContext, steps: Sequence[Step], *, isolate: bool
) -> list[ActionResult | ActionError]:
    outcomes: list[ActionResult | ActionError] = []
    try:
        with ctx.engine.connect() as conn:
            # prod's sessions default to read-only; the guard allowed this write.
            conn.execute(text("SET TRANSACTION READ WRITE"))
            tx = Tx(conn, ctx)
            for step in steps:
                outcomes.append(_run_step(tx, step, isolate))
            if not any(isinstance(o, ActionResult) for o in outcomes):
                conn.rollback()
                return outcomes
            try:
                conn.commit()
            except DBAPIError as exc:
                if not dberrors.is_connection_lost(exc):
                    raise
                return _settle_lost_commit(ctx, outcomes)
    except ActionError as err:  # only a single, non-isolated step raises out
        return [err]
    except DBAPIError as exc:  # the whole transaction is gone: nothing in it was written
        lost = dberrors.explain(exc)
        kept: list[ActionResult | ActionError] = [
            o if isinstance(o, ActionError) else lost for o in outcomes
        ]
        return kept + [lost] * (len(steps) - len(kept))
    return outcomes


def _run_step(tx: Tx, step: Step, isolate: bool) -> ActionResult | ActionError:
    if not isolate:
        return step(tx)  # an ActionError or a DBAPIError rolls back the whole transaction
    savepoint = tx.conn.begin_nested()
    try:
        result = step(tx)
    except ActionError as err:
        savepoint.rollback()
        return err
    except DBAPIError as exc:
        if dberrors.is_connection_lost(exc):
            raise
        savepoint.rollback()
        return dberrors.explain(exc)
    savepoint.commit()
    return result


def _settle_lost_commit(
    ctx: ActionContext, outcomes: list[ActionResult | ActionError]
) -> list[ActionResult | ActionError]:
    done = [o for o in outcomes if isinstance(o, ActionResult)]
    committed = verify_committed(ctx, [r.audit_id for r in done])
    if committed is True:
        for result in done:
            result.note = "confirmed after the connection dropped while committing"
        return outcomes
    if committed is False:
        lost = ActionError(
            CONNECTION, "the connection was lost before the change was committed; not done"
        )
        return [lost if isinstance(o, ActionResult) else o for o in outcomes]
    ids = ", ".join(str(r.audit_id) for r in done[:3])
    unknown = ActionError(
        UNVERIFIED,
        "the connection was lost while committing and the server cannot be reached to check; "
        f"look for audit id {ids} on the Audit page once it is back",
    )
    return [unknown if isinstance(o, ActionResult) else o for o in outcomes]


def verify_committed(
    ctx: ActionContext, audit_ids: Sequence[uuid.UUID], *, attempts: int = 5, pause_s: float = 1.0
) -> bool | None:
    """Were these audit rows (and so their changes) committed? None: server unreachable."""
    if not audit_ids:
        return False
    for attempt in range(attempts):
        try:
            with ctx.engine.connect() as conn:
                found = conn.execute(
                    select(AUDIT.c.id).where(AUDIT.c.id.in_(list(audit_ids)))
                ).all()
                return len(found) > 0
        except SQLAlchemyError:
            if attempt + 1 < attempts:
                time.sleep(pause_s)
    return None


def _audited(values: dict[str, Any] | None) -> Any:
    """What the audit trail keeps of a row: JSON, secrets masked, free text redacted."""
    doc = mask(jsonable(values))
    return redact_fields(doc) if isinstance(doc, dict) else doc
