"""The connect-time schema check reads a plain-data snapshot of the models, not the ORM.

The snapshot must equal what the models and the migration scripts say (one source of
truth), and opening a database must import neither Alembic nor the ORM, while a
drifted schema is still found and an empty one still migrated.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from console.db import contract_gen, contract_snapshot
from console.db.urls import libpq_conninfo
from tests.helpers.child import run_snippet

ROOT = Path(__file__).resolve().parents[1]

OPEN_AND_REPORT = textwrap.dedent(
    """
    import json, sys
    from console.db.connection import open_database
    from console.profiles import Profile
    db = open_database(Profile("dev", environment="dev", url=sys.argv[1]))
    report = db.migration
    print(json.dumps({
        "state": report.state.value,
        "applied": report.applied,
        "read_only": db.read_only,
        "differences": report.schema.differences,
        "loaded": sorted(m for m in ("alembic", "sqlalchemy.orm", "models.tables", "mako")
                         if m in sys.modules),
    }))
    db.close()
    """
)


def _open_in_child(url: str) -> dict:
    return run_snippet(OPEN_AND_REPORT, url)


def _psql(url: str, statement: str) -> None:
    with psycopg.connect(libpq_conninfo(make_url(url)), autocommit=True) as conn:
        conn.execute(statement)


def test_the_snapshot_equals_what_the_models_and_migrations_say() -> None:
    assert contract_gen.table_contracts() == contract_snapshot.TABLES, (
        "console/db/contract_snapshot.py is stale: run python -m console.db.contract_gen"
    )
    assert contract_gen.revisions() == contract_snapshot.REVISIONS


def test_the_written_snapshot_is_what_the_generator_renders(tmp_path: Path) -> None:
    rendered = tmp_path / "snapshot.py"
    rendered.write_text(contract_gen.render(), encoding="utf-8")
    namespace: dict = {}
    exec(compile(rendered.read_text(encoding="utf-8"), str(rendered), "exec"), namespace)
    assert namespace["TABLES"] == contract_snapshot.TABLES
    assert namespace["REVISIONS"] == contract_snapshot.REVISIONS


def test_connecting_to_a_current_database_imports_neither_alembic_nor_the_orm(
    db_url: str,
) -> None:
    got = _open_in_child(db_url)
    assert got == {
        "state": "current",
        "applied": [],
        "read_only": False,
        "differences": [],
        "loaded": [],
    }


def test_a_drifted_schema_is_found_without_alembic(db_url: str) -> None:
    _psql(db_url, "ALTER TABLE workflows DROP COLUMN description")
    _psql(db_url, "ALTER TABLE integrations ALTER COLUMN name TYPE text")
    got = _open_in_child(db_url)
    assert got["state"] == "mismatch" and got["read_only"] is True
    assert "workflows.description is missing" in got["differences"]
    assert "integrations.name is text, expected character varying(255)" in got["differences"]
    assert got["loaded"] == []


def test_an_empty_database_is_still_migrated_to_the_head(empty_db_url: str) -> None:
    got = _open_in_child(empty_db_url)
    assert got["state"] == "current"
    assert got["applied"] == list(contract_snapshot.REVISIONS)
    assert "alembic" in got["loaded"]  # migrating is Alembic's job
