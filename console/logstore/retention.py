"""Retention of ``execution_logs``: remove the lines older than a cut.

Where the table is partitioned by month, every partition wholly before the cut
is dropped (a catalog change, whatever its size); partitions
straddling the cut, the legacy partition and a plain table lose their old
lines by batched deletes, each batch its own short transaction.  Lines of
executions still pending or running are never touched: a partition holding
any is emptied by batches around them instead of dropped.

Every removal goes through the action layer's :func:`perform`: the write
guard decides first, and each drop or batch writes its audit row in the same
transaction as the change.

A partition is dropped directly, not detached first: DETACH turns the
partition's foreign keys into constraints of its own, with triggers on
``workflow_executions`` and ``workflow_actions``, and dropping it then takes an
ACCESS EXCLUSIVE lock on both of those tables (waiting behind every reader and
writer of the engine's busiest tables, and behind autovacuum until it is
cancelled).  ``DROP TABLE`` of an attached partition removes only its own
inherited constraints: the only lock beyond the partition is the one on
``execution_logs``.

The confirmation's figures: bytes are the partition's exact on-disk size
(``pg_total_relation_size``: a drop frees all of it).  Rows of a large
partition (at least :data:`ESTIMATE_FROM_ROWS` by the statistics) are the
planner's estimate (``reltuples`` scaled to the table's current size, as the
planner does), said as "about"; smaller ones are counted exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, text

from console.actions.context import ActionContext
from console.actions.errors import ActionResult
from console.actions.tx import Tx, perform
from console.logstore.layout import TABLE, Partition, read_layout
from models.vocab import EXECUTION_ACTIVE_STATUSES, sql_in_list

ACTIVE = sql_in_list(EXECUTION_ACTIVE_STATUSES)
BATCH_ROWS = 20_000
# From this many rows (by the statistics) a partition's count is estimated, not counted:
# counting a month of millions of lines costs more than dropping it.
ESTIMATE_FROM_ROWS = 100_000
LOCK_TIMEOUT = "5s"
Progress = Callable[[str], None]

_AGE = re.compile(r"^\s*(\d+)\s*(d|day|days|w|week|weeks|h|hour|hours)\s*$", re.I)


class RetentionError(ValueError):
    """Bad input for a retention run (one line for the operator)."""


def parse_age(value: str) -> timedelta:
    """``90d``, ``12w``, ``36h`` → a timedelta (at least one hour, at most 100 years)."""
    m = _AGE.match(value or "")
    if not m:
        raise RetentionError(f"--older-than {value!r}: give a number of days (90d), weeks or hours")
    n, unit = int(m.group(1)), m.group(2)[0].lower()
    hours = n * {"d": 24, "w": 24 * 7, "h": 1}[unit]
    if hours < 1 or hours > 24 * 366 * 100:
        raise RetentionError(f"--older-than {value!r}: between 1 hour and 100 years")
    return timedelta(hours=hours)


@dataclass(frozen=True)
class Removal:
    table: str
    rows: int
    bytes: int
    whole: bool  # drop the partition rather than delete rows from it
    estimated: bool = False  # rows from the table statistics, not counted


@dataclass
class RetentionPlan:
    cut: datetime
    partitioned: bool
    removals: list[Removal] = field(default_factory=list)
    kept_active: int = 0  # lines older than the cut kept because their execution is active

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.removals)

    @property
    def bytes(self) -> int:
        return sum(r.bytes for r in self.removals)

    @property
    def estimated(self) -> bool:
        return any(r.estimated for r in self.removals)

    def summary(self) -> str:
        drops = [r for r in self.removals if r.whole]
        deletes = [r for r in self.removals if not r.whole and r.rows]
        parts = []
        if drops:
            parts.append(f"drop {len(drops)} partition(s) ({', '.join(r.table for r in drops)})")
        if deletes:
            parts.append(f"delete in batches from {', '.join(r.table for r in deletes)}")
        how = "; ".join(parts) or "nothing to remove"
        kept = (
            f"; {self.kept_active:,} older lines of pending/running executions are kept"
            if self.kept_active
            else ""
        )
        about = "about " if self.estimated else ""
        return (
            f"remove {about}{self.rows:,} log lines older than {self.cut:%Y-%m-%d %H:%M} UTC, "
            f"freeing about {_size(self.bytes)}: {how}{kept}"
        )

    def details(self) -> str:
        """The confirmation's explanation (the question names the count already)."""
        return (
            f"Every line older than {self.cut:%Y-%m-%d %H:%M} UTC; frees about "
            f"{_size(self.bytes)}. {self.summary().split(': ', 1)[1].capitalize()}. "
            + (
                "The line count of the largest partitions is estimated from the table "
                "statistics (counting them would take longer than dropping them). "
                if self.estimated
                else ""
            )
            + "Each drop or batch is its own transaction with its audit row."
        )


@dataclass
class RetentionReport:
    plan: RetentionPlan
    dropped: list[str] = field(default_factory=list)
    deleted_rows: int = 0
    dropped_rows: int = 0
    audit_rows: int = 0

    @property
    def estimated(self) -> bool:
        """Whether ``dropped_rows`` holds estimates (see :data:`ESTIMATE_FROM_ROWS`)."""
        return any(r.estimated for r in self.plan.removals if r.table in self.dropped)


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} TiB"


def _count_old(conn: Connection, table: str, cut: datetime) -> tuple[int, int, int]:
    """(removable, kept because active, bytes of the removable rows) older than the cut."""
    row = conn.execute(
        text(
            f"SELECT count(*) FILTER (WHERE e.status IS NULL OR e.status NOT IN {ACTIVE}),"
            f" count(*) FILTER (WHERE e.status IN {ACTIVE}),"
            " coalesce(sum(pg_column_size(l.*))"
            f" FILTER (WHERE e.status IS NULL OR e.status NOT IN {ACTIVE}), 0)"
            f' FROM "{table}" l LEFT JOIN workflow_executions e ON e.id = l.execution_id'
            " WHERE l.created_at < :cut"
        ),
        {"cut": cut},
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def _bytes_per_row(conn: Connection, table: str) -> float:
    row = conn.execute(
        text(
            "SELECT pg_total_relation_size(oid), greatest(reltuples, 0) FROM pg_class "
            "WHERE oid = to_regclass(:t)"
        ),
        {"t": table},
    ).one()
    return float(row[0]) / float(row[1]) if row[1] else 0.0


def _partition_rows(conn: Connection, table: str) -> tuple[int, bool]:
    """(rows, estimated): the planner's estimate for a large analysed partition, else a count."""
    estimate = conn.execute(
        text(
            "SELECT CASE WHEN c.reltuples >= 0 AND c.relpages > 0 THEN c.reltuples / c.relpages"
            " * (pg_relation_size(c.oid) / current_setting('block_size')::int) END"
            " FROM pg_class c WHERE c.oid = to_regclass(:t)"
        ),
        {"t": table},
    ).scalar()
    if estimate is not None and estimate >= ESTIMATE_FROM_ROWS:
        return round(float(estimate)), True
    return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()), False


def _has_active_lines(conn: Connection, table: str) -> bool:
    return bool(
        conn.execute(
            text(
                f"SELECT EXISTS (SELECT 1 FROM workflow_executions e WHERE e.status IN {ACTIVE}"
                f' AND EXISTS (SELECT 1 FROM "{table}" l WHERE l.execution_id = e.id))'
            )
        ).scalar()
    )


def make_plan(conn: Connection, older_than: timedelta) -> RetentionPlan:
    now = conn.execute(text("SELECT now()")).scalar_one().astimezone(UTC)
    cut = now - older_than
    raw = conn.connection.driver_connection
    assert raw is not None  # a live pooled connection has its psycopg connection
    layout = read_layout(raw)
    plan = RetentionPlan(cut=cut, partitioned=layout.partitioned)
    tables: list[str] = []
    if not layout.partitioned:
        tables = [TABLE]
    else:
        for p in layout.partitions:
            if _wholly_before(p, cut) and not _has_active_lines(conn, p.name):
                rows, estimated = _partition_rows(conn, p.name)
                plan.removals.append(Removal(p.name, rows, p.bytes, True, estimated))
            elif p.default or p.lower is None or p.lower < cut:
                tables.append(p.name)
    for table in tables:
        rows, kept, row_bytes = _count_old(conn, table, cut)
        plan.kept_active += kept
        if rows:
            # the table's size per row counts its indexes too; unanalysed, the rows' own size
            per_row = _bytes_per_row(conn, table)
            size = int(rows * per_row) if per_row else row_bytes
            plan.removals.append(Removal(table, rows, size, whole=False))
    return plan


def _wholly_before(p: Partition, cut: datetime) -> bool:
    return not p.default and p.upper is not None and p.upper <= cut


def apply_plan(
    ctx: ActionContext,
    plan: RetentionPlan,
    *,
    confirmed: bool,
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
) -> RetentionReport:
    """Carry the plan out through the write guard; raises ActionError when refused."""
    say = progress or (lambda msg: None)
    report = RetentionReport(plan)
    ctx.check_may_write(needs_confirmation=True, confirmed=confirmed)
    for removal in plan.removals:
        if removal.whole:
            result = perform(
                ctx,
                _drop_step(removal.table, plan.cut, removal.rows, removal.estimated),
                needs_confirmation=True,
                confirmed=confirmed,
            )
            report.audit_rows += 1
            if result.after and result.after.get("dropped"):
                report.dropped.append(removal.table)
                report.dropped_rows += int(result.after["rows"])
                about = "about " if removal.estimated else ""
                say(f"  dropped {removal.table} ({about}{int(result.after['rows']):,} rows)")
                continue
            say(f"  {removal.table} now holds lines of active executions: deleting in batches")
        done = 0
        while True:
            result = perform(
                ctx,
                _delete_step(removal.table, plan.cut, batch_rows),
                needs_confirmation=True,
                confirmed=confirmed,
            )
            report.audit_rows += 1
            n = int((result.after or {}).get("deleted", 0))
            done += n
            report.deleted_rows += n
            say(f"  {removal.table}: {done:,} of ~{removal.rows:,} lines deleted")
            if n < batch_rows:
                break
    return report


def _drop_step(
    table: str, cut: datetime, rows: int, estimated: bool = False
) -> Callable[[Tx], ActionResult]:
    """Drop a partition (directly: see the module's note on DETACH); ``rows`` is the plan's
    figure (not counted again: at millions of lines a month a count costs more than the drop)."""

    def step(tx: Tx) -> ActionResult:
        conn = tx.conn
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        conn.execute(text(f'LOCK TABLE "{TABLE}" IN ACCESS EXCLUSIVE MODE'))
        if _has_active_lines(conn, table):  # a retry revived one since the plan was made
            audit = tx.audit("logs.retain", TABLE, table, None, {"dropped": False})
            return ActionResult("logs.retain", TABLE, table, table, "kept", audit, None, {})
        conn.execute(text(f'DROP TABLE "{table}"'))
        after = {
            "dropped": True,
            "rows": rows,
            "rows_estimated": estimated,
            "older_than": cut.isoformat(),
        }
        audit = tx.audit("logs.retain", TABLE, table, {"partition": table, "rows": rows}, after)
        return ActionResult(
            "logs.retain", TABLE, table, table, f"dropped {table}", audit, None, after
        )

    return step


def _delete_step(table: str, cut: datetime, limit: int) -> Callable[[Tx], ActionResult]:
    def step(tx: Tx) -> ActionResult:
        deleted = tx.conn.execute(
            text(
                f'WITH batch AS (SELECT l.id, l.created_at FROM "{table}" l'
                " WHERE l.created_at < :cut AND NOT EXISTS (SELECT 1 FROM workflow_executions e"
                f" WHERE e.id = l.execution_id AND e.status IN {ACTIVE})"
                " ORDER BY l.created_at LIMIT :n)"
                f' DELETE FROM "{table}" d USING batch b'
                " WHERE d.id = b.id AND d.created_at = b.created_at"
            ),
            {"cut": cut, "n": limit},
        ).rowcount
        after = {"deleted": int(deleted), "older_than": cut.isoformat()}
        audit = tx.audit("logs.retain", TABLE, table, None, after)
        return ActionResult(
            "logs.retain",
            TABLE,
            table,
            table,
            f"deleted {deleted} from {table}",
            audit,
            None,
            after,
        )

    return step
