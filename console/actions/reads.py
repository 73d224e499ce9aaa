"""What the editors load before the operator edits (read-only, named columns only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from console.actions.errors import GONE, ActionError
from console.actions.rows import as_uuid
from models.tables import Workflow, WorkflowAction, WorkflowTrigger

WF = Workflow.__table__
ACT = WorkflowAction.__table__
TRG = WorkflowTrigger.__table__


def _one(engine: Engine, stmt, what: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    if row is None:
        raise ActionError(GONE, f"{what} no longer exists")
    return dict(row)


def workflow_for_edit(engine: Engine, workflow_id: str) -> dict[str, Any]:
    stmt = select(
        WF.c.id, WF.c.name, WF.c.status, WF.c.description, WF.c.config, WF.c.updated_at
    ).where(WF.c.id == as_uuid(workflow_id))
    return _one(engine, stmt, f"workflow {workflow_id}")


def actions_of(engine: Engine, workflow_id: str) -> list[dict[str, Any]]:
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
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def triggers_of(engine: Engine, workflow_id: str) -> list[dict[str, Any]]:
    stmt = (
        select(TRG.c.id, TRG.c.trigger_type, TRG.c.conditions, TRG.c.enabled, TRG.c.updated_at)
        .where(TRG.c.workflow_id == as_uuid(workflow_id))
        .order_by(TRG.c.created_at, TRG.c.id)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]
