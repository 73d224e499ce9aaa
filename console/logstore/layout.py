"""How ``execution_logs`` is stored: one plain table, or a parent range-partitioned by month.

Partition bounds are read from the catalog (``pg_get_expr(relpartbound)``) in
UTC: every connection of this package sets ``TimeZone = 'UTC'`` so that month
boundaries and the text of the bounds agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from console.db.engine import maintenance_connect

TABLE = "execution_logs"
LEGACY = "execution_logs_legacy"
DEFAULT = "execution_logs_default"

PARTITIONS = """
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound,
       greatest(c.reltuples, 0)::bigint AS rows, pg_total_relation_size(c.oid) AS bytes
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = to_regclass(%(t)s)
ORDER BY c.relname
"""

_BOUND = re.compile(r"FROM \((MINVALUE|'[^']*')\) TO \((MAXVALUE|'[^']*')\)")


@dataclass(frozen=True)
class Partition:
    name: str
    lower: datetime | None  # None: MINVALUE (or the default partition)
    upper: datetime | None  # None: MAXVALUE (or the default partition)
    rows: int  # planner estimate
    bytes: int
    default: bool = False


@dataclass
class Layout:
    exists: bool
    partitioned: bool
    key: str = ""  # pg_get_partkeydef, e.g. "RANGE (created_at)"
    partitions: list[Partition] = field(default_factory=list)

    @property
    def by_month_on_created_at(self) -> bool:
        return self.key.replace(" ", "").upper() == "RANGE(CREATED_AT)"

    @property
    def ranged(self) -> list[Partition]:
        return sorted(
            (p for p in self.partitions if not p.default),
            key=lambda p: p.lower or datetime.min.replace(tzinfo=UTC),
        )

    @property
    def upper_bound(self) -> datetime | None:
        """The end of the last ranged partition (None without any)."""
        uppers = [p.upper for p in self.ranged if p.upper is not None]
        return max(uppers) if uppers else None

    def describe(self) -> str:
        if not self.exists:
            return f"{TABLE} does not exist"
        if not self.partitioned:
            return f"{TABLE} is a plain table"
        return f"{TABLE} is partitioned by {self.key} into {len(self.partitions)} partitions"


def _parse_time(text: str) -> datetime | None:
    if text in ("MINVALUE", "MAXVALUE"):
        return None
    return datetime.fromisoformat(text.strip("'")).astimezone(UTC)


def parse_bound(bound: str) -> tuple[datetime | None, datetime | None, bool]:
    """(lower, upper, is_default) of a ``FOR VALUES FROM (...) TO (...)`` text."""
    if bound.strip().upper() == "DEFAULT":
        return None, None, True
    m = _BOUND.search(bound)
    if not m:
        raise ValueError(f"unexpected partition bound: {bound}")
    return _parse_time(m.group(1)), _parse_time(m.group(2)), False


def read_layout(conn: psycopg.Connection, table: str = TABLE) -> Layout:
    row = conn.execute(
        "SELECT c.relkind, CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END "
        "FROM pg_class c WHERE c.oid = to_regclass(%(t)s)",
        {"t": table},
    ).fetchone()
    if row is None:
        return Layout(exists=False, partitioned=False)
    if row[0] != "p":
        return Layout(exists=True, partitioned=False)
    parts = []
    for name, bound, rows, size in conn.execute(PARTITIONS, {"t": table}):
        lower, upper, default = parse_bound(bound)
        parts.append(Partition(name, lower, upper, int(rows), int(size), default))
    return Layout(exists=True, partitioned=True, key=row[1] or "", partitions=parts)


def month_start(t: datetime) -> datetime:
    t = t.astimezone(UTC)
    return datetime(t.year, t.month, 1, tzinfo=UTC)


def add_months(t: datetime, n: int) -> datetime:
    index = t.year * 12 + (t.month - 1) + n
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def month_name(start: datetime) -> str:
    return f"{TABLE}_p{start:%Y%m}"


def one(cursor: psycopg.Cursor[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The row of a statement that always answers one (an aggregate, a catalog lookup)."""
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("the server answered no row where one was expected")
    return row


def connect(
    conninfo: str, application_name: str, *, read_only: bool = False
) -> psycopg.Connection[tuple[Any, ...]]:
    """An autocommit maintenance connection in UTC, no statement timeout.

    Read-write even on prod (the write guard was passed before we got here), unless
    ``read_only``: what reads before the guard is asked (a plan) keeps to reading.
    """
    conn = maintenance_connect(conninfo, application_name, read_only=read_only)
    conn.execute("SET TimeZone = 'UTC'")
    return conn
