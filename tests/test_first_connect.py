"""Migrations on first connect: concurrency, databases we must not touch, asking first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from console.db.connection import open_database
from console.db.migrator import MigrationRefused, SchemaState, script_directory
from console.db.urls import libpq_conninfo
from console.profiles import Profile, ProfileStore
from tests.helpers.catalog import catalog_dump

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import json, logging, os, sys, time
    from pathlib import Path
    go = Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.005)
    from console.db.connection import open_database
    from console.profiles import Profile
    db = open_database(Profile("dev", environment="dev", url=sys.argv[1]))
    print(json.dumps({"applied": db.migration.applied, "state": db.migration.state.value,
                      "read_only": db.read_only}))
    db.close()
    """
)


def _psql(url: str, *statements: str) -> list[tuple]:
    with psycopg.connect(libpq_conninfo(make_url(url)), autocommit=True) as conn:
        rows: list[tuple] = []
        for stmt in statements:
            cur = conn.execute(stmt)
            if cur.description:
                rows = cur.fetchall()
        return rows


def _head() -> str:
    return script_directory().get_current_head() or ""


def _after(revision: str) -> list[str]:
    """The revisions a database at ``revision`` still has to run, oldest first."""
    from console.db.contract_snapshot import REVISIONS

    return list(REVISIONS[REVISIONS.index(revision) + 1 :])


def test_five_consoles_at_once_migrate_an_empty_database_once(
    empty_db_url: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, empty_db_url, str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]
    time.sleep(1.0)  # let all five import and wait at the gate (correctness does not depend on it)
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    migrated = [r for r in results if r["applied"]]
    assert len(migrated) == 1, results
    assert migrated[0]["applied"][-1] == _head()
    assert all(not r["read_only"] for r in results), results
    assert _psql(empty_db_url, "SELECT version_num FROM autopr_console_version") == [(_head(),)]


def _stamp_unknown(url: str) -> None:
    _psql(url, "UPDATE autopr_console_version SET version_num = 'ffffffffffff'")


def _mismatched(url: str) -> None:
    _psql(
        url,
        "DROP TABLE autopr_console_version",
        "ALTER TABLE workflows ALTER COLUMN name TYPE text",
        "ALTER TABLE integrations DROP CONSTRAINT chk_integration_type",
    )


@pytest.mark.parametrize(
    ("prepare", "state", "words"),
    [
        (_stamp_unknown, SchemaState.AHEAD, "ffffffffffff"),
        (_mismatched, SchemaState.MISMATCH, "workflows.name is text"),
    ],
    ids=["unknown-revision", "tables-differ"],
)
@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_a_database_we_do_not_understand_is_left_untouched_and_opened_read_only(
    db_url: str, prepare, state: SchemaState, words: str, environment: str
) -> None:
    prepare(db_url)
    _psql(db_url, "INSERT INTO workflows (name) VALUES ('theirs')")
    before = catalog_dump(db_url)
    db = open_database(
        Profile(environment, environment=environment, url=db_url),
        confirm_migrations=lambda report: True,  # even a yes must not alter it
    )
    try:
        assert db.migration.state is state
        assert db.read_only
        assert db.read_only_reason and words in db.read_only_reason
        assert "nothing was changed" in db.read_only_reason
        with db.engine.connect() as conn:
            assert conn.execute(text("SHOW default_transaction_read_only")).scalar() == "on"
            assert conn.execute(text("SELECT name FROM workflows")).scalars().all() == ["theirs"]
    finally:
        db.close()
    assert catalog_dump(db_url) == before


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_staging_and_prod_refuse_pending_revisions_without_confirmation(
    empty_db_url: str, environment: str
) -> None:
    profile = Profile(environment, environment=environment, url=empty_db_url)
    before = catalog_dump(empty_db_url)
    with pytest.raises(MigrationRefused) as info:
        open_database(profile)
    assert info.value.report.pending[-1] == _head()
    assert catalog_dump(empty_db_url) == before

    asked = []

    def no(report):
        asked.append(list(report.pending))
        return False

    with pytest.raises(MigrationRefused):
        open_database(profile, confirm_migrations=no)
    assert asked and asked[0][-1] == _head()
    assert catalog_dump(empty_db_url) == before

    db = open_database(profile, confirm_migrations=lambda report: True)
    try:
        assert db.migration.applied[-1] == _head()
        assert db.read_only is (environment == "prod")
    finally:
        db.close()
    assert _psql(empty_db_url, "SELECT version_num FROM autopr_console_version") == [(_head(),)]


@pytest.mark.parametrize("environment", ["local", "dev"])
def test_local_and_dev_apply_by_themselves(empty_db_url: str, environment: str) -> None:
    db = open_database(Profile("p", environment=environment, url=empty_db_url))
    try:
        assert db.migration.applied and db.migration.state is SchemaState.CURRENT
        assert not db.read_only
    finally:
        db.close()


def test_a_database_behind_is_brought_to_head(db_url: str) -> None:
    _psql(
        db_url,
        "DROP TABLE audit_log",
        "DROP TRIGGER trg_execution_logs_notify ON execution_logs",
        "DROP FUNCTION autopr_notify_execution_logs()",
        "UPDATE autopr_console_version SET version_num = '0001'",
    )
    db = open_database(Profile("dev", environment="dev", url=db_url))
    try:
        assert db.migration.applied[:2] == ["0002", "0003"]
        assert db.migration.applied[-1] == _head()
    finally:
        db.close()


def _cli(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOPR_CONSOLE_HOME": str(home)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_migrate_on_staging_refuses_without_yes_and_applies_with_it(
    empty_db_url: str, isolated_home: Path
) -> None:
    ProfileStore().save(Profile("stg", environment="staging", url=empty_db_url))
    before = catalog_dump(empty_db_url)

    refused = _cli("migrate", "--profile", "stg", home=isolated_home)
    assert refused.returncode != 0
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert "pending migrations" in lines[0] and "--yes" in lines[0]
    assert catalog_dump(empty_db_url) == before

    applied = _cli("migrate", "--profile", "stg", "--yes", home=isolated_home)
    assert applied.returncode == 0, applied.stderr
    assert f"is at {_head()}" in applied.stdout
    assert _psql(empty_db_url, "SELECT version_num FROM autopr_console_version") == [(_head(),)]

    again = _cli("migrate", "--profile", "stg", home=isolated_home)
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout


def test_cli_migrate_refuses_a_database_it_does_not_understand(
    db_url: str, isolated_home: Path
) -> None:
    _stamp_unknown(db_url)
    before = catalog_dump(db_url)
    result = _cli("migrate", "--url", db_url, "--yes", home=isolated_home)
    assert result.returncode != 0
    assert "ffffffffffff" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert catalog_dump(db_url) == before


def test_url_before_the_command_is_honoured(empty_db_url: str, isolated_home: Path) -> None:
    result = _cli("--url", empty_db_url, "migrate", home=isolated_home)
    assert result.returncode == 0, result.stderr
    assert _psql(empty_db_url, "SELECT version_num FROM autopr_console_version") == [(_head(),)]


def test_a_failing_revision_is_explained_and_releases_the_lock(db_url: str) -> None:
    from console.db.connection import ConnectionFailed

    # At 0001 with 0002 undone, and a type in audit_log's way: 0002 applies, 0003 fails.
    _psql(
        db_url,
        "DROP TRIGGER trg_execution_logs_notify ON execution_logs",
        "DROP FUNCTION autopr_notify_execution_logs()",
        "DROP TABLE audit_log",
        "CREATE TYPE audit_log AS (x integer)",
        "UPDATE autopr_console_version SET version_num = '0001'",
    )
    with pytest.raises(ConnectionFailed) as info:
        open_database(Profile("dev", environment="dev", url=db_url))
    message = str(info.value)
    assert info.value.kind == "migration"
    assert '"audit_log" already exists' in message
    assert "now at revision 0002" in message
    assert _psql(db_url, "SELECT version_num FROM autopr_console_version") == [("0002",)]
    assert _psql(db_url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == [(0,)]

    _psql(db_url, "DROP TYPE audit_log")  # the DBA fixes it; the next start finishes the job
    db = open_database(Profile("dev", environment="dev", url=db_url))
    try:
        assert db.migration.applied[0] == "0003" and db.migration.applied[-1] == _head()
    finally:
        db.close()


def test_ddl_waits_a_few_seconds_per_try_says_for_whom_and_retries(db_url: str) -> None:
    """A session holding execution_logs makes 0004 wait: bounded, explained, retried."""
    from console.db.engine import EngineSettings, make_engine
    from console.db.migrator import MigrationFailed, ensure_schema

    _psql(db_url, "UPDATE autopr_console_version SET version_num = '0003'")
    holder = psycopg.connect(libpq_conninfo(make_url(db_url)))
    holder.execute("SELECT count(*) FROM execution_logs")  # an open transaction holds the table
    engine = make_engine(db_url, EngineSettings(statement_timeout_ms=0))
    messages: list[str] = []
    try:
        with pytest.raises(MigrationFailed) as info:
            ensure_schema(
                engine,
                apply=True,
                progress=messages.append,
                lock_timeout_ms=200,
                attempts=3,
                retry_delay_s=0.05,
            )
        print(messages, info.value, sep="\n")
        assert len(messages) == 2
        assert all("waiting for 1 session(s)" in m for m in messages)
        assert "1 other session(s) kept locks" in str(info.value)
        assert "now at revision 0003" in str(info.value)
        # Nothing queued behind the attempt: the holder and others go on.
        assert _psql(db_url, "SELECT count(*) FROM execution_logs") == [(0,)]

        messages.clear()

        def told(message: str) -> None:  # the holder ends its transaction once told
            messages.append(message)
            holder.rollback()

        report = ensure_schema(
            engine,
            apply=True,
            progress=told,
            lock_timeout_ms=200,
            attempts=10,
            retry_delay_s=0.05,
        )
        assert report.applied == _after("0003") and len(messages) == 1
        assert _psql(db_url, "SELECT version_num FROM autopr_console_version") == [(_head(),)]
    finally:
        holder.close()
        engine.dispose()


def _as_an_older_console_left_it(url: str, revision: str = "0003") -> None:
    """History in the shared alembic_version, as consoles before 0004 kept it."""
    _psql(
        url,
        "ALTER TABLE autopr_console_version RENAME TO alembic_version",
        "ALTER TABLE alembic_version RENAME CONSTRAINT autopr_console_version_pkc "
        "TO alembic_version_pkc",
        f"UPDATE alembic_version SET version_num = '{revision}'",
    )


def test_an_older_console_database_moves_its_history_to_its_own_table(db_url: str) -> None:
    _as_an_older_console_left_it(db_url)
    _psql(db_url, "INSERT INTO workflows (name) VALUES ('kept')")
    db = open_database(Profile("dev", environment="dev", url=db_url))
    try:
        assert db.migration.applied == _after("0003") and not db.read_only
    finally:
        db.close()
    assert _psql(db_url, "SELECT version_num FROM autopr_console_version") == [(_head(),)]
    assert _psql(db_url, "SELECT to_regclass('alembic_version') IS NULL") == [(True,)]
    assert _psql(db_url, "SELECT name FROM workflows") == [("kept",)]


def test_the_engines_alembic_version_is_never_touched(db_url: str) -> None:
    """The engine's own history beside the console's: read, reported, left as it is."""
    _psql(
        db_url,
        "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
        "INSERT INTO alembic_version VALUES ('9a1b2c3d4e5f')",
        "UPDATE autopr_console_version SET version_num = '0003'",
    )
    db = open_database(Profile("dev", environment="dev", url=db_url))
    try:
        assert db.migration.engine_revision == ("9a1b2c3d4e5f",)
        assert db.migration.applied == _after("0003")
    finally:
        db.close()
    assert _psql(db_url, "SELECT version_num FROM alembic_version") == [("9a1b2c3d4e5f",)]


def test_cli_migrate_shows_the_sql_first_and_prod_needs_the_unlock(
    db_url: str, isolated_home: Path
) -> None:
    _psql(db_url, "UPDATE autopr_console_version SET version_num = '0003'")
    ProfileStore().save(Profile("live-db", environment="prod", url=db_url))
    before = catalog_dump(db_url)
    for extra in ([], ["--yes"], ["--unlock", "prod"]):
        refused = _cli("migrate", "--profile", "live-db", *extra, home=isolated_home)
        assert refused.returncode != 0
        assert "ON DELETE SET NULL" in refused.stdout  # the pending SQL, shown first
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert "unlock" in refused.stderr
        assert catalog_dump(db_url) == before
    applied = _cli("migrate", "--profile", "live-db", "--unlock", "live-db", home=isolated_home)
    assert applied.returncode == 0, applied.stderr
    print(applied.stdout.splitlines()[-1])
    assert f"applied {', '.join(_after('0003'))}" in applied.stdout
    assert _psql(db_url, "SELECT version_num FROM autopr_console_version") == [(_head(),)]


def test_on_staging_the_history_move_is_asked_for_too(db_url: str) -> None:
    _as_an_older_console_left_it(db_url, _head())
    profile = Profile("stg", environment="staging", url=db_url)
    asked: list[list[str]] = []
    db = open_database(profile, confirm_migrations=lambda r: asked.append(r.steps) or False)
    try:
        assert asked and "move the console's history" in asked[0][0]
        assert db.read_only and "alembic_version" in (db.read_only_reason or "")
    finally:
        db.close()
    assert _psql(db_url, "SELECT version_num FROM alembic_version") == [(_head(),)]
    db = open_database(profile, confirm_migrations=lambda r: True)
    try:
        assert not db.read_only and db.migration.state is SchemaState.CURRENT
    finally:
        db.close()
    assert _psql(db_url, "SELECT version_num FROM autopr_console_version") == [(_head(),)]
    assert _psql(db_url, "SELECT to_regclass('alembic_version') IS NULL") == [(True,)]
