"""The console on a database the AutoPR Engine built (see ``engine_schema``)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

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

ROOT = Path(__file__).resolve().parents[1]


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


GENERATOR_SQL = (
    "SELECT to_regclass('autopr_execution_id_seq') IS NOT NULL, "
    "to_regprocedure('autopr_execution_id_suffix(bigint)') IS NOT NULL, "
    "strpos(pg_get_functiondef('autopr_new_execution_id()'::regprocedure), 'md5(random()') > 0"
)


def test_the_id_generator_revision_round_trip_leaves_the_engines_tables_alone(engine_db) -> None:
    """0005 -> 0004 -> 0005 beside the engine's tables (execution_id without a default):
    only the console's generator changes, and a retry takes its id from the sequence."""
    from console.actions import executions
    from models.execution_ids import scramble
    from tests.helpers.actions import make_ctx
    from tests.helpers.migrate import migrate

    url, ids = engine_db
    before = _engine_objects(url)
    open_database(Profile("dev", environment="dev", url=url)).close()
    assert _rows(url, GENERATOR_SQL) == [(True, True, False)]
    migrate(url, "downgrade", "0004")
    assert _rows(url, GENERATOR_SQL) == [(False, False, True)]  # the random digits again
    assert _engine_objects(url) == before
    migrate(url, "upgrade", "head")
    assert _rows(url, GENERATOR_SQL) == [(True, True, False)]
    assert _engine_objects(url) == before
    assert _rows(url, "SELECT version_num FROM alembic_version") == [(ENGINE_REVISION,)]
    db = open_database(Profile("dev", environment="dev", url=url))
    try:
        failed_id, failed_code = ids["executions"][("deploy-prod", "failed")]
        result = executions.retry_execution(make_ctx(db.engine, "dev"), failed_code)
    finally:
        db.close()
    [(child, drawn)] = _rows(
        url,
        "SELECT execution_id, (SELECT last_value FROM autopr_execution_id_seq) "
        "FROM workflow_executions WHERE parent_execution_id = %s",
        (failed_id,),
    )
    print(result.message)
    assert child.endswith(f"-{scramble(drawn):06x}") and drawn == 1


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


@pytest.fixture
def adopted(engine_db) -> Iterator[tuple[str, dict, object]]:
    """The engine's database opened (and its console objects installed) on dev."""
    url, ids = engine_db
    db = open_database(Profile("dev", environment="dev", url=url))
    yield url, ids, db
    db.close()


def _window(conn, key: str, filters: dict) -> list[dict]:
    from console.queries import keyset
    from console.queries.specs import SPECS

    q = keyset.WindowQuery.make(SPECS[key], filters)
    return keyset.fetch_window(conn, q, "top", 200)


def test_every_read_works_on_json_columns(adopted) -> None:
    from console.queries import counts, details, keyset, overview
    from console.queries.specs import SPECS

    _url, ids, db = adopted
    _running_id, running_code = ids["executions"][("pr-review", "running")]
    failed_id, failed_code = ids["executions"][("deploy-prod", "failed")]
    tried: list[str] = []
    with db.engine.connect() as conn:
        for key in SPECS:  # every page, unfiltered, with its estimate
            rows = _window(conn, key, {})
            assert rows, key
            q = keyset.WindowQuery.make(SPECS[key], {"text": "a"})
            counts.estimate_rows(conn, q)
            tried.append(f"{key}: {len(rows)} rows")
        cases = {
            "workflows json": ("workflows", {"json": '{"max_retries": 3}'}, 3),
            "integrations json": ("integrations", {"json": '{"app_id": 42}'}, 1),
            "events json": ("events", {"json": '{"action": "opened"}'}, 3),
            "executions engine trigger": ("executions", {"trigger_type": ["issue_comment"]}, 3),
            "executions id prefix": ("executions", {"text": "pr-review_"}, 4),
            "executions exact id": ("executions", {"text": running_code}, 1),
            "logs by engine id": ("logs", {"text": failed_code}, 3),
            "logs by id prefix": ("logs", {"text": "deploy-prod_"}, 12),
            "logs message word": ("logs", {"text": "timeout"}, 9),
        }
        for name, (key, filters, expected) in cases.items():
            got = len(_window(conn, key, filters))
            tried.append(f"{name}: {got}")
            assert got == expected, name
        assert details.workflow_detail(conn, str(ids["pr-review"]))["actions"]
        ex = details.execution_detail(conn, str(failed_id))
        assert ex["trigger_data"] == {"repository": "acme/app", "pr": 101}
        assert details.integration_detail(conn, str(ids["integration"])) is not None
        assert details.event_detail(conn, str(ids["event/failed"])) is not None
        log_row = _window(conn, "logs", {"text": failed_code})[0]
        assert details.log_detail(conn, str(log_row["id"]))["log_metadata"]["repo"] == "acme/app"
        snap = overview.load_overview(conn)
        assert snap.buckets.total >= 9 and snap.running.total == 3
        assert [r.timeout_s for r in snap.running.rows] == [600.0] * 3
        tried.append(f"overview: {snap.buckets.total} executions, {snap.running.total} running")
    print(*tried, sep="\n")


def test_tail_and_export_find_engine_ids(adopted, tmp_path) -> None:
    from console.tail.export import export_execution_log
    from console.tail.resolve import resolve_execution

    url, ids, _db = adopted
    done_id, done_code = ids["executions"][("issue-triage", "completed")]
    with psycopg.connect(_conninfo(url)) as conn:
        assert resolve_execution(conn, done_code).id == done_id
        assert resolve_execution(conn, done_code[:-3]).id == done_id  # a unique prefix
        with pytest.raises(LookupError, match="more than one"):
            resolve_execution(conn, "issue-triage_")
    connect = lambda: psycopg.connect(_conninfo(url))  # noqa: E731
    assert export_execution_log(connect, done_id, tmp_path / "log.txt") == 3
    out = subprocess.run(
        [sys.executable, "-m", "console", "tail", "--url", url, "--environment", "dev",
         "--execution", done_code[:-3], "--format", "jsonl"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.strip().splitlines()) == 3


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "console", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_cancel_by_engine_id_prefix_with_the_engine_clock_ahead(adopted) -> None:
    url, ids, _db = adopted
    ex_id, code = ids["executions"][("pr-review", "running")]
    server_now = _rows(url, "SELECT now()")[0][0]
    started = _rows(url, "SELECT started_at FROM workflow_executions WHERE id = %s", (ex_id,))
    assert started[0][0] > server_now  # the engine's clock is ahead
    out = _cli("execution", "cancel", code[:-4], "--url", url, "--environment", "dev")
    print(out.stdout.strip(), out.stderr.strip())
    assert out.returncode == 0, out.stderr
    assert f"cancelled {code}" in out.stdout
    row = _rows(
        url,
        "SELECT status, completed_at = started_at FROM workflow_executions WHERE id = %s",
        (ex_id,),
    )
    assert row == [("cancelled", True)]  # greatest(now(), started_at)
    audit = _rows(url, "SELECT after FROM audit_log WHERE action = 'execution.cancel'")
    after = audit[0][0]
    assert after["started_at"] > after["server_now"]  # both clocks recorded
    print("audit after:", after)


def test_actions_write_engine_rows(adopted) -> None:
    from console.actions import events, executions, integrations, triggers, workflows
    from tests.helpers.actions import make_ctx

    url, ids, db = adopted
    ctx = make_ctx(db.engine, "dev")
    done: list[str] = []
    _fid, failed_code = ids["executions"][("deploy-prod", "failed")]
    retried = executions.retry_execution(ctx, failed_code)
    done.append(retried.message)
    child = _rows(
        url,
        "SELECT execution_id, status, trigger_data->>'retry_of' FROM workflow_executions "
        "WHERE parent_execution_id = %s",
        (_fid,),
    )
    assert child[0][1:] == ("pending", failed_code) and child[0][0].startswith("exec-")
    timeout_code = ids["executions"][("issue-triage", "timeout")][1]
    done.append(executions.retry_execution(ctx, timeout_code[:-2]).message)  # by prefix
    done.append(workflows.set_workflow_status(ctx, "issue-triage", "inactive").message)
    from console.secret_policy import MASK

    edited = {"max_retries": 5, "timeout_seconds": 900, "token": MASK}
    done.append(workflows.edit_workflow(ctx, "pr-review", config=edited).message)
    cfg = _rows(url, "SELECT config::text FROM workflows WHERE name = 'pr-review'")[0][0]
    assert '"max_retries": 5' in cfg and "sk-live-0" in cfg  # json column, secret kept
    done.append(integrations.set_integration_enabled(ctx, "GitHub App", False).message)
    shown, _raw = integrations.load_masked_config(db.engine, "GitHub App")
    done.append(
        integrations.edit_integration_config(ctx, "GitHub App", {**shown, "app_id": 43}).message
    )
    first, second = str(ids["pr-review/action"]), str(ids["pr-review/action2"])
    done.append(workflows.edit_action(ctx, second, config={"channel": "#ops"}).message)
    done.append(workflows.reorder_actions(ctx, "pr-review", [second, first]).message)
    order = _rows(
        url,
        "SELECT action_name, order_index FROM workflow_actions "
        "WHERE workflow_id = %s ORDER BY order_index",
        (ids["pr-review"],),
    )
    assert order == [("Ping the author", 0), ("Post review", 1)]  # unnamed UNIQUE held
    trigger = str(ids["pr-review/trigger"])
    done.append(triggers.set_trigger_enabled(ctx, trigger, False).message)
    done.append(
        triggers.edit_trigger_conditions(
            ctx, trigger, {"event_type": "pull_request.closed"}
        ).message
    )
    done.append(events.requeue_event(ctx, str(ids["event/failed"])).message)
    done.append(events.ignore_event(ctx, str(ids["event/pending"])).message)
    audited = _rows(url, "SELECT count(*) FROM audit_log")[0][0]
    print(*done, f"audit rows: {audited}", sep="\n")
    assert audited == len(done)


def test_the_window_pages_work_on_the_engines_database(qtbot, engine_db, tmp_path) -> None:
    from console.ui.tables.base import TablePage
    from tests.helpers.windows import shown_window

    url, _ids = engine_db
    win = shown_window(qtbot, size=(1200, 760))

    def settle() -> None:
        qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=60_000)

    win.connect_profile(Profile("engine-dev", environment="dev", url=url))
    qtbot.waitUntil(lambda: win.state == "connected", timeout=60_000)
    tables = 0
    for spec in win.specs:
        win.show_page(spec.key)
        win.refresh_current()
        settle()
        page = win.pages[spec.key]
        if isinstance(page, TablePage):
            assert page.last_error() is None, (spec.key, page.last_error())
            assert page.model.rowCount() > 0, spec.key
            tables += 1
        elif spec.key == "overview":
            assert page.snapshot is not None and page.error.isHidden()
            assert page.snapshot.running.total == 3
    assert tables == 5
    win.open_page("workflows", {"json": '{"max_retries": 3}'})
    settle()
    workflows = win.pages["workflows"]
    assert workflows.model.rowCount() == 3
    assert "json here" in workflows.notes_label.text()
    win.open_page("executions", {"trigger_type": ["github_webhook"]})
    settle()
    assert win.pages["executions"].model.rowCount() == 3
    button = win.pages["executions"].filter_bar.choice_button("trigger_type")
    qtbot.waitUntil(lambda: "issue_comment" in button.options(), timeout=10_000)
    assert {"pull_request", "issue_comment", "github_webhook"} <= set(button.options())
    assert button.values() == ["github_webhook"]  # the chosen value shows as chosen
    win.grab().save(str(tmp_path / "engine-executions.png"))
    win.close()


def test_cli_migrate_says_what_it_found_and_asks_on_staging(engine_db, isolated_home) -> None:
    from console.profiles import ProfileStore

    url, _ids = engine_db
    ProfileStore().save(Profile("engine-stg", environment="staging", url=url))
    env_home = {"AUTOPR_CONSOLE_HOME": str(isolated_home)}
    refused = subprocess.run(
        [sys.executable, "-m", "console", "migrate", "--profile", "engine-stg"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **env_home},
    )  # fmt: skip
    print(refused.stdout.split("BEGIN;")[0])
    assert refused.returncode != 0 and len(refused.stderr.strip().splitlines()) == 1
    assert "the 7 AutoPR tables match the contract" in refused.stdout
    assert "engine migrations: alembic_version at 9a1b2c3d4e5f" in refused.stdout
    assert "other tables (left alone): allowed_commenters, comment_filter_settings" in (
        refused.stdout
    )
    assert "CREATE TABLE audit_log" in refused.stdout  # the SQL, before anything runs
    assert "CREATE TABLE workflows" not in refused.stdout  # the engine's tables stay theirs
    assert "alembic stamp" not in (refused.stdout + refused.stderr).lower()
    assert _rows(url, "SELECT to_regclass('audit_log') IS NULL") == [(True,)]
    applied = subprocess.run(
        [sys.executable, "-m", "console", "migrate", "--profile", "engine-stg", "--yes"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **env_home},
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    assert "applied 0001, 0002, 0003, 0004, 0005" in applied.stdout
    assert _rows(url, "SELECT version_num FROM alembic_version") == [(ENGINE_REVISION,)]


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ("INSERT INTO workflows (id, name, config) VALUES (gen_random_uuid(), 'pr-review', '{}')",
         "a workflow with that name exists (workflows_name_key)"),
        ("UPDATE integrations SET health_status = 'on fire'",
         "not a valid health status (chk_health_status)"),
        ("UPDATE workflow_actions SET order_index = 0",
         "share an order_index (workflow_actions_workflow_id_order_index_key)"),
    ],
    ids=["unnamed-unique", "engine-check-name", "unnamed-composite-unique"],
)  # fmt: skip
def test_the_engines_constraint_names_read_as_words(engine_db, statement, words) -> None:
    from sqlalchemy.exc import IntegrityError

    from console.actions.dberrors import explain

    url, _ids = engine_db
    engine = make_engine(url)
    try:
        with engine.connect() as conn, pytest.raises(IntegrityError) as info:
            conn.execute(text(statement))
    finally:
        engine.dispose()
    assert words in str(explain(info.value))


def test_a_revision_stamped_by_hand_is_not_taken_for_history(engine_db) -> None:
    """An older console told people to stamp; what the stamp claims is checked."""
    url, _ids = engine_db
    _rows(url, "UPDATE alembic_version SET version_num = '0003' RETURNING version_num")
    db = open_database(Profile("dev", environment="dev", url=url))
    try:
        assert db.migration.applied == ["0001", "0002", "0003", "0004", "0005"]
        assert not db.read_only
    finally:
        db.close()
    assert _rows(url, "SELECT to_regclass('audit_log') IS NOT NULL") == [(True,)]
    assert _rows(url, "SELECT version_num FROM autopr_console_version") == [("0005",)]


def test_declined_window_reads_every_page(qtbot, engine_db) -> None:
    """Staging, migrations declined: read-only, every page reads, the audit page explains."""
    from console.ui.banner import MigrationDialog
    from console.ui.tables.base import TablePage
    from tests.helpers.windows import shown_window

    url, _ids = engine_db
    win = shown_window(qtbot, size=None)
    win.connect_profile(Profile("engine-stg", environment="staging", url=url))

    def dialogs() -> list:
        return [d for d in win.findChildren(MigrationDialog) if d.isVisible()]

    qtbot.waitUntil(lambda: len(dialogs()) == 1, timeout=60_000)
    dialogs()[0].decline_button.click()
    qtbot.waitUntil(lambda: win.state == "connected", timeout=60_000)
    assert win.db.read_only and "not installed" in (win.db.read_only_reason or "")
    for spec in win.specs:
        win.show_page(spec.key)
        win.refresh_current()
        qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=60_000)
        page = win.pages[spec.key]
        if isinstance(page, TablePage):
            assert page.last_error() is None and page.model.rowCount() > 0, spec.key
    audit = win.pages["audit"]
    assert "no audit trail yet" in audit.status_label.text()
    win.close()
