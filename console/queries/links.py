"""Where a link's row is: the page, its filters and the row id to select.

One indexed lookup per link (unique ``execution_id``, unique names, primary
keys).  ``None`` when the row does not exist (deleted, or another database).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Connection, text

from console.links import Link
from console.queries.filters import TableFilters


@dataclass(frozen=True)
class LinkTarget:
    page: str  # page key
    filters: TableFilters = field(default_factory=lambda: TableFilters())
    row_id: str | None = None  # the id of the row to select (the page table's id column)
    label: str = ""  # what the status bar says was opened


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def execution_uuid(conn: Connection, execution: str) -> tuple[str, str] | None:
    """(uuid, execution_id) of an execution named by its execution_id or its UUID."""
    row = conn.execute(
        text("SELECT id, execution_id FROM workflow_executions WHERE execution_id = :x"),
        {"x": execution},
    ).first()
    if row is None and _uuid(execution):
        row = conn.execute(
            text("SELECT id, execution_id FROM workflow_executions WHERE id = :x"),
            {"x": _uuid(execution)},
        ).first()
    return (str(row[0]), str(row[1])) if row is not None else None


def resolve_link(conn: Connection, link: Link) -> LinkTarget | None:
    """The page and row ``link`` points at on this database, or None when there is none."""
    if link.kind == "execution":
        found = execution_uuid(conn, link.target)
        if found is None:
            return None
        return LinkTarget("executions", TableFilters(execution_id=found[0]), found[0], found[1])
    if link.kind in ("workflow", "integration"):
        table = "workflows" if link.kind == "workflow" else "integrations"
        row = conn.execute(
            text(f"SELECT id FROM {table} WHERE name = :n"), {"n": link.target}
        ).first()
        if row is None:
            return None
        if link.kind == "workflow":
            by_id = TableFilters(workflow_id=str(row[0]))
        else:
            by_id = TableFilters(integration_id=str(row[0]))
        return LinkTarget(f"{link.kind}s", by_id, str(row[0]), link.target)
    if link.kind == "event":
        event = _uuid(link.target)
        if event is None:
            return None
        row = conn.execute(
            text("SELECT integration_id, created_at FROM integration_events WHERE id = :i"),
            {"i": event},
        ).first()
        if row is None:
            return None
        at = row[1]
        # The events page has no id filter: its integration and the exact instant select it.
        event_filters = TableFilters(
            integration_id=str(row[0]),
            time_from=at.isoformat(),
            time_to=(at + timedelta(microseconds=1)).isoformat(),
        )
        return LinkTarget("events", event_filters, event, link.target)
    if link.kind == "logs":
        query = link.query
        filters = TableFilters()
        label = "logs"
        if query.get("execution"):
            found = execution_uuid(conn, query["execution"])
            if found is None:
                return None
            filters["execution_id"] = found[0]
            label = f"logs of {found[1]}"
        # the link's query names -> the logs page's filter keys
        if query.get("level"):
            filters["min_level"] = query["level"]
        if query.get("text"):
            filters["text"] = query["text"]
        if query.get("range"):
            filters["time_range"] = query["range"]
        if query.get("from"):
            filters["time_from"] = query["from"]
        if query.get("to"):
            filters["time_to"] = query["to"]
        line = _uuid(query.get("line") or "") if query.get("line") else None
        if query.get("line"):
            row = None
            if line is not None:
                row = conn.execute(
                    text("SELECT created_at FROM execution_logs WHERE id = :i"), {"i": line}
                ).first()
            if row is None:
                return None
            # The line's own instant keeps it inside the first window of the page.
            filters.pop("time_range", None)
            filters["time_from"] = row[0].isoformat()
            filters["time_to"] = (row[0] + timedelta(microseconds=1)).isoformat()
        return LinkTarget("logs", filters, line, label)
    return None
