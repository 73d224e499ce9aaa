"""What a bulk action would do to each target, read before the operator confirms.

The confirmation names its targets (execution ids and workflows, event types
and integrations) and says beforehand which of them will be refused and why
(already terminal, max retries reached, already retried, changed meanwhile).
This is a read-only prediction with the same rules as the action steps; the
steps check each row again under its lock when the operator confirms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from console.actions.errors import BulkItem
from console.actions.rows import _same, as_uuid
from models.vocab import EXECUTION_ACTIVE_STATUSES, EXECUTION_RETRYABLE_STATUSES

SHOWN = 20  # targets named one by one in a confirmation; beyond, the count and the filter

# Refusal kinds a preview can predict; "max-retries" is the one an override lifts.
TERMINAL = "terminal"
NOT_ELIGIBLE = "ineligible"
MAX_RETRIES = "max-retries"
RETRIED = "retried"
CHANGED = "conflict"
GONE = "gone"

REFUSAL_TEXT = {
    TERMINAL: "already finished",
    NOT_ELIGIBLE: "not in a state for this",
    MAX_RETRIES: "max retries reached",
    RETRIED: "already retried",
    CHANGED: "changed since you looked",
    GONE: "no longer exists",
}


@dataclass(frozen=True)
class Target:
    """One target of an action as the operator knows it, and its predicted outcome."""

    id: str
    label: str  # execution_id, event type, workflow or integration name
    context: str = ""  # its workflow / integration
    refusal: str | None = None  # a REFUSAL_TEXT kind, None when it will be done
    reason: str = ""  # one line: why it will be refused

    @property
    def ok(self) -> bool:
        return self.refusal is None


def _changed(row: dict[str, Any], seen: dict[str, Any] | None) -> str | None:
    for key, value in (seen or {}).items():
        if key in row and not _same(row[key], value):
            return f"{key} is now {row[key]}, was {value} when you looked"
    return None


def _rows(engine: Engine, sql: str, ids: list[Any]) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        found = conn.execute(text(sql), {"ids": ids}).mappings().all()
    return {str(r["id"]): dict(r) for r in found}


_EXECUTIONS_SQL = """
SELECT e.id, e.execution_id, e.status, e.completed_at, e.retry_count,
       w.name AS workflow, w.config -> 'max_retries' AS max_retries,
       (SELECT c.execution_id FROM workflow_executions c
         WHERE c.parent_execution_id = e.id LIMIT 1) AS child
  FROM workflow_executions e LEFT JOIN workflows w ON w.id = e.workflow_id
 WHERE e.id = ANY(:ids)
"""


def _execution_refusal(action: str, row: dict[str, Any]) -> tuple[str, str] | None:
    status = row["status"]
    if action == "cancel":
        if status in EXECUTION_ACTIVE_STATUSES:
            return None
        return TERMINAL, f"already {status}"
    if status not in EXECUTION_RETRYABLE_STATUSES:
        return NOT_ELIGIBLE, f"is {status}; only failed/timeout/cancelled can be retried"
    if row["child"] is not None:
        return RETRIED, f"already retried as {row['child']}"
    limit = row["max_retries"]
    if isinstance(limit, int) and not isinstance(limit, bool) and row["retry_count"] + 1 > limit:
        return MAX_RETRIES, f"max retries reached ({row['retry_count']} of {limit})"
    return None


def executions(engine: Engine, action: str, items: list[BulkItem]) -> list[Target]:
    """``action`` is "cancel" or "retry"; targets in the order of ``items``."""
    ids = [as_uuid(i.target) for i in items]
    found = _rows(engine, _EXECUTIONS_SQL, [i for i in ids if i is not None])
    out = []
    for item in items:
        row = found.get(str(as_uuid(item.target)))
        if row is None:
            out.append(Target(item.target, item.target, "", GONE, "no longer exists"))
            continue
        label, workflow = row["execution_id"], row["workflow"] or ""
        changed = _changed(row, item.seen)
        refusal = (CHANGED, changed) if changed else _execution_refusal(action, row)
        out.append(Target(item.target, label, workflow, *(refusal or (None, ""))))
    return out


_EVENTS_SQL = """
SELECT v.id, v.event_type, v.event_id, v.status, v.retry_count, v.processed_at,
       i.name AS integration
  FROM integration_events v LEFT JOIN integrations i ON i.id = v.integration_id
 WHERE v.id = ANY(:ids)
"""


def events(
    engine: Engine, allowed: tuple[str, ...], verb: str, items: list[BulkItem]
) -> list[Target]:
    """Events to requeue/ignore: ``allowed`` are the statuses the action accepts."""
    ids = [as_uuid(i.target) for i in items]
    found = _rows(engine, _EVENTS_SQL, [i for i in ids if i is not None])
    out = []
    for item in items:
        row = found.get(str(as_uuid(item.target)))
        if row is None:
            out.append(Target(item.target, item.target, "", GONE, "no longer exists"))
            continue
        label = f"{row['event_type']} {row['event_id'] or ''}".strip()
        changed = _changed(row, item.seen)
        if changed:
            refusal: tuple[str | None, str] = (CHANGED, changed)
        elif row["status"] not in allowed:
            refusal = (NOT_ELIGIBLE, f"is {row['status']}; only {'/'.join(allowed)} can be {verb}")
        else:
            refusal = (None, "")
        out.append(Target(item.target, label, row["integration"] or "", *refusal))
    return out


def counts(targets: list[Target]) -> dict[str, int]:
    """Predicted refusals by kind."""
    out: dict[str, int] = {}
    for t in targets:
        if t.refusal is not None:
            out[t.refusal] = out.get(t.refusal, 0) + 1
    return out
