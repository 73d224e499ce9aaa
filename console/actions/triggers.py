"""Trigger actions: enable/disable, edit conditions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement

from console.actions.context import ActionContext
from console.actions.errors import INVALID, ActionError, ActionResult
from console.actions.rows import as_uuid
from console.actions.secret_edits import with_stored_secrets
from console.actions.simple import enabled_step, update_step
from console.actions.tx import perform
from models.schema import WORKFLOW_TRIGGERS

TRG = WORKFLOW_TRIGGERS
TRG_COLUMNS = (
    TRG.c.id,
    TRG.c.workflow_id,
    TRG.c.trigger_type,
    TRG.c.conditions,
    TRG.c.enabled,
    TRG.c.updated_at,
)


def _where(trigger_id: str) -> ColumnElement[bool]:
    as_id = as_uuid(trigger_id)
    if as_id is None:
        raise ActionError(INVALID, f"{trigger_id!r} is not a trigger id (UUID)")
    return TRG.c.id == as_id


def set_trigger_enabled(
    ctx: ActionContext,
    trigger_id: str,
    enabled: bool,
    *,
    seen: Mapping[str, Any] | None = None,
    confirmed: bool = False,
) -> ActionResult:
    """Disabling stops a workflow from starting: confirmed on staging/prod."""
    step = enabled_step(
        noun="trigger",
        table=TRG,
        where=_where(trigger_id),
        target=trigger_id,
        columns=TRG_COLUMNS,
        label_key="id",
        enabled=enabled,
        seen=seen,
    )
    return perform(ctx, step, needs_confirmation=not enabled, confirmed=confirmed)


def edit_trigger_conditions(
    ctx: ActionContext,
    trigger_id: str,
    conditions: dict[str, Any],
    *,
    seen: Mapping[str, Any] | None = None,
) -> ActionResult:
    if not isinstance(conditions, dict):
        raise ActionError(INVALID, "trigger conditions must be a JSON object")
    step = update_step(
        action="trigger.edit_conditions",
        table=TRG,
        where=_where(trigger_id),
        what=f"trigger {trigger_id}",
        columns=TRG_COLUMNS,
        label_key="id",
        values=lambda row: {
            "conditions": with_stored_secrets(conditions, row["conditions"], "conditions")
        },
        seen=seen,
        verb="edited the conditions of",
    )
    return perform(ctx, step)
