"""Reading the audit trail: newest first, by keyset on (occurred_at, id), filtered."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, select, text, tuple_

from console.secret_policy import mask
from models.schema import AUDIT_LOG

AUDIT = AUDIT_LOG

# The actions this console writes (the filter offers them; others may appear too).
ACTION_NAMES: tuple[str, ...] = (
    "execution.cancel",
    "execution.retry",
    "workflow.set_status",
    "workflow.edit",
    "workflow.reorder_actions",
    "action.edit",
    "trigger.enable",
    "trigger.disable",
    "trigger.edit_conditions",
    "integration.enable",
    "integration.disable",
    "integration.edit_config",
    "event.requeue",
    "event.ignore",
)
TARGET_TABLES: tuple[str, ...] = (
    "workflow_executions",
    "workflows",
    "workflow_actions",
    "workflow_triggers",
    "integrations",
    "integration_events",
)


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None  # exact name, or a prefix ending in "." ("execution.")
    target_table: str | None = None
    actor: str | None = None  # user name, case-insensitive prefix
    target_id: str | None = None
    time_from: datetime | None = None  # inclusive
    time_to: datetime | None = None  # exclusive


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(f: AuditFilter) -> list[Any]:
    out: list[Any] = []
    if f.action:
        if f.action.endswith("."):
            out.append(AUDIT.c.action.like(_escape_like(f.action) + "%"))
        else:
            out.append(AUDIT.c.action == f.action)
    if f.target_table:
        out.append(AUDIT.c.target_table == f.target_table)
    if f.actor:
        out.append(AUDIT.c.actor.ilike(_escape_like(f.actor.strip()) + "%"))
    if f.target_id:
        out.append(AUDIT.c.target_id == f.target_id.strip())
    if f.time_from:
        out.append(AUDIT.c.occurred_at >= f.time_from)
    if f.time_to:
        out.append(AUDIT.c.occurred_at < f.time_to)
    return out


class AuditTrailMissing(LookupError):
    """``audit_log`` does not exist (a database made by the engine, not yet adopted)."""


def fetch_audit(
    engine: Engine,
    f: AuditFilter,
    *,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """One page of audit rows, newest first; ``after`` is the last row's (occurred_at, id).

    ``before``/``after`` pass the secrets policy again: rows written by older
    consoles or by other tools are shown masked too.
    """
    conds = _conditions(f)
    if after is not None:
        conds.append(tuple_(AUDIT.c.occurred_at, AUDIT.c.id) < tuple_(*after))
    stmt = (
        select(AUDIT)
        .where(and_(True, *conds))
        .order_by(AUDIT.c.occurred_at.desc(), AUDIT.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        if not conn.execute(text("SELECT to_regclass('audit_log') IS NOT NULL")).scalar():
            raise AuditTrailMissing(
                "this database has no audit trail yet: the console's own objects are not "
                "installed (reconnect and accept its migrations)"
            )
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
    for row in rows:
        row["before"], row["after"] = mask(row["before"]), mask(row["after"])
    return rows


def audit_for_target(
    engine: Engine, table: str, target_id: str, limit: int = 50
) -> list[dict[str, Any]]:
    """The latest audit rows of one row (for a detail pane)."""
    return fetch_audit(engine, AuditFilter(target_table=table, target_id=target_id), limit=limit)


__all__ = ["ACTION_NAMES", "TARGET_TABLES", "AuditFilter", "audit_for_target", "fetch_audit"]
