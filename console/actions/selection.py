"""Everything matching a page's filter, as bulk items with what was seen of each.

The filter dictionary (``console/ui/pages.py`` vocabulary) becomes SQL through
the query layer's builders, so "matching the current filter" means exactly
what the page shows.  The confirmation states ``len(items)``; the bulk then
acts on exactly those rows, each checked against the state captured here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from console.actions.errors import INVALID, ActionError, BulkItem

MAX_BULK = 50_000  # past this, ask the operator to narrow the filter

# page key -> (table alias SQL, columns kept as "seen", order)
_SOURCES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "executions": (
        "workflow_executions e",
        ("status", "completed_at", "retry_count"),
        "e.started_at DESC, e.id DESC",
    ),
    "events": (
        "integration_events v",
        ("status", "retry_count", "processed_at"),
        "v.created_at DESC, v.id DESC",
    ),
}


def matching_items(engine: Engine, page: str, filters: dict[str, Any]) -> list[BulkItem]:
    """The rows of ``page`` ("executions" or "events") matching ``filters``; read-only."""
    from console.queries import filters as qf

    if page not in _SOURCES:
        raise ActionError(INVALID, f"bulk actions by filter are not offered on {page}")
    source, seen_cols, order = _SOURCES[page]
    alias = source.split()[1]
    build = qf.executions_where if page == "executions" else qf.events_where
    try:
        where = build(qf.normalized(filters), alias)
    except qf.FilterError as exc:
        raise ActionError(INVALID, f"filter {exc.field}: {exc}") from None
    cols = ", ".join(f"{alias}.{c}" for c in ("id", *seen_cols))
    sql = f"SELECT {cols} FROM {source} WHERE {where.sql()} ORDER BY {order} LIMIT :cap"
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {**where.params, "cap": MAX_BULK + 1}).mappings().all()
    if len(rows) > MAX_BULK:
        raise ActionError(
            INVALID, f"more than {MAX_BULK:,} rows match; narrow the filter for a bulk action"
        )
    return [BulkItem(str(r["id"]), {c: r[c] for c in seen_cols}) for r in rows]
