"""Keyset windows: the first rows, the last rows, rows after/before a key, rows from a position.

A window is ordered by ``(sort key, id)`` in the display direction.  Moving
through it seeks on the index with a row comparison — never ``OFFSET`` on the
big tables — so the cost of a window does not grow with its distance from the
top.  Rows come back as plain dicts in display order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, text

from console.queries.filters import TableFilters, Where, normalized
from console.queries.specs import SortKey, TableSpec
from console.secret_policy import redact_fields

Mode = Literal["top", "bottom", "after", "before", "from", "seek"]


def _read(conn: Connection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows as dicts, their free text (error messages) through the secrets policy."""
    return [redact_fields(dict(r)) for r in conn.execute(text(sql), params).mappings()]


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
        cls, spec: TableSpec, filters: Mapping[str, Any], sort: Sort | None = None
    ) -> WindowQuery:
        flat = tuple(
            (k, tuple(v) if isinstance(v, list) else v) for k, v in normalized(filters).items()
        )
        if sort is None or sort.name not in spec.sort_keys:
            key = spec.sort_keys[spec.default_sort]
            sort = Sort(spec.default_sort, key.descending)
        return cls(spec, flat, sort)

    def filter_dict(self) -> TableFilters:
        return normalized({k: list(v) if isinstance(v, tuple) else v for k, v in self.filters})

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
    if q.key.grouped:
        rows = _grouped_window(conn, q, mode, limit, anchor, value)
    else:
        sql, params = window_sql(q, mode, limit, anchor, value)
        rows = _read(conn, sql, params)
    if mode in ("bottom", "before"):
        rows.reverse()
    return rows


_START, _END = object(), object()  # before the first group, after the last


class _Groups:
    """The distinct values of a grouped sort key among the filtered rows, in scan order.

    PostgreSQL's own order: ascending puts NULL last, descending puts it first (the
    order ``fetch_offset`` and a plain ``ORDER BY`` give).  Each step is one
    index-served ``ORDER BY key LIMIT 1`` (or an ``IS NULL`` probe).
    """

    def __init__(self, conn: Connection, q: WindowQuery, scan_desc: bool) -> None:
        where = q.where()
        self.conn, self.q, self.desc = conn, q, scan_desc
        self.clauses, self.params = list(where.clauses), dict(where.params)
        self._values: list[Any] | None = None  # a ranked key's present values (scan order)

    def _first(self, bound: Any = _START, inclusive: bool = False, desc: bool | None = None) -> Any:
        desc = self.desc if desc is None else desc
        expr = self.q.key.expr
        clauses, params = [*self.clauses, f"{expr} IS NOT NULL"], dict(self.params)
        if bound is not _START:
            op = ("<" if desc else ">") + ("=" if inclusive else "")
            clauses.append(f"{expr} {op} :g_bound")
            params["g_bound"] = bound
        sql = (
            f"SELECT {expr} FROM {self.q.spec.from_sql} WHERE {' AND '.join(clauses)}"
            f" ORDER BY {expr} {'DESC' if desc else 'ASC'} LIMIT 1"
        )
        found = self.conn.execute(text(sql), params).first()
        return _END if found is None else found[0]

    def _has_null(self) -> bool:
        clauses = [*self.clauses, f"{self.q.key.expr} IS NULL"]
        sql = f"SELECT 1 FROM {self.q.spec.from_sql} WHERE {' AND '.join(clauses)} LIMIT 1"
        return self.conn.execute(text(sql), self.params).first() is not None

    def _present(self) -> list[Any]:
        """A ranked key's values among the filtered rows, in scan order.

        Found by spelling, one index probe per value, then put in rank order: reading a
        rank's group that the filter excludes (``level = 'DEBUG'`` under "WARNING and
        above") would make the planner walk that whole group to find nothing.
        """
        if self._values is None:
            ranks = self.q.key.ranks[::-1] if self.desc else self.q.key.ranks
            found: set[Any] = set()
            value = self._first(_START, desc=False)
            while value is not _END and len(found) <= len(ranks):
                found.add(value)
                value = self._first(value, desc=False)
            self._values = [v for v in ranks if v in found]
        return self._values

    def holds(self, value: Any) -> bool:
        """Whether some filtered row has ``value`` (one index probe)."""
        if value is None:
            return self._has_null()
        if self.q.key.ranks:
            return value in self._present()
        return bool(self._first(value, inclusive=True) == value)

    def _rank_index(self, value: Any) -> int:
        ranks = self.q.key.ranks[::-1] if self.desc else self.q.key.ranks
        return ranks.index(value) if value in ranks else -1

    def _ranked_from(self, index: int) -> Any:
        """The first present value whose rank position (scan order) is ``index`` or later."""
        return next((v for v in self._present() if self._rank_index(v) >= index), _END)

    def after(self, current: Any) -> Any:
        """The group after ``current`` (``_START``: the first); ``_END`` when none is left."""
        if self.q.key.ranks:
            return self._ranked_from(0 if current is _START else self._rank_index(current) + 1)
        if self.desc:
            if current is _START and self._has_null():
                return None
            return self._first(_START if current in (_START, None) else current)
        if current is None:
            return _END
        found = self._first(current)
        if found is _END and self._has_null():
            return None
        return found

    def at_or_after(self, value: Any) -> Any:
        """The first group at ``value`` or beyond it in scan order (a seek)."""
        if self.q.key.ranks:
            return self._ranked_from(max(0, self._rank_index(value)))
        if value is None:
            return self.after(_START) if self.desc else (None if self._has_null() else _END)
        found = self._first(value, inclusive=True)
        if found is _END and not self.desc and self._has_null():
            return None
        return found

    def rows(self, group: Any, limit: int, after_id: str | None, inclusive: bool) -> list[Any]:
        spec, expr = self.q.spec, self.q.key.expr
        clauses, params = list(self.clauses), dict(self.params, g_limit=limit)
        if group is None:
            clauses.append(f"{expr} IS NULL")
        else:
            clauses.append(f"{expr} = :g_value")
            params["g_value"] = group
        if after_id is not None:
            op = ("<" if self.desc else ">") + ("=" if inclusive else "")
            clauses.append(f"{spec.id_expr} {op} CAST(:g_id AS uuid)")
            params["g_id"] = after_id
        sql = (
            f"SELECT {spec.select_list()} FROM {spec.from_sql} WHERE {' AND '.join(clauses)}"
            f" ORDER BY {spec.id_expr} {'DESC' if self.desc else 'ASC'} LIMIT :g_limit"
        )
        return _read(self.conn, sql, params)


def _grouped_window(
    conn: Connection,
    q: WindowQuery,
    mode: Mode,
    limit: int,
    anchor: tuple[Any, Any] | None,
    value: Any,
) -> list[dict[str, Any]]:
    """A window of a grouped sort key (see ``SortKey.grouped``) in scan order: the rows
    of one group by id (its index or the primary key), then the next group's, until
    ``limit`` rows; the same rows, in the same order, as ``ORDER BY key, id``."""
    scan_desc = q.sort.descending != (mode in ("bottom", "before"))
    groups = _Groups(conn, q, scan_desc)
    after_id: str | None = None
    if mode in ("after", "before", "from"):
        if anchor is None:
            raise ValueError(f"mode {mode} needs an anchor")
        group, after_id = anchor[0], str(anchor[1])
        if not groups.holds(group):  # the filter excludes it now: never walk it for nothing
            group, after_id = groups.after(group), None
    elif mode == "seek":
        group = groups.at_or_after(value)
    else:
        group = groups.after(_START)
    out: list[dict[str, Any]] = []
    while group is not _END and len(out) < limit:
        out += groups.rows(group, limit - len(out), after_id, inclusive=mode == "from")
        after_id = None
        if len(out) < limit:
            group = groups.after(group)
    return out


def fetch_offset(conn: Connection, q: WindowQuery, offset: int, limit: int) -> list[dict[str, Any]]:
    """Rows at a row offset; only for the small tables (workflows, integrations)."""
    spec, key = q.spec, q.key
    where = q.where()
    sql = (
        f"SELECT {spec.select_list()} FROM {spec.from_sql} WHERE {where.sql()}"
        f" {_order(key.order_expr, spec.id_expr, q.sort.descending)}"
        " LIMIT :k_limit OFFSET :k_offset"
    )
    params = dict(where.params, k_limit=limit, k_offset=max(0, offset))
    return _read(conn, sql, params)


def sort_value(row: dict[str, Any], q: WindowQuery) -> tuple[Any, Any]:
    """The (sort value, id) anchor of a fetched row."""
    name = q.sort.name
    return row[name], str(row["id"])
