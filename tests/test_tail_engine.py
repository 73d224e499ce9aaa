"""The tail engine against a real server: exactly once with out-of-order writers, faults, end."""

from __future__ import annotations

import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from console.db.embedded import EmbeddedServer
from console.db.engine import EngineSettings, make_engine
from console.db.migrator import ensure_schema
from console.db.urls import libpq_conninfo
from console.tail.engine import TailEngine, TailError, TailOptions, TailState
from console.tail.lines import TailLine
from tests.helpers.loadgen import (
    WriterPlan,
    finish_execution,
    insert_line,
    make_execution,
    run_writer,
)

APP = "autopr-console-tail-test"


@pytest.fixture
def conninfo(db_url: str) -> str:
    return libpq_conninfo(make_url(db_url))


class Tail:
    """An engine on a thread, collecting what it delivers."""

    def __init__(self, conninfo: str, **options) -> None:
        options.setdefault("application_name", APP)
        self.lines: list[TailLine] = []
        self.states: list[TailState] = []
        self.engine = TailEngine(
            conninfo, TailOptions(**options), self.lines.extend, self.states.append
        )
        self.error: BaseException | None = None
        self.result = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = self.engine.run()
        except BaseException as exc:
            self.error = exc

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "the tail did not get there"
            time.sleep(0.02)

    def live(self) -> None:
        self.wait_for(lambda: self.engine.state.phase == "live" and self.engine.fetches > 0)

    def stop(self) -> None:
        self.engine.stop()
        self.thread.join(30)
        assert not self.thread.is_alive()

    def ids(self) -> list[uuid.UUID]:
        return [line.id for line in self.lines]


def table_ids(conninfo: str, execution: str | None = None) -> set[uuid.UUID]:
    with psycopg.connect(conninfo) as conn:
        if execution is None:
            return {r[0] for r in conn.execute("SELECT id FROM execution_logs")}
        return {
            r[0]
            for r in conn.execute(
                "SELECT id FROM execution_logs WHERE execution_id = %s", (execution,)
            )
        }


def run_writers(plans: list[WriterPlan]) -> list[int]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(len(plans)) as pool:
        return pool.map(run_writer, plans)


def assert_exactly(tail: Tail, expected: set[uuid.UUID]) -> None:
    ids = tail.ids()
    assert len(ids) == len(set(ids)), "a line was delivered twice"
    assert set(ids) == expected


def adversarial_plans(conninfo: str, executions: tuple[str, ...], n: int = 4) -> list[WriterPlan]:
    return [
        WriterPlan(
            conninfo,
            executions,
            transactions=40,
            rollback_share=0.2,
            savepoint_share=0.3,
            sleep_before_s=(0.0, 0.08),
            sleep_after_s=(0.0, 0.08),
            long_share=0.1,
            long_s=1.5,
            seed=seed,
        )
        for seed in range(n)
    ]


# ------------------------------------------------------------------- exactly once


def test_out_of_order_writers_with_rollbacks_and_savepoints_delivered_exactly_once(conninfo):
    a, code_a = make_execution(conninfo)
    b, code_b = make_execution(conninfo)
    one = Tail(conninfo, execution=uuid.UUID(a))
    merged = Tail(conninfo)  # every running execution, from now on
    one.live()
    merged.live()

    run_writers(adversarial_plans(conninfo, (a, b)))
    everything = table_ids(conninfo)
    assert len(everything) > 100  # the writers did write, and some rows rolled back meanwhile
    merged.wait_for(lambda: len(set(merged.ids())) >= len(everything))
    finish_execution(conninfo, a)
    one.thread.join(30)
    merged.stop()

    assert one.result is not None and one.result.status == "completed"
    assert_exactly(one, table_ids(conninfo, a))
    assert_exactly(merged, everything)
    codes = {str(line.execution_id): line.execution_code for line in merged.lines}
    assert codes == {a: code_a, b: code_b}


def test_late_commit_with_an_old_timestamp_is_not_lost(conninfo):
    """A transaction that started long before the lines shown after it still shows once."""
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo) as slow:
        slow.execute("BEGIN")
        slow.execute("SELECT now()")
        insert_line(slow, a, "started first, commits last")
        tail = Tail(conninfo, execution=uuid.UUID(a))
        tail.live()
        with psycopg.connect(conninfo, autocommit=True) as fast:
            for i in range(20):
                insert_line(fast, a, f"fast {i}")
        tail.wait_for(lambda: len(tail.lines) == 20)
        time.sleep(0.3)
        slow.execute("COMMIT")
    tail.wait_for(lambda: len(tail.lines) == 21)
    tail.stop()
    assert tail.lines[-1].message == "started first, commits last"
    assert tail.lines[-1].created_at < tail.lines[0].created_at
    assert_exactly(tail, table_ids(conninfo, a))


def test_a_writer_open_longer_than_the_look_back_cap_is_not_lost(conninfo):
    """The cap keeps fetches short, yet a transaction that outlives it still shows, once."""
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo) as slow:
        slow.execute("BEGIN")
        insert_line(slow, a, "written early, committed after the cap")
        with slow.transaction():  # a savepoint: its row carries a subtransaction id
            insert_line(slow, a, "savepoint row, committed after the cap")
        tail = Tail(conninfo, execution=uuid.UUID(a), max_lookback_s=1.0)
        tail.live()
        with psycopg.connect(conninfo, autocommit=True) as fast:
            for i in range(10):
                insert_line(fast, a, f"fast {i}")
                time.sleep(0.25)  # the floor moves on past the slow transaction's start
        tail.wait_for(lambda: len(tail.lines) == 10)
        fetches = tail.engine.fetches
        tail.wait_for(lambda: tail.engine.fetches > fetches + 2)
        assert len(tail.lines) == 10  # nothing of the open transaction yet
        slow.execute("COMMIT")
    tail.wait_for(lambda: len(tail.lines) == 12)
    time.sleep(1.0)  # later fetches must not show them again
    with psycopg.connect(conninfo, autocommit=True) as fast:
        insert_line(fast, a, "after")
    tail.wait_for(lambda: len(tail.lines) == 13)
    tail.stop()
    assert {line.message for line in tail.lines[10:12]} == {
        "written early, committed after the cap",
        "savepoint row, committed after the cap",
    }
    assert_exactly(tail, table_ids(conninfo, a))


def test_savepoint_rows_of_a_transaction_running_at_the_previous_fetch_are_delivered(conninfo):
    """The subtransaction case: 'visible in the previous snapshot' is wrong for a subxid."""
    a, _ = make_execution(conninfo)
    tail = Tail(conninfo, execution=uuid.UUID(a))
    tail.live()
    with psycopg.connect(conninfo) as parent, psycopg.connect(conninfo, autocommit=True) as other:
        parent.execute("BEGIN")
        parent.execute("SELECT pg_current_xact_id()")  # the parent gets its id first
        insert_line(other, a, "bump")  # a later top-level id, so the subxid sits below xmax
        parent.execute("SAVEPOINT s1")
        insert_line(parent, a, "inside savepoint")
        parent.execute("RELEASE SAVEPOINT s1")
        insert_line(other, a, "bump 2")
        tail.wait_for(lambda: len(tail.lines) == 2)
        before = tail.engine.fetches
        tail.wait_for(lambda: tail.engine.fetches > before + 1)  # fetched with the parent open
        parent.execute("COMMIT")
    tail.wait_for(lambda: len(tail.lines) == 3)
    tail.stop()
    assert_exactly(tail, table_ids(conninfo, a))


def test_polling_mode_is_exact_too_and_says_so(conninfo):
    a, _ = make_execution(conninfo)
    tail = Tail(conninfo, execution=uuid.UUID(a), listen=False, poll_interval_s=0.05)
    tail.live()
    assert tail.engine.state.mode == "polling"
    assert tail.engine.state.describe() == "polling every 0.05 s"
    run_writers(adversarial_plans(conninfo, (a,), n=2))
    finish_execution(conninfo, a)
    tail.thread.join(30)
    assert tail.result is not None
    assert_exactly(tail, table_ids(conninfo, a))


def test_history_first_then_live_lines_level_filter(conninfo):
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for level in ("DEBUG", "INFO", "ERROR"):
            insert_line(conn, a, f"old {level}", level=level)
    tail = Tail(conninfo, execution=uuid.UUID(a), levels=("WARNING", "ERROR", "CRITICAL"))
    tail.live()
    assert [line.message for line in tail.lines] == ["old ERROR"]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, "new INFO", level="INFO")
        insert_line(conn, a, "new CRITICAL", level="CRITICAL")
    tail.wait_for(lambda: len(tail.lines) == 2)
    tail.stop()
    assert [line.message for line in tail.lines] == ["old ERROR", "new CRITICAL"]


def test_history_limit_keeps_only_the_newest(conninfo):
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for i in range(30):
            insert_line(conn, a, f"line {i:02d}")
    tail = Tail(conninfo, execution=uuid.UUID(a), history_limit=10)
    tail.live()
    tail.stop()
    assert [line.message for line in tail.lines] == [f"line {i:02d}" for i in range(20, 30)]


# ----------------------------------------------------------------------- the end


def test_follow_stops_at_terminal_status_with_duration(conninfo):
    a, _ = make_execution(conninfo)
    tail = Tail(conninfo, execution=uuid.UUID(a))
    tail.live()
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "UPDATE workflow_executions SET status = 'failed',"
            " started_at = now() - interval '3 minutes 12 seconds', completed_at = now()"
            " WHERE id = %s",
            (a,),
        )
    tail.thread.join(30)
    assert not tail.thread.is_alive()
    assert tail.result is not None
    assert tail.result.status == "failed"
    assert round(tail.result.duration.total_seconds()) == 192
    assert tail.result.describe().startswith("failed in 3m12s")
    assert tail.engine.state.phase == "finished"


def test_lines_committed_just_after_the_terminal_status_still_arrive(conninfo):
    """A writer transaction open when the status turns terminal is waited for."""
    a, _ = make_execution(conninfo)
    tail = Tail(conninfo, execution=uuid.UUID(a), drain_grace_s=30)
    tail.live()
    with psycopg.connect(conninfo) as writer:
        writer.execute("BEGIN")
        insert_line(writer, a, "last words")
        finish_execution(conninfo, a)
        time.sleep(0.5)
        assert tail.thread.is_alive()  # still waiting for the open writer
        writer.execute("COMMIT")
    tail.thread.join(30)
    assert tail.result is not None and tail.result.status == "completed"
    assert [line.message for line in tail.lines] == ["last words"]


def test_deleted_execution_ends_the_follow(conninfo):
    a, _ = make_execution(conninfo)
    tail = Tail(conninfo, execution=uuid.UUID(a))
    tail.live()
    with psycopg.connect(conninfo) as conn:
        conn.execute("DELETE FROM workflow_executions WHERE id = %s", (a,))
    tail.thread.join(30)
    assert tail.result is not None and tail.result.status == "deleted"


def test_stop_from_another_thread_returns_none(conninfo):
    tail = Tail(conninfo)
    tail.live()
    tail.stop()
    assert tail.result is None and tail.engine.state.phase == "stopped"


def test_missing_table_fails_with_a_clear_error(empty_db_url):
    tail = Tail(libpq_conninfo(make_url(empty_db_url)))
    tail.thread.join(30)
    assert isinstance(tail.error, TailError)
    assert "execution_logs" in str(tail.error) or "workflow_executions" in str(tail.error)
    assert tail.engine.state.phase == "failed"


# ------------------------------------------------------------------------ faults


def test_terminated_connection_reconnects_and_resumes(conninfo):
    a, _ = make_execution(conninfo)
    tail = Tail(conninfo, execution=uuid.UUID(a))
    tail.live()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for i in range(10):
            insert_line(conn, a, f"before {i}")
        tail.wait_for(lambda: len(tail.lines) == 10)
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (APP,),
        ).fetchone()[0]
        assert killed == 1
        for i in range(10):
            insert_line(conn, a, f"after {i}")
    tail.wait_for(lambda: len(tail.lines) == 20)
    tail.stop()
    assert "reconnecting" in [s.phase for s in tail.states]
    assert_exactly(tail, table_ids(conninfo, a))


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(tmp_path / "restart-srv")
    address = server.start()
    with psycopg.connect(address.conninfo("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE tailrestart")
    engine = make_engine(address.url("tailrestart"), EngineSettings(statement_timeout_ms=0))
    ensure_schema(engine, apply=True)
    engine.dispose()
    yield server
    server.stop(force=True)


def crash(server: EmbeddedServer) -> None:
    """``pg_ctl stop -m immediate``: no shutdown checkpoint, open transactions lost."""
    server.run_tool("pg_ctl", ["-D", str(server.pgdata), "-m", "immediate", "-w", "stop"])


def test_server_crash_and_restart_mid_run_loses_and_doubles_nothing(own_server):
    conninfo = own_server.address.conninfo("tailrestart")
    a, _ = make_execution(conninfo)
    b, _ = make_execution(conninfo)
    one = Tail(conninfo, execution=uuid.UUID(a))
    merged = Tail(conninfo)
    one.live()
    merged.live()

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        pending = pool.map_async(run_writer, adversarial_plans(conninfo, (a, b), n=3))
        one.wait_for(lambda: len(one.lines) > 20)
        crash(own_server)
        time.sleep(1.0)
        own_server.start()
        pending.get(timeout=180)

    everything = table_ids(conninfo)
    merged.wait_for(lambda: len(set(merged.ids())) >= len(everything), timeout=60)
    finish_execution(conninfo, a)
    one.thread.join(60)
    merged.stop()
    assert "reconnecting" in [s.phase for s in one.states]
    assert "reconnecting" in [s.phase for s in merged.states]
    assert_exactly(one, table_ids(conninfo, a))
    assert_exactly(merged, everything)


def test_unreachable_server_keeps_retrying_until_stopped(tmp_path):
    tail = Tail(f"host={tmp_path} port=1 user=nobody dbname=nothing", backoff_s=(0.05,))
    tail.wait_for(lambda: sum(s.phase == "reconnecting" for s in tail.states) >= 2)
    tail.stop()
    assert tail.error is None and tail.result is None


class BlindEngine(TailEngine):
    """Bookkeeping as on a hot standby, whose snapshots list no in-progress ids."""

    def _connect(self) -> None:
        super()._connect()
        self._tracker.blind = True


def test_standby_bookkeeping_without_in_progress_lists_is_exact_too(conninfo):
    a, _ = make_execution(conninfo)
    lines: list[TailLine] = []
    engine = BlindEngine(
        conninfo,
        TailOptions(execution=uuid.UUID(a), listen=False, poll_interval_s=0.05),
        lines.extend,
    )
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    run_writers(adversarial_plans(conninfo, (a,), n=3))
    finish_execution(conninfo, a)
    thread.join(60)
    assert engine.finished is not None
    ids = [line.id for line in lines]
    assert len(ids) == len(set(ids))
    assert set(ids) == table_ids(conninfo, a)
