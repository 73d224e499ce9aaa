"""Keyset windows: the first rows, the last rows, rows after/before a key, rows from a position.

A window is ordered by ``(sort key, id)`` in the display direction.  Moving
through it seeks on the index with a row comparison — never ``OFFSET`` on the
big tables — so the cost of a window does not grow with its distance from the
top.  Rows come back as plain dicts in display order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, text

from console.queries.filters import Where, normalized
from console.queries.specs import SortKey, TableSpec

Mode = Literal["top", "bottom", "after", "before", "from", "seek"]


@dataclass(frozen=True)
class Sort:
    name: str
    descending: bool


@dataclass(frozen=True)
class WindowQuery:
    """Everything a worker needs to read one window (hashable, no Qt, no connection)."""

    spec: TableSpec
    filters: tuple[tuple[str, Any], ...]
    sort: Sort

    @classmethod
    def make(
        cls, spec: TableSpec, filters: dict[str, Any], sort: Sort | None = None
    ) -> WindowQuery:
        flat = tuple(
            (k, tuple(v) if isinstance(v, list) else v) for k, v in normalized(filters).items()
        )
        if sort is None or sort.name not in spec.sort_keys:
            key = spec.sort_keys[spec.default_sort]
            sort = Sort(spec.default_sort, key.descending)
        return cls(spec, flat, sort)

    def filter_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.filters}

    @property
    def key(self) -> SortKey:
        return self.spec.sort_keys[self.sort.name]

    def where(self) -> Where:
        """Validated conditions; raises FilterError for bad input."""
        return self.spec.where(self.filter_dict(), self.spec.alias)


def _order(expr: str, id_expr: str, descending: bool) -> str:
    d = "DESC" if descending else "ASC"
    return f"ORDER BY {expr} {d}, {id_expr} {d}"


def window_sql(
    q: WindowQuery,
    mode: Mode,
    limit: int,
    anchor: tuple[Any, Any] | None = None,
    value: Any = None,
) -> tuple[str, dict[str, Any]]:
    """The statement and parameters of one window read (see :func:`fetch_window`)."""
    spec, key = q.spec, q.key
    where = q.where()
    clauses = list(where.clauses)
    params = dict(where.params)
    desc = q.sort.descending
    reverse = mode in ("bottom", "before")
    scan_desc = desc != reverse
    pair = f"({key.expr}, {spec.id_expr})"
    if mode in ("after", "before", "from"):
        if anchor is None:
            raise ValueError(f"mode {mode} needs an anchor")
        params["k_val"], params["k_id"] = anchor
        op = "<" if scan_desc else ">"
        if mode == "from":
            op += "="
        clauses.append(f"{pair} {op} (:k_val, CAST(:k_id AS uuid))")
    elif mode == "seek":
        params["k_val"] = value
        clauses.append(f"{key.expr} {'<=' if desc else '>='} :k_val")
    sql = (
        f"SELECT {spec.select_list()} FROM {spec.from_sql}"
        f" WHERE {' AND '.join(clauses) if clauses else 'TRUE'}"
        f" {_order(key.expr, spec.id_expr, scan_desc)} LIMIT :k_limit"
    )
    params["k_limit"] = limit
    return sql, params


def fetch_window(
    conn: Connection,
    q: WindowQuery,
    mode: Mode,
    limit: int,
    anchor: tuple[Any, Any] | None = None,
    value: Any = None,
) -> list[dict[str, Any]]:
    """Read up to ``limit`` rows of one window, in display order.

    ``top``/``bottom``: the first/last rows; ``after``/``before``: rows strictly
    after/before ``anchor`` = (sort value, id); ``from``: rows from ``anchor`` on,
    inclusive (re-reading a window); ``seek``: rows from sort value ``value`` on.
    """
    sql, params = window_sql(q, mode, limit, anchor, value)
    rows = [dict(r) for r in conn.execute(text(sql), params).mappings()]
    if mode in ("bottom", "before"):
        rows.reverse()
    return rows


def fetch_offset(conn: Connection, q: WindowQuery, offset: int, limit: int) -> list[dict[str, Any]]:
    """Rows at a row offset; only for the small tables (workflows, integrations)."""
    spec, key = q.spec, q.key
    where = q.where()
    sql = (
        f"SELECT {spec.select_list()} FROM {spec.from_sql} WHERE {where.sql()}"
        f" {_order(key.expr, spec.id_expr, q.sort.descending)} LIMIT :k_limit OFFSET :k_offset"
    )
    params = dict(where.params, k_limit=limit, k_offset=max(0, offset))
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def sort_value(row: dict[str, Any], q: WindowQuery) -> tuple[Any, Any]:
    """The (sort value, id) anchor of a fetched row."""
    name = q.sort.name
    return row[name], str(row["id"])
