"""Finding executions for the tail: by UUID or human ``execution_id``, and the running ones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import psycopg

from console.tail import sql


@dataclass(frozen=True)
class ExecutionRef:
    id: uuid.UUID
    code: str  # the human execution_id
    status: str
    started_at: datetime | None = None
    workflow: str | None = None

    def label(self) -> str:
        name = f" · {self.workflow}" if self.workflow else ""
        return f"{self.code} ({self.status}){name}"


class ExecutionNotFound(LookupError):
    pass


def resolve_execution(conn: psycopg.Connection, key: str) -> ExecutionRef:
    """``key`` is a ``workflow_executions.id`` UUID or an ``execution_id`` of any format
    (``exec-…``, the engine's ``pr-review_2026-12-01T14:51:25.318347``): exact first,
    then the one execution whose id starts with it."""
    key = key.strip()
    try:
        as_uuid: uuid.UUID | None = uuid.UUID(key)
    except ValueError:
        as_uuid = None
    rows = []
    if as_uuid is not None:
        rows = conn.execute(sql.RESOLVE_BY_ID, {"key": as_uuid}).fetchall()
    if not rows:
        rows = conn.execute(sql.RESOLVE_BY_CODE, {"key": key}).fetchall()
    if not rows and key:
        from console.queries.filters import escape_like, prefix_range

        lo, hi = prefix_range(key)
        params = {"like": f"{escape_like(key)}%", "lo": lo, "hi": hi}
        rows = conn.execute(sql.RESOLVE_BY_PREFIX, params).fetchall()
        if len(rows) > 1:
            shown = ", ".join(r[1] for r in rows[:3]) + (", …" if len(rows) > 3 else "")
            raise ExecutionNotFound(
                f"{key!r} starts more than one execution id ({shown}); give more of it"
            )
    if not rows:
        raise ExecutionNotFound(f"no execution {key!r}")
    if len(rows) > 1:
        raise ExecutionNotFound(f"{key!r} names more than one execution; use its UUID")
    row = rows[0]
    return ExecutionRef(row[0], row[1], row[2])


def running_executions(conn: psycopg.Connection, limit: int = 500) -> list[ExecutionRef]:
    """Pending and running executions, newest first."""
    return [
        ExecutionRef(r[0], r[1], r[2], r[3], r[4])
        for r in conn.execute(sql.RUNNING_EXECUTIONS, {"limit": limit})
    ]
