"""Drop and exactly restore the keys, foreign keys and indexes of the seven tables.

Partial and expression indexes are left alone: PostgreSQL re-renders their
expressions on the way back (``ARRAY[...]::text[]`` becomes ``ARRAY[...::text]``),
so a rebuilt copy would not be textually identical; the partial queue index is
small anyway.

A bulk load into tables without indexes, followed by one sorted build per
index, is several times faster than maintaining every index row by row.  The
definitions are read from the catalog first (``pg_get_indexdef``,
``pg_get_constraintdef``), so what comes back is exactly what was there,
names included; :func:`missing` compares the live catalog with the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from console.demo import DEMO_TABLES


@dataclass(frozen=True)
class ConstraintDef:
    table: str
    name: str
    kind: str  # 'p' primary key, 'u' unique, 'f' foreign key
    definition: str

    def add_sql(self) -> sql.Composed:
        return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            sql.Identifier(self.table), sql.Identifier(self.name), sql.SQL(self.definition)
        )

    def drop_sql(self) -> sql.Composed:
        return sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(
            sql.Identifier(self.table), sql.Identifier(self.name)
        )


@dataclass(frozen=True)
class IndexDef:
    table: str
    name: str
    definition: str  # the full CREATE INDEX statement

    def add_sql(self) -> sql.SQL:
        return sql.SQL(self.definition)

    def drop_sql(self) -> sql.Composed:
        return sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(self.name))


@dataclass(frozen=True)
class SchemaSnapshot:
    keys: tuple[ConstraintDef, ...]  # primary keys and unique constraints
    foreign_keys: tuple[ConstraintDef, ...]
    indexes: tuple[IndexDef, ...]  # indexes not backing a constraint

    def names(self) -> set[str]:
        return {c.name for c in self.keys + self.foreign_keys} | {i.name for i in self.indexes}


_CONSTRAINTS = """
SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
FROM pg_constraint c
WHERE c.conrelid = ANY(%(tables)s::regclass[]) AND c.contype IN ('p', 'u', 'f')
ORDER BY c.conrelid::regclass::text, c.conname
"""

_INDEXES = """
SELECT i.indrelid::regclass::text, ci.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i
JOIN pg_class ci ON ci.oid = i.indexrelid
WHERE i.indrelid = ANY(%(tables)s::regclass[])
  AND i.indpred IS NULL AND i.indexprs IS NULL
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                  AND c.conrelid = i.indrelid)
ORDER BY 1, 2
"""


def take(conn: psycopg.Connection, tables: tuple[str, ...] = DEMO_TABLES) -> SchemaSnapshot:
    """Read the current definitions from the catalog."""
    params = {"tables": list(tables)}
    keys: list[ConstraintDef] = []
    fks: list[ConstraintDef] = []
    for table, name, kind, definition in conn.execute(_CONSTRAINTS, params):
        target = fks if kind == "f" else keys
        target.append(ConstraintDef(table, name, kind, definition))
    indexes = [IndexDef(*row) for row in conn.execute(_INDEXES, params)]
    return SchemaSnapshot(tuple(keys), tuple(fks), tuple(indexes))


def drop_all(conn: psycopg.Connection, snap: SchemaSnapshot) -> None:
    """Drop foreign keys first (they depend on the keys), then keys and indexes."""
    with conn.transaction():
        for fk in snap.foreign_keys:
            conn.execute(fk.drop_sql())
        for key in snap.keys:
            conn.execute(key.drop_sql())
        for idx in snap.indexes:
            conn.execute(idx.drop_sql())


def missing(conn: psycopg.Connection, snap: SchemaSnapshot) -> list[str]:
    """Names (or definitions) in the snapshot that differ from the live catalog."""
    tables = tuple(sorted({c.table for c in snap.keys} | {i.table for i in snap.indexes}))
    now = take(conn, tables or DEMO_TABLES)
    want = {(c.table, c.name, c.kind, c.definition) for c in snap.keys + snap.foreign_keys}
    have = {(c.table, c.name, c.kind, c.definition) for c in now.keys + now.foreign_keys}
    want_i = {(i.table, i.name, i.definition) for i in snap.indexes}
    have_i = {(i.table, i.name, i.definition) for i in now.indexes}
    return sorted({w[1] for w in want - have} | {w[1] for w in want_i - have_i})


def restore_steps(
    snap: SchemaSnapshot, present: set[str] | frozenset[str] = frozenset()
) -> list[list[tuple[str, sql.Composable]]]:
    """(name, statement) in dependency order, leaving out names in ``present``.

    The statements of one step may run concurrently: keys, then indexes, then
    the foreign keys that need the keys.
    """
    steps: list[list[tuple[str, sql.Composable]]] = [
        [(k.name, k.add_sql()) for k in snap.keys],
        [(i.name, i.add_sql()) for i in snap.indexes],
        [(f.name, f.add_sql()) for f in snap.foreign_keys],
    ]
    return [[(n, s) for n, s in step if n not in present] for step in steps]


def existing_names(conn: psycopg.Connection) -> set[str]:
    """Index and constraint names present now (to restore only what is missing)."""
    rows = conn.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = ANY(%(t)s::regclass[]) "
        "UNION SELECT ci.relname FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid "
        "WHERE i.indrelid = ANY(%(t)s::regclass[])",
        {"t": list(DEMO_TABLES)},
    )
    return {r[0] for r in rows}
