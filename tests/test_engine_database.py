"""The console on a database the AutoPR Engine built (see ``engine_schema``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from conftest import create_database, drop_database
from engine_schema import ENGINE_REVISION, build, fill
from sqlalchemy import text
from sqlalchemy.engine import make_url

from console.db.connection import open_database
from console.db.engine import make_engine
from console.db.migrator import SchemaState, inspect_schema
from console.db.urls import libpq_conninfo
from console.profiles import Profile


def _conninfo(url: str) -> str:
    return libpq_conninfo(make_url(url))


def _rows(url: str, sql: str, params: tuple | dict = ()) -> list[tuple]:
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def engine_db(pg_address) -> Iterator[tuple[str, dict]]:
    """A fresh engine-built database with engine-style rows: (url, ids)."""
    name = f"t_engine_{uuid.uuid4().hex[:10]}"
    create_database(pg_address, name)
    url = pg_address.url(name)
    build(_conninfo(url))
    ids = fill(_conninfo(url))
    yield url, ids
    drop_database(pg_address, name)


def test_the_console_recognises_the_engines_database(engine_db) -> None:
    url, _ids = engine_db
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            report = inspect_schema(conn)
    finally:
        engine.dispose()
    print("state:", report.state.value, "engine revision:", report.engine_revision)
    print("extra tables:", report.schema.extra_tables)
    print("json columns:", sorted(report.schema.json_columns))
    print("notes:", *report.schema.notes, sep="\n  ")
    assert report.state is SchemaState.ADOPT
    assert report.schema.differences == []
    assert report.engine_revision == (ENGINE_REVISION,)
    assert report.schema.extra_tables == ["allowed_commenters", "comment_filter_settings"]
    assert len(report.schema.json_columns) == 9
    assert not report.schema.execution_id_default


ENGINE_OBJECTS_SQL = """
SELECT 'col', c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relname = ANY(%(t)s) AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'con', conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE conrelid::regclass::text = ANY(%(t)s)
UNION ALL
SELECT 'idx', indexdef FROM pg_indexes WHERE tablename = ANY(%(t)s)
ORDER BY 1, 2
"""
ENGINE_TABLES = [
    "workflows",
    "workflow_executions",
    "workflow_actions",
    "workflow_triggers",
    "execution_logs",
    "integrations",
    "integration_events",
    "allowed_commenters",
    "comment_filter_settings",
    "alembic_version",
]


def _engine_objects(url: str) -> list[tuple]:
    return _rows(url, ENGINE_OBJECTS_SQL, {"t": ENGINE_TABLES})


def test_opening_adds_only_the_consoles_objects(engine_db) -> None:
    url, _ids = engine_db
    before = _engine_objects(url)
    db = open_database(Profile("dev", environment="dev", url=url))
    try:
        assert db.migration.state is SchemaState.CURRENT and not db.read_only
        print("applied:", db.migration.applied)
        assert db.migration.applied[-1] == db.migration.head
    finally:
        db.close()
    assert _engine_objects(url) == before  # columns, defaults, constraints, indexes
    assert _rows(url, "SELECT version_num FROM alembic_version") == [(ENGINE_REVISION,)]
    console_objects = _rows(
        url,
        "SELECT to_regclass('audit_log') IS NOT NULL, "
        "to_regprocedure('autopr_new_execution_id()') IS NOT NULL, "
        "(SELECT count(*) FROM pg_trigger WHERE tgname = 'trg_execution_logs_notify')",
    )
    assert console_objects == [(True, True, 1)]


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_declined_on_staging_or_prod_it_opens_read_only_with_reads_working(
    engine_db, environment: str
) -> None:
    url, _ids = engine_db
    asked = []
    db = open_database(
        Profile(environment, environment=environment, url=url),
        confirm_migrations=lambda report: asked.append(report.steps) or False,
    )
    try:
        print(db.read_only_reason)
        assert asked and "install the console's own objects" in asked[0][0]
        assert db.read_only and "audit trail" in (db.read_only_reason or "")
        with db.engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM workflow_executions")).scalar()
        assert count == 12
    finally:
        db.close()
    assert _rows(url, "SELECT to_regclass('audit_log') IS NULL") == [(True,)]
