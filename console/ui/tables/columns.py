"""Column specs of the five tables and the formatting of a fetched row into display text.

Formatting runs on the worker thread with the rows it fetched, so ``data()``
only returns strings it already has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from console.ui import timefmt
from console.ui.plain import plain_tip

ColumnKind = Literal[
    "text", "id", "ago", "clock", "status", "health", "level", "duration", "bool", "int"
]


@dataclass(frozen=True)
class Column:
    name: str  # key in the fetched row
    header: str
    kind: ColumnKind = "text"
    width: int = 120
    sort: str | None = None  # sort key name (console.queries.specs) when sortable
    stretch: bool = False  # takes the width left over (the column people read: a message)
    min_width: int = 0  # never narrower (ids are elided in the middle down to this)


def _text(value: Any, kind: ColumnKind) -> str:
    if value is None:
        return ""
    if kind == "ago":
        return timefmt.relative(value)
    if kind == "clock":
        return timefmt.clock(value)
    if kind == "duration":
        return timefmt.duration(float(value))
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "int":
        return f"{int(value):,}"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text.replace("\n", " ⏎ ") if "\n" in text else text


def format_row(row: dict[str, Any], columns: tuple[Column, ...]) -> tuple[tuple[str, ...], None]:
    """Display strings of one row (tooltips are made on first hover by :func:`tooltips`)."""
    return tuple(_text(row.get(col.name), col.kind) for col in columns), None


def export_cells(row: dict[str, Any], columns: tuple[Column, ...], texts: tuple) -> list[str]:
    """Cells for copy and export: what the table shows, but times as ISO 8601 timestamps
    (not "42 s ago") and durations in seconds."""
    out = []
    for col, text in zip(columns, texts, strict=False):
        value = row.get(col.name)
        if isinstance(value, datetime):
            out.append(value.isoformat())
        elif col.kind == "duration" and value is not None:
            out.append(f"{float(value):.3f}")
        else:
            out.append(text)
    return out


def tooltips(row: dict[str, Any], columns: tuple[Column, ...]) -> tuple[str | None, ...]:
    """Tooltips of one row: exact times, and long texts in full."""
    tips: list[str | None] = []
    for col in columns:
        value = row.get(col.name)
        if isinstance(value, datetime):
            tips.append(timefmt.tooltip(value))
        elif col.kind == "text" and isinstance(value, str) and len(value) > 60:
            tips.append(plain_tip(value[:2000]))  # database text: never rich text
        else:
            tips.append(None)
    return tuple(tips)


def json_value(value: Any) -> Any:
    """A JSON-ready form of a fetched value (UUIDs, times and decimals as text/numbers)."""
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    try:
        return float(value) if hasattr(value, "as_tuple") else str(value)
    except (TypeError, ValueError):
        return str(value)


WORKFLOWS = (
    Column("name", "Name", width=220, sort="name"),
    Column("status", "Status", "status", 100, sort="status"),
    Column("created_by", "Created by", width=110, sort="created_by"),
    Column("created_at", "Created", "ago", 110, sort="created_at"),
    Column("updated_at", "Updated", "ago", 110, sort="updated_at"),
    Column("description", "Description", width=300),
)

EXECUTIONS = (
    Column("execution_id", "Execution", "id", 220, sort="execution_id", min_width=130),
    Column("workflow_name", "Workflow", width=180),
    Column("status", "Status", "status", 100, sort="status"),
    Column("started_at", "Started", "ago", 100, sort="started_at"),
    Column("duration_s", "Duration", "duration", 90),
    Column("trigger_type", "Trigger", width=80, sort="trigger_type"),
    Column("retry_count", "Retries", "int", 60),
    Column("error_message", "Error", width=300),
)

LOGS = (
    Column("created_at", "Time", "clock", 100, sort="created_at", min_width=80),
    Column("level", "Level", "level", 76, sort="level", min_width=60),
    Column("message", "Message", width=400, stretch=True, min_width=160),
    Column("execution_label", "Execution", "id", 170, min_width=110),
    Column("step_name", "Step", width=110),
)
# An execution's own logs (its detail pane): no Execution column.
EXECUTION_LOGS = tuple(c for c in LOGS if c.name != "execution_label")

INTEGRATIONS = (
    Column("name", "Name", width=200, sort="name"),
    Column("type", "Type", width=90, sort="type"),
    Column("enabled", "Enabled", "bool", 70, sort="enabled"),
    Column("health_status", "Health", "health", 100, sort="health_status"),
    Column("last_health_check", "Last check", "ago", 110, sort="last_health_check"),
    Column("pending", "Pending", "int", 70),
    Column("processing", "Processing", "int", 80),
)

EVENTS = (
    Column("created_at", "Received", "ago", 110, sort="created_at"),
    Column("integration_name", "Integration", width=160),
    Column("event_type", "Event type", width=190, sort="event_type"),
    Column("event_id", "Event id", "id", 120, min_width=90),
    Column("status", "Status", "status", 100, sort="status"),
    Column("retry_count", "Retries", "int", 60),
    Column("processed_at", "Processed", "ago", 110),
    Column("error_message", "Error", width=260),
)

# An integration's own events (its detail pane): why it fails comes first.
_BY_NAME = {c.name: c for c in EVENTS}
INTEGRATION_EVENTS = tuple(
    _BY_NAME[name]
    for name in ("status", "error_message", "created_at", "event_type", "retry_count", "event_id")
)
