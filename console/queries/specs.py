"""What each table page reads: named columns, joins, sort keys and its filter builder.

Columns are always named: ``credentials_encrypted`` is never selected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from console.queries import filters as f
from models.vocab import LOG_LEVELS

SortKind = Literal["time", "text"]  # how a sort value is read: a timestamp, else text


@dataclass(frozen=True)
class SortKey:
    """A column a window can be ordered by, served by an index of the schema."""

    expr: str  # SQL expression, e.g. "l.created_at"
    kind: SortKind
    stats_table: str  # for pg_stats histogram lookups
    stats_column: str
    descending: bool = True  # the natural direction when the operator picks it
    # Few distinct values (a status, a level) or NULLs: an index on the column alone
    # cannot serve ``ORDER BY key, id`` (each tie group would be sorted whole), so the
    # window is read group by group: ``key = value ORDER BY id`` (console.queries.keyset).
    grouped: bool = False
    # A vocabulary ordered by meaning, not spelling (log levels by severity, ascending):
    # read group by group in this order; values outside it are not expected (CHECK).
    ranks: tuple[str, ...] = ()

    @property
    def order_expr(self) -> str:
        """What ``ORDER BY`` sorts on (the rank of a ranked vocabulary)."""
        if not self.ranks:
            return self.expr
        values = ", ".join("'" + v.replace("'", "''") + "'" for v in self.ranks)
        return f"array_position(ARRAY[{values}]::text[], {self.expr}::text)"


@dataclass(frozen=True)
class TableSpec:
    key: str  # page key
    table: str
    alias: str
    columns: tuple[tuple[str, str], ...]  # (output name, SQL expression)
    from_sql: str
    where: Callable[[f.TableFilters, str], f.Where]
    sort_keys: dict[str, SortKey]
    default_sort: str
    # Only these columns are read for estimates and counts (no joins needed there).
    count_from: str = ""

    @property
    def id_expr(self) -> str:
        return f"{self.alias}.id"

    def select_list(self) -> str:
        return ", ".join(f"{expr} AS {name}" for name, expr in self.columns)

    def base_from(self) -> str:
        return self.count_from or f"{self.table} {self.alias}"


WORKFLOWS = TableSpec(
    key="workflows",
    table="workflows",
    alias="w",
    columns=(
        ("id", "w.id"),
        ("name", "w.name"),
        ("status", "w.status"),
        ("description", "left(w.description, 300)"),
        ("created_by", "w.created_by"),
        ("created_at", "w.created_at"),
        ("updated_at", "w.updated_at"),
    ),
    from_sql="workflows w",
    where=f.workflows_where,
    sort_keys={
        "created_at": SortKey("w.created_at", "time", "workflows", "created_at"),
        "name": SortKey("w.name", "text", "workflows", "name", descending=False),
        # a small table: any NOT NULL column is a cheap order
        "status": SortKey("w.status", "text", "workflows", "status", descending=False),
        "updated_at": SortKey("w.updated_at", "time", "workflows", "updated_at"),
        "created_by": SortKey(
            "w.created_by", "text", "workflows", "created_by", descending=False, grouped=True
        ),
    },
    default_sort="name",
)

EXECUTIONS = TableSpec(
    key="executions",
    table="workflow_executions",
    alias="e",
    columns=(
        ("id", "e.id"),
        ("execution_id", "e.execution_id"),
        ("workflow_name", "w.name"),
        ("status", "e.status"),
        ("started_at", "e.started_at"),
        ("completed_at", "e.completed_at"),
        ("duration_s", "EXTRACT(EPOCH FROM (e.completed_at - e.started_at))"),
        ("trigger_type", "e.trigger_type"),
        ("retry_count", "e.retry_count"),
        ("error_message", "left(e.error_message, 300)"),
        ("workflow_id", "e.workflow_id"),
        ("parent_execution_id", "e.parent_execution_id"),
    ),
    from_sql="workflow_executions e LEFT JOIN workflows w ON w.id = e.workflow_id",
    where=f.executions_where,
    sort_keys={
        "started_at": SortKey("e.started_at", "time", "workflow_executions", "started_at"),
        "execution_id": SortKey("e.execution_id", "text", "workflow_executions", "execution_id"),
        # idx_workflow_executions_status / _trigger_type
        "status": SortKey(
            "e.status", "text", "workflow_executions", "status", descending=False, grouped=True
        ),
        "trigger_type": SortKey(
            "e.trigger_type",
            "text",
            "workflow_executions",
            "trigger_type",
            descending=False,
            grouped=True,
        ),
    },
    default_sort="started_at",
)

LOGS = TableSpec(
    key="logs",
    table="execution_logs",
    alias="l",
    columns=(
        ("id", "l.id"),
        ("created_at", "l.created_at"),
        ("level", "l.level"),
        ("execution_label", "e.execution_id"),
        ("step_name", "l.step_name"),
        ("message", "left(l.message, 500)"),
        ("execution_id", "l.execution_id"),
        ("action_id", "l.action_id"),
    ),
    from_sql="execution_logs l LEFT JOIN workflow_executions e ON e.id = l.execution_id",
    where=f.logs_where,
    sort_keys={
        "created_at": SortKey("l.created_at", "time", "execution_logs", "created_at"),
        # idx_execution_logs_level
        "level": SortKey(
            "l.level", "text", "execution_logs", "level", grouped=True, ranks=LOG_LEVELS
        ),
    },
    default_sort="created_at",
)

_QUEUE = (
    "(SELECT integration_id,"
    " count(*) FILTER (WHERE status = 'pending') AS pending,"
    " count(*) FILTER (WHERE status = 'processing') AS processing"
    " FROM integration_events WHERE status IN ('pending', 'processing')"
    " GROUP BY integration_id) q"
)

INTEGRATIONS = TableSpec(
    key="integrations",
    table="integrations",
    alias="i",
    columns=(
        ("id", "i.id"),
        ("name", "i.name"),
        ("type", "i.type"),
        ("enabled", "i.enabled"),
        ("health_status", "i.health_status"),
        ("last_health_check", "i.last_health_check"),
        ("pending", "COALESCE(q.pending, 0)"),
        ("processing", "COALESCE(q.processing, 0)"),
        ("updated_at", "i.updated_at"),
    ),
    from_sql=f"integrations i LEFT JOIN {_QUEUE} ON q.integration_id = i.id",
    where=f.integrations_where,
    sort_keys={
        "name": SortKey("i.name", "text", "integrations", "name", descending=False),
        "type": SortKey("i.type", "text", "integrations", "type", descending=False),
        "health_status": SortKey(
            "i.health_status", "text", "integrations", "health_status", descending=False
        ),
        # a small table: any column is a cheap order (NULLs and booleans group by group)
        "enabled": SortKey("i.enabled", "text", "integrations", "enabled", grouped=True),
        "last_health_check": SortKey(
            "i.last_health_check", "time", "integrations", "last_health_check", grouped=True
        ),
    },
    default_sort="name",
)

EVENTS = TableSpec(
    key="events",
    table="integration_events",
    alias="v",
    columns=(
        ("id", "v.id"),
        ("created_at", "v.created_at"),
        ("integration_name", "i.name"),
        ("integration_type", "i.type"),
        ("event_type", "v.event_type"),
        ("event_id", "v.event_id"),
        ("status", "v.status"),
        ("retry_count", "v.retry_count"),
        ("processed_at", "v.processed_at"),
        ("error_message", "left(v.error_message, 300)"),
        ("integration_id", "v.integration_id"),
    ),
    from_sql="integration_events v LEFT JOIN integrations i ON i.id = v.integration_id",
    where=f.events_where,
    sort_keys={
        "created_at": SortKey("v.created_at", "time", "integration_events", "created_at"),
        # idx_integration_events_status / _type
        "status": SortKey(
            "v.status", "text", "integration_events", "status", descending=False, grouped=True
        ),
        "event_type": SortKey(
            "v.event_type",
            "text",
            "integration_events",
            "event_type",
            descending=False,
            grouped=True,
        ),
    },
    default_sort="created_at",
)

SPECS: dict[str, TableSpec] = {
    s.key: s for s in (WORKFLOWS, EXECUTIONS, LOGS, INTEGRATIONS, EVENTS)
}
