"""Mapping a scrollbar position to a sort-key value, so a jump is a keyset seek.

The planner's histogram of the sort column (``pg_stats.histogram_bounds``:
equal-count buckets) turns a fraction of the rows into a value; without
statistics a time column is interpolated linearly between its first and last
value.  Either is an approximation: the window lands near the asked position
and the operator scrolls on from there by exact keyset steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from console.queries.keyset import WindowQuery, fetch_window
from console.queries.specs import SortKind


@dataclass(frozen=True)
class PositionMap:
    """First and last sort values of the filtered rows (display order) and a histogram."""

    first: Any
    last: Any
    bounds: tuple[Any, ...]  # ascending
    kind: SortKind

    def value_at(self, fraction: float) -> Any:
        """The sort value about ``fraction`` of the way down the display order."""
        fraction = min(1.0, max(0.0, fraction))
        if self.first is None or self.last is None:  # a NULL group at one end
            return self.first if fraction < 0.5 else self.last
        ascending = _le(self.first, self.last)
        lo, hi = (self.first, self.last) if ascending else (self.last, self.first)
        q = fraction if ascending else 1.0 - fraction
        inner = [b for b in self.bounds if _le(lo, b) and _le(b, hi)]
        points = [lo, *inner, hi]
        if len(points) == 2 and self.kind != "time":
            return points[0] if q < 0.5 else points[1]
        pos = q * (len(points) - 1)
        i = min(int(pos), len(points) - 2)
        a, b = points[i], points[i + 1]
        if self.kind == "time" and isinstance(a, datetime) and isinstance(b, datetime):
            return a + (b - a) * (pos - i)
        return a if pos - i < 0.5 else b


def _le(a: Any, b: Any) -> bool:
    return bool(a <= b)


# Leaves of a partitioned table with their row estimates and own histograms (autovacuum
# analyses partitions, never their parent, so the parent's inherited histogram goes stale).
LEAF_HISTOGRAMS = """
SELECT p.reltuples::float8, s.histogram_bounds::text::{cast}
FROM pg_partition_tree(to_regclass(:t)) t
JOIN pg_class p ON p.oid = t.relid
JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = p.relname
                AND s.attname = :c AND NOT s.inherited
WHERE t.isleaf AND p.reltuples > 0 AND s.histogram_bounds IS NOT NULL
"""
MERGED_BUCKETS = 100


def merge_histograms(
    leaves: list[tuple[float, list[Any]]], buckets: int = MERGED_BUCKETS
) -> tuple[Any, ...]:
    """Equal-count bounds over several leaves' histograms, each weighted by its rows.

    A leaf with ``k + 1`` bounds holds ``rows / k`` rows between consecutive
    bounds; the merged bounds are where the running total crosses each
    ``1 / buckets`` of all rows (leaves of a range-partitioned table do not
    overlap, so sorting the pieces keeps the order of the rows).
    """
    pieces = []
    for rows, bounds in leaves:
        values = sorted(bounds)
        if len(values) < 2:
            continue
        share = rows / (len(values) - 1)
        pieces += [(values[i], values[i + 1], share) for i in range(len(values) - 1)]
    if not pieces:
        return ()
    pieces.sort(key=lambda p: p[0])
    total = sum(p[2] for p in pieces)
    step = total / buckets
    out = [pieces[0][0]]
    running, target = 0.0, step
    for _lo, hi, share in pieces:
        running += share
        while running >= target - 1e-9 and len(out) < buckets:
            out.append(hi)
            target += step
    if out[-1] != pieces[-1][1]:
        out.append(pieces[-1][1])
    return tuple(out)


def _is_partitioned(conn: Connection, table: str) -> bool:
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
    ).scalar()
    return kind == "p"


def histogram(conn: Connection, table: str, column: str, kind: SortKind) -> tuple[Any, ...]:
    cast = "timestamptz[]" if kind == "time" else "text[]"
    if _is_partitioned(conn, table):
        rows = conn.execute(text(LEAF_HISTOGRAMS.format(cast=cast)), {"t": table, "c": column})
        return merge_histograms([(r[0], list(r[1])) for r in rows])
    value = conn.execute(
        text(
            f"SELECT histogram_bounds::text::{cast} FROM pg_stats"
            " WHERE schemaname = current_schema() AND tablename = :t AND attname = :c"
        ),
        {"t": table, "c": column},
    ).scalar()
    if not value:
        return ()
    return tuple(sorted(value))


def position_map(conn: Connection, q: WindowQuery) -> PositionMap:
    """First/last values of the filtered rows and the column histogram."""
    name = q.sort.name
    top = fetch_window(conn, q, "top", 1)
    if not top:
        return PositionMap(None, None, (), q.key.kind)
    bottom = fetch_window(conn, q, "bottom", 1)
    bounds = histogram(conn, q.key.stats_table, q.key.stats_column, q.key.kind)
    return PositionMap(top[0][name], bottom[-1][name], bounds, q.key.kind)
