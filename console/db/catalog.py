"""Recognising an AutoPR database by what it holds, not by a revision id.

The live catalog (``pg_catalog``) is compared with the contract: the models of
the seven tables, as the plain-data snapshot :mod:`console.db.contract_snapshot`
holds them (generated from the models and checked by a test), so that this check,
run on every connect, needs neither the ORM nor Alembic.

What would break the console's reads or writes is a *difference* (a missing table or
column, another type, nullability, primary key, a missing UNIQUE/CHECK/FOREIGN KEY);
what only changes how well it works is a *note* (``json`` where the contract says
``jsonb``, constraint names, a missing or extra index, defaults, delete rules).
Constraints are matched by definition, never by name, so a database made by the engine
(unnamed ``*_key`` uniques, ``chk_health_status``) matches. Extra tables and columns are
allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

if TYPE_CHECKING:
    from console.db.contract_types import TableContract

CONTRACT_TABLES = (
    "workflows",
    "workflow_executions",
    "workflow_actions",
    "workflow_triggers",
    "execution_logs",
    "integrations",
    "integration_events",
)
_DELETE_RULES = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}


@dataclass
class SchemaComparison:
    """What the live catalog holds against the contract."""

    present: set[str] = field(default_factory=set)
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    json_columns: set[tuple[str, str]] = field(default_factory=set)  # json instead of jsonb
    extra_tables: list[str] = field(default_factory=list)
    execution_id_default: bool = True

    @property
    def empty(self) -> bool:
        """None of the contract's tables exists."""
        return not self.present

    @property
    def matches(self) -> bool:
        return set(CONTRACT_TABLES) <= self.present and not self.differences


def normalize_check(expr: str) -> str:
    """A CHECK expression reduced so that the model's text and pg_get_constraintdef compare."""
    expr = expr.strip()
    if expr.upper().startswith("CHECK"):
        expr = expr[5:]
    m = re.search(r"\(?(\w+)\)?(?:::\w+)?\s*(?:IN\s*\(|=\s*ANY\s*\(\(?ARRAY\[)(.*?)[\])]", expr)
    if m:
        values = sorted(re.findall(r"'([^']*)'", m.group(2)))
        return f"{m.group(1)} IN {values}"
    expr = re.sub(r"::[\w ]+(\[\])?", "", expr)
    return re.sub(r"[()\s]+", " ", expr).strip().lower()


def _contract() -> dict[str, TableContract]:
    from console.db.contract_snapshot import TABLES

    return TABLES


def _live_tables(conn: Connection) -> set[str]:
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
            "AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
        )
    )
    return {r[0] for r in rows}


def _live_columns(conn: Connection, table: str) -> dict[str, tuple[str, bool, str | None]]:
    rows = conn.execute(
        text(
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_get_expr(d.adbin, d.adrelid)
            FROM pg_attribute a
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attrelid = CAST(:t AS regclass) AND a.attnum > 0 AND NOT a.attisdropped
            """
        ),
        {"t": f"public.{table}"},
    )
    return {r[0]: (r[1], bool(r[2]), r[3]) for r in rows}


def _live_constraints(conn: Connection, table: str) -> list[tuple[str, str, str, list[str]]]:
    """(name, contype, definition, columns) of the table's p/u/c/f constraints."""
    rows = conn.execute(
        text(
            """
            SELECT c.conname, c.contype, pg_get_constraintdef(c.oid),
                   ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                         ORDER BY k.o)
            FROM pg_constraint c
            WHERE c.conrelid = CAST(:t AS regclass) AND c.contype IN ('p', 'u', 'c', 'f')
            """
        ),
        {"t": f"public.{table}"},
    )
    return [(r[0], r[1], r[2], list(r[3])) for r in rows]


def _partitioned(conn: Connection, table: str) -> bool:
    """A partitioned table's key must hold the partition column too."""
    kind = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": f"public.{table}"}
    ).scalar()
    return kind == "p"


def _live_unique_indexes(conn: Connection, table: str) -> set[tuple[str, ...]]:
    rows = conn.execute(
        text(
            """
            SELECT ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o)
                         JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n
                         ORDER BY k.o)
            FROM pg_index x
            WHERE x.indrelid = CAST(:t AS regclass) AND x.indisunique AND x.indpred IS NULL
            """
        ),
        {"t": f"public.{table}"},
    )
    return {tuple(r[0]) for r in rows}


def _live_indexes(conn: Connection, table: str) -> set[str]:
    rows = conn.execute(
        text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = :t"),
        {"t": table},
    )
    return {r[0] for r in rows}


def _live_foreign_keys(conn: Connection, table: str) -> dict[str, tuple[str, str, str]]:
    """column -> (referenced table, referenced column, delete rule) of one-column FKs."""
    rows = conn.execute(
        text(
            """
            SELECT a.attname, c.confrelid::regclass::text, ra.attname, c.confdeltype
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.conrelid = CAST(:t AS regclass)
              AND cardinality(c.conkey) = 1
            """
        ),
        {"t": f"public.{table}"},
    )
    return {str(r[0]): (str(r[1]), str(r[2]), _DELETE_RULES.get(r[3], str(r[3]))) for r in rows}


def compare_schema(conn: Connection) -> SchemaComparison:
    """Compare the live catalog with the contract; reads only."""
    result = SchemaComparison()
    live_tables = _live_tables(conn)
    contract = _contract()
    result.present = live_tables & set(contract)
    known = set(contract) | {"audit_log", "alembic_version", "autopr_console_version"}
    result.extra_tables = sorted(live_tables - known)
    if result.empty:
        return result
    for name in CONTRACT_TABLES:
        if name not in live_tables:
            result.differences.append(f"table {name} is missing")
            continue
        _compare_table(conn, contract[name], result)
    return result


def _compare_table(conn: Connection, table: TableContract, out: SchemaComparison) -> None:
    name = table.name
    live = _live_columns(conn, name)
    for col in table.columns:
        if col.name not in live:
            out.differences.append(f"{name}.{col.name} is missing")
            continue
        live_type, not_null, default = live[col.name]
        want = col.type
        if want == "jsonb" and live_type == "json":
            out.json_columns.add((name, col.name))
        elif want != live_type:
            out.differences.append(f"{name}.{col.name} is {live_type}, expected {want}")
        if not_null != (not col.nullable):
            out.differences.append(
                f"{name}.{col.name} is {'NOT NULL' if not_null else 'nullable'}, expected "
                f"{'NOT NULL' if not col.nullable else 'nullable'}"
            )
        if name == "workflow_executions" and col.name == "execution_id":
            out.execution_id_default = default is not None
        elif col.default is not None and default is None and not col.primary_key:
            out.notes.append(f"{name}.{col.name} has no default")
        elif (
            col.default is not None
            and default is not None
            and "'" in col.default
            and col.default.split("::")[0] not in default.lower()
        ):
            out.notes.append(f"{name}.{col.name} defaults to {default}")
    wanted = {c.name for c in table.columns}
    extra_required = [c for c, (_t, nn, d) in live.items() if c not in wanted and nn and d is None]
    for c in extra_required:
        out.notes.append(f"{name}.{c} is an extra NOT NULL column without a default")

    constraints = _live_constraints(conn, name)
    pk = [cols for _n, kind, _d, cols in constraints if kind == "p"]
    want_pk = list(table.primary_key)
    if len(pk) == 1 and pk[0][: len(want_pk)] == want_pk and _partitioned(conn, name):
        out.notes.append(f"{name} is partitioned; its primary key is ({', '.join(pk[0])})")
    elif pk != [want_pk]:
        out.differences.append(f"{name}: primary key is {pk or 'missing'}, expected {want_pk}")

    uniques = {tuple(cols) for _n, kind, _d, cols in constraints if kind == "u"}
    uniques |= _live_unique_indexes(conn, name)
    unique_names = {n for n, k, _d, _c in constraints if k == "u"}
    for unique in table.uniques:
        if unique.columns not in uniques:
            out.differences.append(f"{name}: UNIQUE ({', '.join(unique.columns)}) is missing")
        elif unique.name and unique.name not in unique_names:
            out.notes.append(
                f"{name}: UNIQUE ({', '.join(unique.columns)}) is not named {unique.name}"
            )
    live_checks = {normalize_check(d): n for n, kind, d, _c in constraints if kind == "c"}
    for check in table.checks:
        if check.key not in live_checks:
            out.differences.append(f"{name}: CHECK ({check.sql}) is missing")
        elif check.name and live_checks[check.key] != check.name:
            out.notes.append(f"{name}: CHECK {check.name} is named {live_checks[check.key]}")
    for col in table.columns:
        if col.unique and (col.name,) not in uniques:
            out.differences.append(f"{name}: UNIQUE ({col.name}) is missing")

    fks = _live_foreign_keys(conn, name)
    for fk in table.foreign_keys:
        want_ref = (fk.table, fk.target)
        got = fks.get(fk.column)
        if got is None or got[:2] != want_ref:
            out.differences.append(
                f"{name}.{fk.column}: FOREIGN KEY to {fk.table}.{fk.target} is missing"
            )
            continue
        if got[2] != fk.on_delete:
            effect = (
                f"; deleting a {fk.table} row that rows here point at fails"
                if got[2] in ("no action", "restrict")
                else ""
            )
            out.notes.append(
                f"{name}.{fk.column}: ON DELETE {got[2].upper()} "
                f"(contract: {fk.on_delete.upper()}){effect}"
            )

    indexes = _live_indexes(conn, name)
    for ix in table.indexes:
        if ix not in indexes:
            out.notes.append(f"index {ix} is missing")


def describe(comparison: SchemaComparison, limit: int = 8) -> str:
    """The differences, one clause each, capped for a one-line message."""
    items = comparison.differences[:limit]
    more = len(comparison.differences) - len(items)
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")
