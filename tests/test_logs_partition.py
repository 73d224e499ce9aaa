"""``logs partition``: execution_logs becomes month partitions online, and everything still works.

The big test runs on a copy of a database filled by the scale loader at factor
0.05 (500,000 log lines) while a writer keeps inserting lines and a reader keeps
reading pages; the others use small hand-made data.
"""

from __future__ import annotations

import json
import select
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from console.cli import main
from console.db.embedded import ServerAddress
from console.db.engine import make_engine
from console.db.urls import libpq_conninfo, normalize_url
from console.demo.scale import ScaleLoader, ScaleSize
from console.logstore.layout import DEFAULT, LEGACY, add_months, month_start, read_layout
from console.logstore.layout import connect as layout_connect
from console.logstore.partition import Partitioner
from console.profiles import Profile, ProfileStore
from console.queries.counts import table_estimate
from console.queries.details import log_detail
from console.queries.keyset import WindowQuery, fetch_window, window_sql
from console.queries.position import merge_histograms, position_map
from console.queries.specs import LOGS
from tests.helpers.actions import dev_write_ctx
from tests.helpers.databases import create_database, drop_database
from tests.helpers.loadgen import finish_execution, insert_line, make_execution

SCALE_TEMPLATE = "autopr_test_scale005_template"


@pytest.fixture(scope="module")
def scale_template(pg_address: ServerAddress, template_db: str) -> Iterator[str]:
    drop_database(pg_address, SCALE_TEMPLATE)
    create_database(pg_address, SCALE_TEMPLATE, template=template_db)
    conninfo = pg_address.conninfo(SCALE_TEMPLATE)
    ScaleLoader(conninfo, ScaleSize().scaled(0.05), seed=2).run()
    yield SCALE_TEMPLATE
    drop_database(pg_address, SCALE_TEMPLATE)


@pytest.fixture
def scale_url(pg_address: ServerAddress, scale_template: str) -> Iterator[str]:
    name = f"t_scale_{uuid.uuid4().hex[:10]}"
    create_database(pg_address, name, template=scale_template)
    yield pg_address.url(name)
    drop_database(pg_address, name)


def _conninfo(url: str) -> str:
    return libpq_conninfo(normalize_url(url))


def _fingerprint(conninfo: str) -> tuple[int, str]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(
            "SELECT count(*), md5(string_agg(id::text || created_at::text || message, ','"
            " ORDER BY id)) FROM execution_logs"
        ).fetchone()


class _Writer(threading.Thread):
    """Inserts a line every few milliseconds, like the engine, recording failures and stalls."""

    def __init__(self, conninfo: str, execution: str) -> None:
        super().__init__(daemon=True)
        self.conninfo, self.execution = conninfo, execution
        self.stop = threading.Event()
        self.written: list[str] = []
        self.errors: list[str] = []
        self.longest_s = 0.0

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self.stop.is_set():
                t = time.perf_counter()
                try:
                    row = conn.execute(
                        "INSERT INTO execution_logs (execution_id, level, message)"
                        " VALUES (%s, 'INFO', 'during partitioning') RETURNING id",
                        (self.execution,),
                    ).fetchone()
                    self.written.append(str(row[0]))
                except psycopg.Error as exc:
                    self.errors.append(str(exc))
                self.longest_s = max(self.longest_s, time.perf_counter() - t)
                time.sleep(0.003)


def test_partition_online_keeps_every_row_and_every_query(scale_url: str) -> None:
    conninfo = _conninfo(scale_url)
    before_count, before_sum = _fingerprint(conninfo)
    assert before_count == 500_000
    execution, _code = make_execution(conninfo)
    writer = _Writer(conninfo, execution)
    writer.start()
    time.sleep(0.2)
    messages: list[str] = []
    try:
        report = Partitioner(conninfo, months_ahead=2, progress=messages.append).run(
            dev_write_ctx()
        )
    finally:
        writer.stop.set()
        writer.join()

    # Online: the writer never failed, and kept writing through the conversion.
    assert writer.errors == []
    assert len(writer.written) > 20
    print(
        f"longest exclusive lock {report.longest_exclusive.held_s * 1000:.1f} ms; "
        f"longest insert during the run {writer.longest_s * 1000:.1f} ms"
    )
    assert report.converted
    assert any("exclusive lock held" in m for m in messages)

    with psycopg.connect(conninfo) as conn:
        layout = read_layout(conn)
        assert layout.partitioned and layout.by_month_on_created_at
        names = {p.name for p in layout.partitions}
        assert {LEGACY, DEFAULT} <= names
        assert len(report.created) == 2 and set(report.created) <= names
        # every row still there, each exactly once, the writer's rows too
        count = conn.execute("SELECT count(*) FROM execution_logs").fetchone()[0]
        assert count == before_count + len(writer.written)
        found = conn.execute(
            "SELECT count(*) FROM execution_logs WHERE id = ANY(%s::uuid[])", (writer.written,)
        ).fetchone()[0]
        assert found == len(writer.written)
    # the rows that were there are unchanged (the writer's are excluded by their execution)
    with psycopg.connect(conninfo) as conn:
        again = conn.execute(
            "SELECT count(*), md5(string_agg(id::text || created_at::text || message, ','"
            " ORDER BY id)) FROM execution_logs WHERE execution_id <> %s",
            (execution,),
        ).fetchone()
    assert again == (before_count, before_sum)

    engine = make_engine(scale_url)
    try:
        with engine.connect() as conn:
            # row estimate: the parent has no reltuples, its leaves are summed
            est = table_estimate(conn, "execution_logs")
            assert est is not None and 0.8 * before_count <= est <= 1.2 * before_count
            # pages: first rows, last rows, a seek, a filtered page
            q = WindowQuery.make(LOGS, {})
            top = fetch_window(conn, q, "top", 50)
            bottom = fetch_window(conn, q, "bottom", 50)
            assert len(top) == len(bottom) == 50
            assert top[0]["created_at"] >= top[-1]["created_at"] >= bottom[0]["created_at"]
            # the histogram scrollbar: leaves' histograms merged, a jump lands mid-way
            pm = position_map(conn, q)
            assert len(pm.bounds) > 50
            middle = pm.value_at(0.5)
            assert pm.last < middle < pm.first
            seek = fetch_window(conn, q, "seek", 10, value=middle)
            assert seek and seek[0]["created_at"] <= middle
            older = conn.execute(
                text("SELECT count(*) FROM execution_logs WHERE created_at < :m"), {"m": middle}
            ).scalar()
            assert 0.35 < older / count < 0.65
            errors = WindowQuery.make(LOGS, {"min_level": "ERROR"})
            assert all(
                r["level"] in ("ERROR", "CRITICAL") for r in fetch_window(conn, errors, "top", 20)
            )
            # EXPLAIN of a time-bounded page prunes the partitions outside its bounds
            future = add_months(month_start(datetime.now(UTC)), 1)
            bounded = WindowQuery.make(
                LOGS,
                {"time_from": future.isoformat(), "time_to": add_months(future, 1).isoformat()},
            )
            sql, params = window_sql(bounded, "top", 50)
            plan = json.dumps(conn.execute(text("EXPLAIN (FORMAT JSON) " + sql), params).scalar())
            scanned = {p.name for p in layout.partitions if p.name in plan}
            assert scanned and LEGACY not in scanned and len(scanned) < len(layout.partitions)
    finally:
        engine.dispose()


def test_notify_cascade_and_rerun_on_the_partitioned_table(db_url: str) -> None:
    conninfo = _conninfo(db_url)
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, "before partitioning")
    Partitioner(conninfo, months_ahead=1).run(dev_write_ctx())
    with (
        psycopg.connect(conninfo, autocommit=True) as listener,
        psycopg.connect(conninfo, autocommit=True) as conn,
    ):
        listener.execute("LISTEN autopr_execution_logs")
        next_month = add_months(month_start(datetime.now(UTC)), 1) + timedelta(days=2)
        conn.execute(
            "INSERT INTO execution_logs (execution_id, message, created_at) VALUES (%s, %s, %s)",
            (a, "next month", next_month),
        )
        insert_line(conn, a, "after partitioning")
        ready, _, _ = select.select([listener.fileno()], [], [], 5)
        assert ready, "no notification from the partitioned table"
        assert list(listener.notifies(timeout=1, stop_after=1))
        where = conn.execute(
            "SELECT tableoid::regclass::text FROM execution_logs WHERE message = 'next month'"
        ).fetchone()[0]
        assert where.startswith("execution_logs_p")
        # the detail pane's query finds a line by id in whichever partition holds it
        line_id = conn.execute(
            "SELECT id FROM execution_logs WHERE message = 'next month'"
        ).fetchone()[0]
        engine = make_engine(db_url)
        try:
            with engine.connect() as sa:
                detail = log_detail(sa, str(line_id))
        finally:
            engine.dispose()
        assert detail is not None and detail["message"] == "next month"
        # the cascade from workflow_executions reaches every partition
        conn.execute("DELETE FROM workflow_executions WHERE id = %s", (a,))
        assert conn.execute("SELECT count(*) FROM execution_logs").fetchone()[0] == 0
    # rerun: nothing new at the same horizon, two more months at a longer one
    again = Partitioner(conninfo, months_ahead=1).run(dev_write_ctx())
    assert not again.converted and again.created == []
    more = Partitioner(conninfo, months_ahead=3).run(dev_write_ctx())
    assert len(more.created) == 2


def test_months_ahead_moves_stray_rows_out_of_the_default_partition(db_url: str) -> None:
    conninfo = _conninfo(db_url)
    a, _ = make_execution(conninfo)
    Partitioner(conninfo, months_ahead=0).run(dev_write_ctx())
    far = add_months(month_start(datetime.now(UTC)), 2) + timedelta(days=3)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO execution_logs (execution_id, message, created_at) VALUES (%s, 'x', %s)",
            (a, far),
        )
        assert conn.execute(f"SELECT count(*) FROM {DEFAULT}").fetchone()[0] == 1
    report = Partitioner(conninfo, months_ahead=3).run(dev_write_ctx())
    assert report.moved_rows == 1
    with psycopg.connect(conninfo) as conn:
        assert conn.execute(f"SELECT count(*) FROM {DEFAULT}").fetchone()[0] == 0
        where = conn.execute("SELECT tableoid::regclass::text FROM execution_logs").fetchone()[0]
        assert where == f"execution_logs_p{far:%Y%m}"


def test_tail_is_exactly_once_on_the_partitioned_table(db_url: str) -> None:
    """The tail's own test scenario (out-of-order commits, rollbacks) after partitioning."""
    import multiprocessing

    from tests.helpers.loadgen import WriterPlan
    from tests.helpers.loadgen import run_writer as write
    from tests.helpers.tail import start_tail, table_ids, wait_until_live

    conninfo = libpq_conninfo(make_url(db_url))
    Partitioner(conninfo, months_ahead=1).run(dev_write_ctx())
    a, code = make_execution(conninfo)
    proc = start_tail(db_url, "--execution", code, "--format", "jsonl")
    wait_until_live(proc)
    plans = [
        WriterPlan(conninfo, (a,), transactions=20, long_share=0.1, long_s=1.0, seed=s)
        for s in range(3)
    ]
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.map(write, plans)
    finish_execution(conninfo, a)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert len(ids) == len(set(ids))
    assert set(ids) == table_ids(conninfo, a)


def test_the_plan_reads_over_a_read_only_session(db_url: str) -> None:
    """plan() runs before the write guard is asked (logs partition prints it first): its
    maintenance session is read-only, a write on it is refused by the server."""
    conninfo = _conninfo(db_url)
    with layout_connect(conninfo, "test", read_only=True) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE plan_probe (x int)")
    with layout_connect(conninfo, "test") as conn:  # the guarded run's session writes
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("off",)
    assert Partitioner(conninfo, months_ahead=2).plan().startswith("partition execution_logs")
    with psycopg.connect(conninfo) as conn:
        assert not read_layout(conn).partitioned
        assert conn.execute("SELECT to_regclass('plan_probe')").fetchone() == (None,)


def test_cli_refuses_staging_without_yes_and_audits_with_it(db_url: str, capsys) -> None:
    store = ProfileStore()
    store.save(Profile("stage", environment="staging", url=db_url))
    conninfo = _conninfo(db_url)
    code = main(["logs", "partition", "-p", "stage"])
    assert code == 3
    assert "--yes" in capsys.readouterr().err
    with psycopg.connect(conninfo) as conn:
        assert not read_layout(conn).partitioned
    code = main(["logs", "partition", "-p", "stage", "--yes", "--months-ahead", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "longest exclusive lock held:" in out
    with psycopg.connect(conninfo) as conn:
        assert read_layout(conn).partitioned
        audit = conn.execute(
            "SELECT action, profile FROM audit_log WHERE action = 'logs.partition'"
        ).fetchall()
    assert audit == [("logs.partition", "stage")]
    assert main(["logs", "partition", "-p", "stage", "--months-ahead", "200", "--yes"]) == 1
    assert "between 0 and 120" in capsys.readouterr().err


def test_merge_histograms_weights_leaves_by_rows() -> None:
    # 900 rows in [0, 9], 100 rows in [10, 11]: the merged median is inside the first leaf
    merged = merge_histograms([(900.0, list(range(10))), (100.0, [10, 11])], buckets=10)
    assert merged[0] == 0 and merged[-1] == 11
    assert merged[5] <= 6
    assert len(merged) == 11
