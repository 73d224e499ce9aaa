"""The ``alembic`` command line from the repository root, and the console's offline SQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from console.db.urls import libpq_conninfo
from tests.helpers.catalog import catalog_dump

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = {
    "workflows",
    "workflow_executions",
    "workflow_actions",
    "workflow_triggers",
    "execution_logs",
    "integrations",
    "integration_events",
}


def alembic(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``alembic ARGS`` from the repo root with DATABASE_URL; fail the test on error."""
    env = {**os.environ, "DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"alembic {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def console_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def tables(url: str) -> set[str]:
    with psycopg.connect(libpq_conninfo(make_url(url))) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def functions(url: str) -> set[str]:
    with psycopg.connect(libpq_conninfo(make_url(url))) as conn:
        rows = conn.execute(
            "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
        ).fetchall()
    return {r[0] for r in rows}


def _action_fk_rule(url: str) -> str:
    with psycopg.connect(libpq_conninfo(make_url(url))) as conn:
        row = conn.execute(
            "SELECT confdeltype FROM pg_constraint WHERE conname = 'execution_logs_action_id_fkey'"
        ).fetchone()
    assert row is not None
    return row[0]


def test_upgrade_downgrade_round_trip(empty_db_url: str, db_url: str) -> None:
    up = alembic(empty_db_url, "upgrade", "head")
    assert "Running upgrade  -> 0001" in up.stderr
    assert tables(empty_db_url) >= CONTRACT | {"audit_log", "autopr_console_version"}
    # The CLI builds exactly what the console's programmatic migration built (db_url).
    assert catalog_dump(empty_db_url, storage=False) == catalog_dump(db_url, storage=False)

    current = alembic(empty_db_url, "current")
    assert "(head)" in current.stdout
    assert _action_fk_rule(empty_db_url) == "n"  # 0004: ON DELETE SET NULL

    assert "autopr_execution_id_suffix" in functions(empty_db_url)  # 0005
    alembic(empty_db_url, "downgrade", "-1")
    assert functions(empty_db_url) == {"autopr_new_execution_id", "autopr_notify_execution_logs"}
    assert _action_fk_rule(empty_db_url) == "n"  # 0005 undone: the generator only
    alembic(empty_db_url, "downgrade", "-1")
    assert _action_fk_rule(empty_db_url) == "a"  # 0004 undone: NO ACTION again
    alembic(empty_db_url, "downgrade", "-1")
    assert "audit_log" not in tables(empty_db_url)
    assert tables(empty_db_url) >= CONTRACT

    alembic(empty_db_url, "downgrade", "base")
    assert tables(empty_db_url) == {"autopr_console_version"}
    assert functions(empty_db_url) == set()
    assert alembic(empty_db_url, "current").stdout.strip() == ""

    alembic(empty_db_url, "upgrade", "head")
    assert catalog_dump(empty_db_url, storage=False) == catalog_dump(db_url, storage=False)


def test_history_lists_every_revision(empty_db_url: str) -> None:
    out = alembic(empty_db_url, "history").stdout
    from console.db.migrator import script_directory

    revisions = [r.revision for r in script_directory().walk_revisions()]
    assert len(revisions) >= 3
    for rev in revisions:
        assert rev in out
    assert "(head)" in out


def test_models_and_migrations_agree(db_url: str) -> None:
    result = alembic(db_url, "check")
    assert "No new upgrade operations detected" in result.stdout + result.stderr


def test_alembic_without_database_url_explains(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "current"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stdout + result.stderr


def test_migrate_sql_prints_the_pending_ddl_and_changes_nothing(empty_db_url: str) -> None:
    result = console_cli("migrate", "--sql", "--url", empty_db_url)
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE workflows" in result.stdout
    assert "CREATE INDEX idx_integration_events_queue" in result.stdout
    assert "INSERT INTO autopr_console_version" in result.stdout
    assert tables(empty_db_url) == set()  # offline: printed, not applied


def test_migrate_sql_from_a_behind_database_prints_only_what_is_pending(
    empty_db_url: str,
) -> None:
    alembic(empty_db_url, "upgrade", "0001")
    result = console_cli("migrate", "--sql", "--url", empty_db_url)
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE workflows" not in result.stdout
    assert "CREATE TABLE audit_log" in result.stdout
    assert "trg_execution_logs_notify" in result.stdout
    assert tables(empty_db_url) >= CONTRACT and "audit_log" not in tables(empty_db_url)


def test_migrate_sql_on_a_current_database_says_so(db_url: str) -> None:
    result = console_cli("migrate", "--sql", "--url", db_url)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert "CREATE TABLE" not in result.stdout


def test_migrate_sql_on_the_local_profile_reads_the_embedded_database() -> None:
    import shutil
    import tempfile

    from console.db.embedded import EmbeddedServer

    # Outside pytest's basetemp (see tests/test_embedded.py:server_home).
    home = Path(tempfile.mkdtemp(prefix="autopr-mig-"))
    env = {"AUTOPR_CONSOLE_HOME": str(home)}
    try:
        fresh = console_cli("migrate", "--sql", env=env)
        assert fresh.returncode == 0, fresh.stderr
        assert "CREATE TABLE workflows" in fresh.stdout

        applied = console_cli("migrate", env=env)
        assert applied.returncode == 0, applied.stderr
        assert "autopr_dev" in applied.stdout

        current = console_cli("migrate", "--sql", env=env)
        assert current.returncode == 0, current.stderr
        assert "up to date" in current.stdout and "CREATE TABLE" not in current.stdout
        assert not EmbeddedServer(home / "data" / "embedded").is_running()
    finally:
        EmbeddedServer(home / "data" / "embedded").stop(force=True)
        shutil.rmtree(home, ignore_errors=True)
