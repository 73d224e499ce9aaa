"""Read replicas with real servers: a primary of its own and a ``pg_basebackup -R`` standby.

The pair is private to this module (the last test stops the primary).  Reads go
to the standby, writes to the primary; past the lag threshold or without the
replica, reads go to the primary; the tail follows the standby exactly once;
with the primary down, a console keeps reading and a new one opens read-only.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from console.actions.context import ActionContext
from console.actions.errors import ActionError
from console.actions.executions import cancel_execution
from console.actions.guard import WriteGuard
from console.db.connection import open_database
from console.db.embedded import EmbeddedServer
from console.db.engine import EngineSettings, make_engine
from console.db.migrator import ensure_schema
from console.db.replica import ReadRouter, replica_engine
from console.profiles import Profile, ProfileError, ProfileStore
from console.queries.keyset import WindowQuery, fetch_window
from console.queries.specs import EXECUTIONS
from tests.helpers.loadgen import WriterPlan, finish_execution, make_execution
from tests.helpers.loadgen import run_writer as write
from tests.helpers.standby import make_standby

DB = "autopr_replica"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[EmbeddedServer, EmbeddedServer]]:
    # outside pytest's basetemp, like the session server (see conftest.pg_server)
    root = Path(tempfile.mkdtemp(prefix="autopr-test-replica-"))
    primary = EmbeddedServer(root / "primary")
    primary.start()
    primary.ensure_database(DB)
    engine = make_engine(primary.address.url(DB), EngineSettings(statement_timeout_ms=0))
    try:
        ensure_schema(engine, apply=True)
    finally:
        engine.dispose()
    standby = make_standby(primary, root / "standby")
    yield primary, standby
    standby.stop(force=True)
    primary.stop(force=True)
    shutil.rmtree(root, ignore_errors=True)


def _profile(pair, **kw) -> Profile:
    primary, standby = pair
    return Profile(
        "rep",
        environment="dev",
        url=primary.address.url(DB),
        replica_url=standby.address.url(DB),
        **kw,
    )


def _wait_replayed(primary: EmbeddedServer, standby: EmbeddedServer) -> None:
    with psycopg.connect(primary.address.conninfo(DB), autocommit=True) as p:
        lsn = p.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    with psycopg.connect(standby.address.conninfo(DB), autocommit=True) as s:
        for _ in range(200):
            if s.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the standby did not replay in 10 s")


def test_reads_from_the_replica_writes_to_the_primary(pair, qtbot) -> None:
    from console.ui.banner import EnvironmentBanner

    primary, standby = pair
    db = open_database(_profile(pair))
    try:
        assert db.read_source().server == "replica"
        with db.reader.connect() as conn:
            assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is False
        # an action reads its row and writes on the primary
        _execution, code = make_execution(primary.address.conninfo(DB))
        ctx = ActionContext.for_database(db, WriteGuard("rep", "dev"))
        cancel_execution(ctx, code, confirmed=True)
        _wait_replayed(primary, standby)
        with db.reader.connect() as conn:
            rows = fetch_window(conn, WindowQuery.make(EXECUTIONS, {}), "top", 10)
        assert {r["execution_id"]: r["status"] for r in rows}[code] == "cancelled"
        banner = EnvironmentBanner()
        qtbot.addWidget(banner)
        banner.show_connected(db, ctx.guard)
        assert banner.reads_label.text().startswith("reads: replica, lag ")
        assert standby.address.socket_dir.name in banner.reads_label.toolTip() or (
            str(standby.address.port) in banner.reads_label.toolTip()
        )
    finally:
        db.close()


def _status_of(conn, code: str) -> str:
    rows = fetch_window(conn, WindowQuery.make(EXECUTIONS, {}), "top", 200)
    return {r["execution_id"]: r["status"] for r in rows}[code]


def test_reads_after_an_action_see_it_while_the_replica_lags(pair) -> None:
    """Replay paused on the standby: the page read after an action shows the new state
    (from the primary once the short wait is over); with replay resumed during the wait,
    the replica answers it."""
    primary, standby = pair
    conninfo = primary.address.conninfo(DB)
    # a lag threshold far away: the router keeps choosing the replica while replay is paused
    db = open_database(_profile(pair, replica_max_lag_s=3600))
    db.replica.read_your_writes_wait_s = 0.3
    sconn = psycopg.connect(standby.address.conninfo(DB), autocommit=True)
    try:
        _e1, first = make_execution(conninfo)
        _e2, second = make_execution(conninfo)
        _wait_replayed(primary, standby)
        ctx = ActionContext.for_database(db, WriteGuard("rep", "dev"))
        sconn.execute("SELECT pg_wal_replay_pause()")
        cancel_execution(ctx, first, confirmed=True)
        assert db.read_source().server == "replica"
        with db.reader.connect() as conn:
            answered_by_standby = conn.execute(text("SELECT pg_is_in_recovery()")).scalar()
            assert _status_of(conn, first) == "cancelled"
        assert answered_by_standby is False  # the replica had not replayed it: the primary read
        with psycopg.connect(standby.address.conninfo(DB)) as stale:  # the replica still lags
            assert (
                stale.execute(
                    "SELECT status FROM workflow_executions WHERE execution_id = %s", (first,)
                ).fetchone()[0]
                != "cancelled"
            )
        # replay resumes during the read's wait: the replica answers, with the new state
        db.replica.read_your_writes_wait_s = 10
        cancel_execution(ctx, second, confirmed=True)
        resume = threading.Timer(0.2, sconn.execute, ("SELECT pg_wal_replay_resume()",))
        resume.start()
        with db.reader.connect() as conn:
            answered_by_standby = conn.execute(text("SELECT pg_is_in_recovery()")).scalar()
            assert _status_of(conn, second) == "cancelled"
            assert _status_of(conn, first) == "cancelled"
        resume.join()
        assert answered_by_standby is True
    finally:
        sconn.execute("SELECT pg_wal_replay_resume()")
        sconn.close()
        db.close()


def test_lag_over_the_threshold_or_no_replica_reads_from_the_primary(pair) -> None:
    primary, standby = pair
    db = open_database(_profile(pair, replica_max_lag_s=1))
    pconn = psycopg.connect(primary.address.conninfo(DB), autocommit=True)
    sconn = psycopg.connect(standby.address.conninfo(DB), autocommit=True)
    try:
        assert db.replica.check().server == "replica"
        sconn.execute("SELECT pg_wal_replay_pause()")
        make_execution(primary.address.conninfo(DB))
        time.sleep(1.6)
        make_execution(primary.address.conninfo(DB))
        pconn.execute("SELECT pg_switch_wal()")
        deadline = time.monotonic() + 10
        source = db.replica.check()
        while source.server != "primary" and time.monotonic() < deadline:
            time.sleep(0.2)
            source = db.replica.check()
        assert source.server == "primary" and "behind" in source.reason, source
        assert "reads: primary (replica" in source.text()
        with db.reader.connect() as conn:
            assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is False
        sconn.execute("SELECT pg_wal_replay_resume()")
        _wait_replayed(primary, standby)
        assert db.replica.check().server == "replica"
    finally:
        sconn.execute("SELECT pg_wal_replay_resume()")
        pconn.close()
        sconn.close()
        db.close()
    # a replica that does not answer: the primary reads, and says why
    nowhere = make_url(primary.address.url(DB)).update_query_dict(
        {"host": "/nonexistent-socket-dir"}
    )
    router = ReadRouter(
        make_engine(primary.address.url(DB)),
        replica_engine(nowhere, EngineSettings(connect_timeout_s=2)),
        nowhere,
    )
    try:
        assert router.check().text() == "reads: primary (replica unreachable)"
    finally:
        router.primary.dispose()
        router.dispose()


def test_several_replicas_the_one_that_answers_reads(pair, tmp_path) -> None:
    primary, standby = pair
    nowhere = make_url(standby.address.url(DB)).update_query_dict({"host": "/nonexistent-dir"})
    text_nowhere = nowhere.render_as_string(hide_password=False)
    profile = Profile(
        "rep2",
        environment="dev",
        url=primary.address.url(DB),
        replica_url=f"{text_nowhere} {standby.address.url(DB)}",
    )
    store = ProfileStore(tmp_path / "profiles.toml")
    store.save(profile)
    assert "replica_url = [" in (tmp_path / "profiles.toml").read_text()
    loaded = store.get("rep2")
    assert loaded.replica_urls == profile.replica_urls and len(loaded.replica_urls) == 2
    db = open_database(loaded)
    try:
        assert db.read_source().server == "replica"
        assert "of 2 replicas" in db.replica.describe_replica()
        with db.reader.connect() as conn:
            assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
    finally:
        db.close()


def test_replica_named_as_a_libpq_service(pair, tmp_path, monkeypatch, capsys) -> None:
    from console.cli import main

    primary, standby = pair
    services = tmp_path / "pg_service.conf"
    services.write_text(
        f"[standby]\nhost={standby.address.socket_dir}\nport={standby.address.port}\n"
        f"dbname={DB}\nuser=postgres\n"
    )
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    store = ProfileStore(tmp_path / "profiles.toml")
    store.save(
        Profile(
            "svc",
            environment="dev",
            url=primary.address.url(DB),
            replica_service="standby other",
        )
    )
    assert 'replica_service = [\n    "standby",\n    "other",\n]' in store.path.read_text()
    loaded = store.get("svc")
    assert loaded.replica_services == ["standby", "other"]
    db = open_database(loaded)  # "other" is not in the service file: the standby answers
    try:
        assert db.read_source().server == "replica"
        assert "service=standby" in db.replica.describe_replica()
        with db.reader.connect() as conn:
            assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
            assert conn.execute(text("SELECT current_database()")).scalar() == DB
    finally:
        db.close()
    with pytest.raises(ProfileError, match="replica_service must be service names"):
        store.save(
            Profile("bad", environment="dev", url="postgresql://h/db", replica_service="a=b")
        )
    # profile add --replica-service (the profiles file of the test's config dir)
    args = ["profile", "add", "svc2", "--url", primary.address.url(DB), "--environment", "dev"]
    args += ["--replica-service", "standby", "--no-password"]
    assert main(args) == 0, capsys.readouterr().err
    assert ProfileStore().get("svc2").replica_services == ["standby"]


def test_window_with_an_ad_hoc_replica_reads_its_pages_from_it(pair, qtbot) -> None:
    from tests.helpers.windows import shown_window

    primary, standby = pair
    win = shown_window(qtbot, size=None)
    win.start(None, primary.address.url(DB), "dev", replica_urls=[standby.address.url(DB)])
    qtbot.waitUntil(lambda: win.state == "connected", timeout=60_000)
    assert win.db.replica is not None
    assert win.banner.reads_label.text().startswith("reads: replica")
    for key in ("overview", "executions", "logs"):
        win.show_page(key)
        win.refresh_current()
        qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=60_000)
    with psycopg.connect(standby.address.conninfo(DB)) as conn:
        readers = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
            "'autopr-console-replica'"
        ).fetchone()[0]
    assert readers >= 1
    win.close()


def test_tail_on_the_replica_is_exactly_once(pair) -> None:
    """The primary's tail scenario (out-of-order commits, rollbacks, savepoints), read
    from the standby: every committed line once, no rolled-back line."""
    primary, standby = pair
    conninfo = primary.address.conninfo(DB)
    a, code = make_execution(conninfo)
    _wait_replayed(primary, standby)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "console",
            "--url",
            primary.address.url(DB),
            "--replica-url",
            standby.address.url(DB),
            "--environment",
            "dev",
            "tail",
            "--execution",
            code,
            "--format",
            "jsonl",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": REPO},
    )
    first = proc.stderr.readline()
    assert "reads: replica" in first, first
    live = proc.stderr.readline()
    assert "polling" in live, live
    plans = [
        WriterPlan(conninfo, (a,), transactions=25, long_share=0.1, long_s=1.0, seed=s)
        for s in range(3)
    ]
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.map(write, plans)
    finish_execution(conninfo, a)
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    with psycopg.connect(conninfo) as conn:
        committed = {
            str(r[0])
            for r in conn.execute("SELECT id FROM execution_logs WHERE execution_id = %s", (a,))
        }
    assert len(ids) == len(set(ids))
    assert set(ids) == committed and committed


def _sleepers(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(%'"
        ).fetchone()[0]


def test_cancel_running_queries_reaches_the_replica(pair, qtbot) -> None:
    from sqlalchemy.exc import OperationalError

    from console.ui.tables.controller import user_message
    from tests.helpers.windows import shown_window

    primary, standby = pair
    win = shown_window(qtbot, size=None)
    win.start(None, primary.address.url(DB), "dev", replica_urls=[standby.address.url(DB)])
    qtbot.waitUntil(lambda: win.state == "connected", timeout=60_000)
    qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=60_000)
    db = win.db
    outcome: list[BaseException | str] = []

    def slow_read() -> None:
        with db.reader.connect() as conn:
            assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is True
            conn.execute(text("SELECT pg_sleep(600)"))

    win.runner.submit(
        slow_read, lambda _r: outcome.append("finished"), outcome.append, owner=win, key="slow"
    )
    standby_info = standby.address.conninfo(DB)
    qtbot.waitUntil(lambda: _sleepers(standby_info) == 1, timeout=60_000)
    win.cancel_action.trigger()
    qtbot.waitUntil(lambda: bool(outcome), timeout=10_000)
    assert isinstance(outcome[0], OperationalError), outcome
    assert user_message(outcome[0]) == "The query was cancelled."  # not the statement timeout
    assert _sleepers(standby_info) == 0  # stopped on the replica, not merely forgotten
    win.close()


def test_primary_stopped_under_a_console_reading_from_the_replica(pair, capsys) -> None:
    from console.cli import main

    primary, standby = pair
    _execution, code = make_execution(primary.address.conninfo(DB))
    _wait_replayed(primary, standby)
    profile = _profile(pair)
    primary_url, replica_url = profile.url, profile.replica_url
    db = open_database(profile)
    try:
        primary.stop(force=True)
        # the open console keeps reading from the replica
        assert db.replica.check().server == "replica"
        with db.reader.connect() as conn:
            rows = fetch_window(conn, WindowQuery.make(EXECUTIONS, {}), "top", 50)
        assert code in {r["execution_id"] for r in rows}
        # a write needs the primary: refused with a reason, not a traceback
        ctx = ActionContext.for_database(db, WriteGuard("rep", "dev"))
        with pytest.raises(ActionError) as refused:
            cancel_execution(ctx, code, confirmed=True)
        assert "connection" in str(refused.value).lower() or "reach" in str(refused.value)
    finally:
        db.close()
    # a console opened now still opens, read-only, saying why
    down = open_database(profile)
    try:
        assert down.read_only
        assert "primary cannot be reached" in down.read_only_reason
        assert down.read_source().server == "replica"
        assert down.read_source().text().endswith("(primary unreachable)")
        with down.reader.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM workflow_executions")).scalar() >= 1
    finally:
        down.close()
    # the CLI: reads answer, writes are refused with that reason
    args = [
        "--url",
        primary_url,
        "--replica-url",
        replica_url,
        "--environment",
        "dev",
    ]
    assert main([*args, "execution", "cancel", code, "--yes"]) == 3
    assert "primary cannot be reached" in capsys.readouterr().err
    # status still shows the state of the system, from the replica, and says so
    assert main([*args, "status"]) == 0
    out = capsys.readouterr().out
    assert "reads: replica" in out and "(primary unreachable)" in out
    assert "read-only: the primary cannot be reached" in out
