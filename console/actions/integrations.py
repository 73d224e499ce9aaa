"""Integration actions: enable/disable, edit config with secrets kept masked.

``credentials_encrypted`` is never selected: every query names its columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Engine, select

from console.actions.context import ActionContext
from console.actions.errors import GONE, INVALID, ActionError, ActionResult
from console.actions.rows import as_uuid
from console.actions.secret_edits import with_stored_secrets
from console.actions.simple import enabled_step, update_step
from console.actions.tx import perform
from console.secret_policy import mask
from models.schema import INTEGRATIONS

INT = INTEGRATIONS
INT_COLUMNS = (INT.c.id, INT.c.name, INT.c.type, INT.c.config, INT.c.enabled, INT.c.updated_at)


def _where(target: str) -> ColumnElement[bool]:
    as_id = as_uuid(target)
    return INT.c.id == as_id if as_id is not None else INT.c.name == target


def load_masked_config(engine: Engine, target: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(config with secrets masked, what the operator saw: ``updated_at``) for the editor."""
    with engine.connect() as conn:
        row = conn.execute(select(*INT_COLUMNS).where(_where(target))).mappings().first()
    if row is None:
        raise ActionError(GONE, f"integration {target} no longer exists")
    return mask(row["config"] or {}), {"updated_at": row["updated_at"]}


def show_integration(engine: Engine, target: str) -> dict[str, Any]:
    """One integration by name or id, its config masked (``integration show``)."""
    columns = (*INT_COLUMNS, INT.c.health_status, INT.c.last_health_check)
    with engine.connect() as conn:
        row = conn.execute(select(*columns).where(_where(target))).mappings().first()
    if row is None:
        raise ActionError(GONE, f"no integration named {target!r}")
    shown = dict(row)
    shown["config"] = mask(shown["config"] or {})
    return shown


def set_integration_enabled(
    ctx: ActionContext,
    target: str,
    enabled: bool,
    *,
    seen: Mapping[str, Any] | None = None,
    confirmed: bool = False,
) -> ActionResult:
    step = enabled_step(
        noun="integration",
        table=INT,
        where=_where(target),
        target=target,
        columns=INT_COLUMNS,
        label_key="name",
        enabled=enabled,
        seen=seen,
    )
    return perform(ctx, step, needs_confirmation=not enabled, confirmed=confirmed)


def edit_integration_config(
    ctx: ActionContext,
    target: str,
    masked_config: dict[str, Any],
    *,
    seen: Mapping[str, Any] | None = None,
) -> ActionResult:
    """Write the edited config; masked placeholders keep the stored secret values.

    The audit row records the masked before/after (see ``Tx.audit``), never a secret.
    """
    if not isinstance(masked_config, dict):
        raise ActionError(INVALID, "an integration config must be a JSON object")
    step = update_step(
        action="integration.edit_config",
        table=INT,
        where=_where(target),
        what=f"integration {target}",
        columns=INT_COLUMNS,
        label_key="name",
        values=lambda row: {"config": with_stored_secrets(masked_config, row["config"], "config")},
        seen=seen,
        shown=lambda row: {"config": row["config"] or {}},
        verb="edited the config of",
    )
    return perform(ctx, step)
