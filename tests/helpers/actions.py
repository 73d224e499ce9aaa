"""Rows and contexts for the action tests (plain Core inserts on a real database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select

from console.actions.context import ActionContext
from console.actions.guard import WriteGuard
from models import schema

WF = schema.WORKFLOWS
EX = schema.WORKFLOW_EXECUTIONS
ACT = schema.WORKFLOW_ACTIONS
TRG = schema.WORKFLOW_TRIGGERS
INT = schema.INTEGRATIONS
EV = schema.INTEGRATION_EVENTS
AUDIT = schema.AUDIT_LOG


def make_ctx(engine: Engine, environment: str = "local", profile: str | None = None):
    name = profile or environment
    return ActionContext(engine, name, environment, WriteGuard(name, environment))


def dev_write_ctx(environment: str = "dev") -> ActionContext:
    """A guard's say-so for writers that bring their own connection (the partitioner)."""
    return ActionContext(None, environment, environment, WriteGuard(environment, environment))  # type: ignore[arg-type]


def _insert(engine: Engine, table, **values: Any) -> dict[str, Any]:
    with engine.begin() as conn:
        return dict(conn.execute(insert(table).values(**values).returning(table)).mappings().one())


def workflow(engine: Engine, name: str = "deploy", **values: Any) -> dict[str, Any]:
    values.setdefault("status", "active")
    values.setdefault("config", {"max_retries": 3, "timeout_seconds": 60})
    return _insert(engine, WF, name=name, **values)


def execution(engine: Engine, workflow_id, status: str = "running", **values: Any):
    values.setdefault("started_at", datetime.now(UTC) - timedelta(hours=1))
    return _insert(engine, EX, workflow_id=workflow_id, status=status, **values)


def action(engine: Engine, workflow_id, order_index: int, name: str | None = None, **values):
    return _insert(
        engine,
        ACT,
        workflow_id=workflow_id,
        order_index=order_index,
        action_type=values.pop("action_type", "step"),
        action_name=name or f"step {order_index}",
        **values,
    )


def trigger(engine: Engine, workflow_id, **values: Any) -> dict[str, Any]:
    values.setdefault("trigger_type", "event")
    return _insert(engine, TRG, workflow_id=workflow_id, **values)


def integration(engine: Engine, name: str = "gh", **values: Any) -> dict[str, Any]:
    values.setdefault("type", "github")
    return _insert(engine, INT, name=name, **values)


def event(engine: Engine, integration_id, status: str = "failed", **values: Any):
    values.setdefault("event_type", "push")
    return _insert(engine, EV, integration_id=integration_id, status=status, **values)


def row(engine: Engine, table, row_id) -> dict[str, Any] | None:
    with engine.connect() as conn:
        found = conn.execute(select(table).where(table.c.id == row_id)).mappings().first()
        return dict(found) if found else None


def audit_rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(AUDIT).order_by(AUDIT.c.occurred_at, AUDIT.c.id)).mappings()
        return [dict(r) for r in rows]


def new_id() -> uuid.UUID:
    return uuid.uuid4()
