"""What the editors load before the operator edits (read-only, named columns only).

Like every query function, these take a ``Connection``: the caller opens it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, select

from console.actions.errors import GONE, ActionError
from console.actions.rows import as_uuid
from models.schema import WORKFLOW_ACTIONS, WORKFLOW_TRIGGERS, WORKFLOWS

WF = WORKFLOWS
ACT = WORKFLOW_ACTIONS
TRG = WORKFLOW_TRIGGERS


def _one(conn: Connection, stmt: Select[Any], what: str) -> dict[str, Any]:
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise ActionError(GONE, f"{what} no longer exists")
    return dict(row)


def workflow_for_edit(conn: Connection, workflow_id: str) -> dict[str, Any]:
    stmt = select(
        WF.c.id, WF.c.name, WF.c.status, WF.c.description, WF.c.config, WF.c.updated_at
    ).where(WF.c.id == as_uuid(workflow_id))
    return _one(conn, stmt, f"workflow {workflow_id}")


def actions_of(conn: Connection, workflow_id: str) -> list[dict[str, Any]]:
    stmt = (
        select(
            ACT.c.id,
            ACT.c.action_name,
            ACT.c.action_type,
            ACT.c.order_index,
            ACT.c.config,
            ACT.c.conditions,
            ACT.c.updated_at,
        )
        .where(ACT.c.workflow_id == as_uuid(workflow_id))
        .order_by(ACT.c.order_index)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def triggers_of(conn: Connection, workflow_id: str) -> list[dict[str, Any]]:
    stmt = (
        select(TRG.c.id, TRG.c.trigger_type, TRG.c.conditions, TRG.c.enabled, TRG.c.updated_at)
        .where(TRG.c.workflow_id == as_uuid(workflow_id))
        .order_by(TRG.c.created_at, TRG.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]
