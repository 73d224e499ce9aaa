"""Workflow actions: status, description and config, action order and action JSON."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, column, func, select, update, values
from sqlalchemy.dialects.postgresql import UUID

from console.actions.context import ActionContext
from console.actions.errors import CONFLICT, INELIGIBLE, INVALID, ActionError, ActionResult
from console.actions.rows import as_uuid, check_seen, lock_row
from console.actions.schemas import JsonProblem, check_workflow_config
from console.actions.secret_edits import with_stored_secrets
from console.actions.simple import update_step
from console.actions.tx import Step, Tx, perform
from models.schema import WORKFLOW_ACTIONS, WORKFLOWS
from models.vocab import WORKFLOW_STATUSES

WF = WORKFLOWS
ACT = WORKFLOW_ACTIONS
WF_COLUMNS = (WF.c.id, WF.c.name, WF.c.status, WF.c.description, WF.c.config, WF.c.updated_at)
ACT_COLUMNS = (
    ACT.c.id,
    ACT.c.workflow_id,
    ACT.c.action_name,
    ACT.c.order_index,
    ACT.c.config,
    ACT.c.conditions,
    ACT.c.updated_at,
)
# Statuses that stop a workflow from running: confirmed on staging/prod.
STOPPING = ("inactive", "archived", "draft")
UNCHANGED: Any = object()


def workflow_where(target: str) -> ColumnElement[bool]:
    as_id = as_uuid(target)
    return WF.c.id == as_id if as_id is not None else WF.c.name == target


def set_workflow_status(
    ctx: ActionContext,
    target: str,
    status: str,
    *,
    seen: Mapping[str, Any] | None = None,
    confirmed: bool = False,
) -> ActionResult:
    if status not in WORKFLOW_STATUSES:
        raise ActionError(INVALID, f"status must be one of {', '.join(WORKFLOW_STATUSES)}")

    def check(row: dict[str, Any]) -> None:
        if row["status"] == status:
            raise ActionError(INELIGIBLE, f"workflow {row['name']} is already {status}")

    step = update_step(
        action="workflow.set_status",
        table=WF,
        where=workflow_where(target),
        what=f"workflow {target}",
        columns=WF_COLUMNS,
        label_key="name",
        values={"status": status},
        seen=seen,
        check=check,
        verb=f"set status {status} on",
    )
    return perform(ctx, step, needs_confirmation=status in STOPPING, confirmed=confirmed)


def edit_workflow(
    ctx: ActionContext,
    target: str,
    *,
    description: str | None = UNCHANGED,
    config: dict[str, Any] = UNCHANGED,
    seen: Mapping[str, Any] | None = None,
) -> ActionResult:
    """Change the description and/or the config (validated against WorkflowConfig).

    Masked secrets in ``config`` keep their stored values (see :mod:`console.secret_policy`).
    """
    new: dict[str, Any] = {}
    if description is not UNCHANGED:
        new["description"] = description
    if config is not UNCHANGED:
        if not isinstance(config, dict):
            raise ActionError(INVALID, "the workflow config must be a JSON object")
        new["config"] = config
    if not new:
        raise ActionError(INVALID, "nothing to change")

    def values(row: dict[str, Any]) -> dict[str, Any]:
        out = _with_stored_secrets(new, row)
        if "config" in out:
            try:
                check_workflow_config(out["config"])
            except JsonProblem as exc:
                raise ActionError(INVALID, f"config: {exc}") from None
        return out

    step = update_step(
        action="workflow.edit",
        table=WF,
        where=workflow_where(target),
        what=f"workflow {target}",
        columns=WF_COLUMNS,
        label_key="name",
        values=values,
        seen=seen,
        verb="edited",
    )
    return perform(ctx, step)


def edit_action(
    ctx: ActionContext,
    action_id: str,
    *,
    config: dict[str, Any] = UNCHANGED,
    conditions: dict[str, Any] | None = UNCHANGED,
    seen: Mapping[str, Any] | None = None,
) -> ActionResult:
    """Change a workflow action's config (an object) and/or conditions (an object or null).

    Masked secrets keep their stored values (see :mod:`console.secret_policy`).
    """
    new: dict[str, Any] = {}
    if config is not UNCHANGED:
        if not isinstance(config, dict):
            raise ActionError(INVALID, "an action config must be a JSON object")
        new["config"] = config
    if conditions is not UNCHANGED:
        if conditions is not None and not isinstance(conditions, dict):
            raise ActionError(INVALID, "action conditions must be a JSON object or null")
        new["conditions"] = conditions
    if not new:
        raise ActionError(INVALID, "nothing to change")
    step = update_step(
        action="action.edit",
        table=ACT,
        where=ACT.c.id == _uuid_or_invalid(action_id),
        what=f"action {action_id}",
        columns=ACT_COLUMNS,
        label_key="action_name",
        values=lambda row: _with_stored_secrets(new, row),
        seen=seen,
        verb="edited",
    )
    return perform(ctx, step)


def reorder_actions(
    ctx: ActionContext,
    workflow: str,
    ordered_ids: Sequence[str],
    *,
    seen_order: Mapping[str, int] | None = None,
) -> ActionResult:
    """Put the workflow's actions in ``ordered_ids`` order, in one transaction.

    The order slots already used are handed out again in the new order.  The
    unique ``(workflow_id, order_index)`` constraint is not deferrable, so the
    moving rows first go to a range above every slot (``old + max + 1``), then
    to their new slots: no statement ever sees a duplicate or a negative index.
    """
    return perform(ctx, reorder_step(workflow, ordered_ids, seen_order))


def reorder_step(
    workflow: str, ordered_ids: Sequence[str], seen_order: Mapping[str, int] | None
) -> Step:
    wanted = [_uuid_or_invalid(i) for i in ordered_ids]
    if len(set(wanted)) != len(wanted):
        raise ActionError(INVALID, "an action appears twice in the new order")

    def step(tx: Tx) -> ActionResult:
        wf = lock_row(tx, WF, WF_COLUMNS, workflow_where(workflow), f"workflow {workflow}")
        rows = (
            tx.conn.execute(
                select(ACT.c.id, ACT.c.action_name, ACT.c.order_index)
                .where(ACT.c.workflow_id == wf["id"])
                .order_by(ACT.c.order_index)
                .with_for_update()
            )
            .mappings()
            .all()
        )
        current = {r["id"]: r for r in rows}
        what = f"workflow {wf['name']}"
        if set(current) != set(wanted):
            raise ActionError(
                CONFLICT,
                f"the actions of {what} changed meanwhile ({len(current)} now, "
                f"{len(wanted)} in your list); reload and reorder again",
            )
        if seen_order:
            check_seen(
                {str(k): r["order_index"] for k, r in current.items()},
                {str(k): v for k, v in seen_order.items()},
                f"the action order of {what}",
            )
        slots = [r["order_index"] for r in rows]
        target = {action_id: slots[pos] for pos, action_id in enumerate(wanted)}
        moving = [a for a in wanted if current[a]["order_index"] != target[a]]
        if not moving:
            raise ActionError(INELIGIBLE, f"the action order of {what} is unchanged")
        offset = max(slots) + 1
        tx.conn.execute(
            update(ACT).where(ACT.c.id.in_(moving)).values(order_index=ACT.c.order_index + offset)
        )
        final = values(
            column("id", UUID(as_uuid=True)),
            column("idx", Integer),
            name="final",
        ).data([(a, target[a]) for a in moving])
        tx.conn.execute(
            update(ACT)
            .where(ACT.c.id == final.c.id)
            .values(order_index=final.c.idx, updated_at=func.now())
        )
        before = {"order": [_entry(r["id"], r["action_name"], r["order_index"]) for r in rows]}
        after = {
            "order": [_entry(a, current[a]["action_name"], target[a]) for a in wanted],
        }
        audit_id = tx.audit("workflow.reorder_actions", "workflows", wf["id"], before, after)
        return ActionResult(
            "workflow.reorder_actions",
            "workflows",
            str(wf["id"]),
            wf["name"],
            f"reordered {len(moving)} of {len(rows)} actions of {what}",
            audit_id,
            before,
            after,
        )

    return step


def _with_stored_secrets(new: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """JSON columns of ``new`` with their masked secrets put back from the locked ``row``."""
    return {
        k: with_stored_secrets(v, row[k], k) if k in ("config", "conditions") else v
        for k, v in new.items()
    }


def _entry(action_id: Any, name: str, index: int) -> dict[str, Any]:
    return {"id": str(action_id), "name": name, "order_index": index}


def _uuid_or_invalid(value: str) -> uuid.UUID:
    as_id = as_uuid(value)
    if as_id is None:
        raise ActionError(INVALID, f"{value!r} is not an id (UUID)")
    return as_id
