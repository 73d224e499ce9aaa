"""Queries of the detail panes: one workflow, execution, log line, integration or event.

Columns are named; ``integrations.credentials_encrypted`` is never selected and
every JSON column (configs, conditions, payloads, trigger data, results, log
metadata) passes the secrets policy before it leaves this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

from console.secret_policy import mask, redact_fields, redact_text

# What a table page's details pane calls: (connection, row id) -> the row's details or None.
DetailFetch = Callable[[Connection, str], "dict[str, Any] | None"]

RECENT_EXECUTIONS = 20
CHAIN_DEPTH = 25


def _one(conn: Connection, sql: str, **params: Any) -> dict[str, Any] | None:
    row = conn.execute(text(sql), params).mappings().first()
    return dict(row) if row is not None else None


def _all(conn: Connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def _masked(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    for row in rows:
        for key in keys:
            row[key] = mask(row[key])
    return rows


def workflow_detail(conn: Connection, workflow_id: str) -> dict[str, Any] | None:
    wf = _one(
        conn,
        "SELECT id, name, status, description, config, created_by, created_at, updated_at"
        " FROM workflows WHERE id = CAST(:id AS uuid)",
        id=workflow_id,
    )
    if wf is None:
        return None
    wf["config"] = mask(wf["config"])
    wf["actions"] = _masked(
        _all(
            conn,
            "SELECT id, order_index, action_type, action_name, config, conditions"
            " FROM workflow_actions WHERE workflow_id = CAST(:id AS uuid) ORDER BY order_index",
            id=workflow_id,
        ),
        "config",
        "conditions",
    )
    wf["triggers"] = _masked(
        _all(
            conn,
            "SELECT id, trigger_type, enabled, conditions, created_at"
            " FROM workflow_triggers WHERE workflow_id = CAST(:id AS uuid)"
            " ORDER BY trigger_type, created_at",
            id=workflow_id,
        ),
        "conditions",
    )
    wf["recent_executions"] = _all(
        conn,
        "SELECT id, execution_id, status, started_at, completed_at, retry_count, trigger_type"
        " FROM workflow_executions WHERE workflow_id = CAST(:id AS uuid)"
        " ORDER BY started_at DESC, id DESC LIMIT :n",
        id=workflow_id,
        n=RECENT_EXECUTIONS,
    )
    return wf


_EXEC_COLS = (
    "e.id, e.execution_id, e.workflow_id, w.name AS workflow_name, e.status, e.started_at,"
    " e.completed_at, EXTRACT(EPOCH FROM (e.completed_at - e.started_at)) AS duration_s,"
    " e.trigger_type, e.trigger_data, e.result, e.error_message, e.retry_count,"
    " e.parent_execution_id"
)
_CHAIN_COLS = "id, execution_id, status, started_at, retry_count, parent_execution_id"


def execution_detail(conn: Connection, execution_id: str) -> dict[str, Any] | None:
    ex = _one(
        conn,
        f"SELECT {_EXEC_COLS} FROM workflow_executions e"
        " LEFT JOIN workflows w ON w.id = e.workflow_id WHERE e.id = CAST(:id AS uuid)",
        id=execution_id,
    )
    if ex is None:
        return None
    ex["trigger_data"], ex["result"] = mask(ex["trigger_data"]), mask(ex["result"])
    redact_fields(ex)
    ex["ancestors"] = _all(
        conn,
        f"WITH RECURSIVE up AS ("
        f" SELECT {_CHAIN_COLS}, 1 AS depth FROM workflow_executions"
        f"  WHERE id = CAST(:parent AS uuid)"
        f" UNION ALL SELECT p.id, p.execution_id, p.status, p.started_at, p.retry_count,"
        f"  p.parent_execution_id, up.depth + 1 FROM workflow_executions p"
        f"  JOIN up ON p.id = up.parent_execution_id WHERE up.depth < :depth)"
        f" SELECT {_CHAIN_COLS}, depth FROM up ORDER BY depth DESC",
        parent=str(ex["parent_execution_id"]) if ex["parent_execution_id"] else None,
        depth=CHAIN_DEPTH,
    )
    # Retries start after their parent: the started_at bound lets the index narrow the scan
    # (parent_execution_id has no index of its own in the schema).
    ex["descendants"] = _all(
        conn,
        f"WITH RECURSIVE down AS ("
        f" SELECT {_CHAIN_COLS}, 1 AS depth FROM workflow_executions"
        f"  WHERE parent_execution_id = CAST(:id AS uuid) AND started_at >= :since"
        f" UNION ALL SELECT c.id, c.execution_id, c.status, c.started_at, c.retry_count,"
        f"  c.parent_execution_id, down.depth + 1 FROM workflow_executions c"
        f"  JOIN down ON c.parent_execution_id = down.id"
        f"  WHERE down.depth < :depth AND c.started_at >= down.started_at)"
        f" SELECT {_CHAIN_COLS}, depth FROM down ORDER BY depth, started_at",
        id=execution_id,
        since=ex["started_at"],
        depth=CHAIN_DEPTH,
    )
    return ex


def log_detail(conn: Connection, log_id: str) -> dict[str, Any] | None:
    row = _one(
        conn,
        "SELECT l.id, l.created_at, l.level, l.message, l.log_metadata, l.step_name,"
        " l.execution_id, e.execution_id AS execution_label, l.action_id,"
        " a.action_name, a.action_type"
        " FROM execution_logs l"
        " LEFT JOIN workflow_executions e ON e.id = l.execution_id"
        " LEFT JOIN workflow_actions a ON a.id = l.action_id"
        " WHERE l.id = CAST(:id AS uuid)",
        id=log_id,
    )
    if row is not None:
        row["log_metadata"] = mask(row["log_metadata"])
        redact_fields(row)
    return row


def integration_detail(conn: Connection, integration_id: str) -> dict[str, Any] | None:
    row = _one(
        conn,
        "SELECT id, name, type, enabled, health_status, last_health_check, config,"
        " created_at, updated_at FROM integrations WHERE id = CAST(:id AS uuid)",
        id=integration_id,
    )
    if row is None:
        return None
    row["config"] = mask(row["config"])
    counts = _all(
        conn,
        "SELECT status, count(*) AS n FROM integration_events"
        " WHERE integration_id = CAST(:id AS uuid) GROUP BY status",
        id=integration_id,
    )
    row["queue"] = {c["status"]: int(c["n"]) for c in counts}
    # "why is it unhealthy?": the latest failures, their errors first
    row["recent_failures"] = [
        {**r, "error_message": redact_text(r["error_message"] or "")}
        for r in _all(
            conn,
            "SELECT event_type, error_message, created_at FROM integration_events"
            " WHERE integration_id = CAST(:id AS uuid) AND status = 'failed'"
            " ORDER BY created_at DESC LIMIT 3",
            id=integration_id,
        )
    ]
    return row


def event_detail(conn: Connection, event_id: str) -> dict[str, Any] | None:
    row = _one(
        conn,
        "SELECT v.id, v.created_at, v.event_type, v.event_id, v.payload, v.status,"
        " v.processed_at, v.error_message, v.retry_count, v.integration_id,"
        " i.name AS integration_name, i.type AS integration_type"
        " FROM integration_events v LEFT JOIN integrations i ON i.id = v.integration_id"
        " WHERE v.id = CAST(:id AS uuid)",
        id=event_id,
    )
    if row is not None:
        row["payload"] = mask(row["payload"])
        redact_fields(row)
    return row
