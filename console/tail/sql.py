"""The SQL of the live tail (raw psycopg; parameters in ``%(name)s`` style).

``xmin`` is a 32-bit transaction id; ``XID8`` widens it against the snapshot's
``xmax`` (the next id to be assigned): the row's id is the largest 64-bit id
below ``xmax`` with those low 32 bits.  Every row visible in the snapshot was
written by an id below ``xmax``, so this is exact for rows younger than 2^32
transactions, and the ``created_at`` floor keeps older rows out of every fetch.
"""

from __future__ import annotations

from models.vocab import EXECUTION_ACTIVE_STATUSES, sql_in_list

ACTIVE = sql_in_list(EXECUTION_ACTIVE_STATUSES)

CHANNEL = "autopr_execution_logs"

# The oldest transaction start in this database, read *before* the fetch's snapshot,
# and the transactions older than the look-back cap (``%(cut_s)s`` seconds; NULL: no cap).
FLOOR = """
SELECT clock_timestamp() AS now,
       min(a.xact_start) AS oldest,
       count(*) FILTER (WHERE a.state IS NULL AND a.backend_type = 'client backend') AS hidden,
       pg_is_in_recovery() AS standby,
       coalesce(array_agg(a.pid) FILTER (WHERE a.xact_start < clock_timestamp()
                - %(cut_s)s * interval '1 second'), '{}') AS long_pids,
       coalesce(array_agg(a.xact_start) FILTER (WHERE a.xact_start < clock_timestamp()
                - %(cut_s)s * interval '1 second'), '{}') AS long_starts
FROM pg_stat_activity AS a
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
"""

# Run after a fetch's snapshot is taken (the activity view is read once per transaction,
# at its first use): which of the long transactions are still the same ones.
STILL_OPEN = "SELECT pid, xact_start FROM pg_stat_activity WHERE pid = ANY(%(pids)s)"

# First statement of each REPEATABLE READ fetch: fixes the snapshot.
HEAD = """
SELECT pg_current_snapshot()::text AS snap,
       e.status, e.started_at, e.completed_at, clock_timestamp() AS now
FROM (SELECT 1) AS one
LEFT JOIN workflow_executions AS e ON e.id = %(execution)s
"""

_NEXT = "pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
XID8 = (
    f"({_NEXT} - ((({_NEXT} %% 4294967296) - l.xmin::text::bigint + 4294967295) %% 4294967296) - 1)"
)

COLUMNS = (
    "c.id, c.execution_id, e.execution_id AS execution_code, c.created_at, c.level, "
    "c.message, c.step_name, c.action_id, c.log_metadata"
)


def _filters(execution: bool, levels: bool) -> str:
    parts = []
    if execution:
        parts.append("AND l.execution_id = %(execution)s")
    if levels:
        parts.append("AND l.level = ANY(%(levels)s)")
    return " ".join(parts)


def fetch_new(execution: bool, levels: bool) -> str:
    """Rows that may be new since snapshot ``prev`` (see ``tracker``), oldest first."""
    return f"""
WITH fin AS MATERIALIZED (
    SELECT coalesce(min(x::text::bigint), 9223372036854775807) AS f
    FROM pg_snapshot_xip(%(prev)s::pg_snapshot) AS x
    WHERE pg_visible_in_snapshot(x, pg_current_snapshot())
), c AS (
    SELECT l.id, l.execution_id, l.created_at, l.level, l.message, l.step_name,
           l.action_id, l.log_metadata, {XID8} AS xid
    FROM execution_logs AS l
    WHERE l.created_at >= %(floor)s {_filters(execution, levels)}
)
SELECT {COLUMNS}, c.xid,
       NOT pg_visible_in_snapshot(c.xid::text::xid8, %(prev)s::pg_snapshot) AS fresh
FROM c CROSS JOIN fin
LEFT JOIN workflow_executions AS e ON e.id = c.execution_id
WHERE c.xid >= %(horizon)s
  AND (NOT pg_visible_in_snapshot(c.xid::text::xid8, %(prev)s::pg_snapshot)
       OR c.xid > CASE WHEN %(blind)s THEN %(horizon)s - 1 ELSE fin.f END)
ORDER BY c.created_at, c.id
"""


def seed(execution: bool, levels: bool) -> str:
    """Ids of visible rows at or past the horizon: already delivered as history (or skipped)."""
    return f"""
SELECT l.id, {XID8} AS xid
FROM execution_logs AS l
WHERE l.created_at >= %(floor)s {_filters(execution, levels)}
  AND {XID8} >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint
"""


def history(execution: bool, levels: bool, running: bool, newest: int | None) -> str:
    """Lines visible now from ``%(since)s`` and after key ``%(after_at)s, %(after_id)s``.

    ``newest``: only the newest N of them.  Oldest first, with their widened xid.
    """
    where = [
        "l.created_at >= %(since)s",
        "(l.created_at, l.id) > (%(after_at)s, %(after_id)s)",
    ]
    if execution:
        where.append("l.execution_id = %(execution)s")
    if levels:
        where.append("l.level = ANY(%(levels)s)")
    if running:
        where.append(
            f"l.execution_id IN (SELECT id FROM workflow_executions WHERE status IN {ACTIVE})"
        )
    cond = " AND ".join(where)
    inner = f"SELECT l.*, {XID8} AS xid FROM execution_logs AS l WHERE {cond}"
    if newest is not None:
        inner += f" ORDER BY l.created_at DESC, l.id DESC LIMIT {int(newest)}"
    return f"""
SELECT {COLUMNS}, c.xid
FROM ({inner}) AS c
LEFT JOIN workflow_executions AS e ON e.id = c.execution_id
ORDER BY c.created_at, c.id
"""


def older(execution: bool, levels: bool, limit: int) -> str:
    """A page of lines before ``(%(before_at)s, %(before_id)s)``, oldest first."""
    cond = ["(l.created_at, l.id) < (%(before_at)s, %(before_id)s)"]
    if execution:
        cond.append("l.execution_id = %(execution)s")
    else:
        cond.append("l.execution_id = ANY(%(executions)s)")
    if levels:
        cond.append("l.level = ANY(%(levels)s)")
    return f"""
SELECT {COLUMNS}
FROM (SELECT l.* FROM execution_logs AS l WHERE {" AND ".join(cond)}
      ORDER BY l.created_at DESC, l.id DESC LIMIT {int(limit)}) AS c
LEFT JOIN workflow_executions AS e ON e.id = c.execution_id
ORDER BY c.created_at, c.id
"""


RESOLVE_BY_ID = "SELECT id, execution_id, status FROM workflow_executions WHERE id = %(key)s"
RESOLVE_BY_CODE = (
    "SELECT id, execution_id, status FROM workflow_executions WHERE execution_id = %(key)s LIMIT 2"
)
# The range lets uq_execution_id serve the prefix (see queries.filters.prefix_range).
RESOLVE_BY_PREFIX = (
    "SELECT id, execution_id, status FROM workflow_executions "
    "WHERE execution_id LIKE %(like)s AND execution_id >= %(lo)s "
    "AND (%(hi)s::text IS NULL OR execution_id < %(hi)s) ORDER BY execution_id LIMIT 4"
)

RUNNING_EXECUTIONS = f"""
SELECT e.id, e.execution_id, e.status, e.started_at, w.name
FROM workflow_executions AS e LEFT JOIN workflows AS w ON w.id = e.workflow_id
WHERE e.status IN {ACTIVE}
ORDER BY e.started_at DESC
LIMIT %(limit)s
"""
