"""A text dump of a database's schema and bookkeeping, to compare before/after."""

from __future__ import annotations

import psycopg

DUMP_QUERIES = (
    # tables and views
    "SELECT c.relname, c.relkind FROM pg_class c "
    "WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1",
    # columns with types, nullability and defaults
    "SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
    "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped "
    "ORDER BY 1, 2",
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
    "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
    "WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace) "
    "ORDER BY 1",
    "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger "
    "WHERE NOT tgisinternal ORDER BY 1, 2",
    "SELECT proname, pg_get_functiondef(oid) FROM pg_proc "
    "WHERE pronamespace = 'public'::regnamespace ORDER BY 1",
)


STORAGE_QUERY = (
    # a rewritten or truncated table gets a new file node; any ALTER (even one that
    # changes nothing) writes a new version of the relation's catalog row (xmin)
    "SELECT relname, relfilenode, xmin::text FROM pg_class "
    "WHERE relnamespace = 'public'::regnamespace ORDER BY 1"
)
TABLES_QUERY = (
    "SELECT quote_ident(relname) FROM pg_class "
    "WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1"
)


def catalog_dump(url: str, *, storage: bool = True) -> str:
    """Schema objects of ``public`` plus the contents of ``autopr_console_version``, as text.

    ``storage`` adds each relation's file node and catalog row version and a digest
    of every table's rows: they differ between databases but change within one
    when anything is altered or written. Leave it out to compare two schemas.
    """
    from sqlalchemy.engine import make_url

    from console.db.urls import libpq_conninfo

    out: list[str] = []
    queries = DUMP_QUERIES + ((STORAGE_QUERY,) if storage else ())
    with psycopg.connect(libpq_conninfo(make_url(url)), autocommit=True) as conn:
        for query in queries:
            out.append(query)
            out.extend(repr(row) for row in conn.execute(query))
        if storage:
            # every row of every table, as text
            for (table,) in conn.execute(TABLES_QUERY).fetchall():
                digest = conn.execute(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), "
                    f"'')) FROM {table} t"
                ).fetchone()
                out.append(f"rows {table}: {digest}")
        has_version = conn.execute("SELECT to_regclass('public.autopr_console_version')").fetchone()
        if has_version and has_version[0]:
            out.append("autopr_console_version:")
            out.extend(
                repr(r) for r in conn.execute("SELECT * FROM autopr_console_version ORDER BY 1")
            )
    return "\n".join(out)
