"""``logs retain``: old lines go (partitions dropped, else batched deletes); running ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from console.actions.context import ActionContext
from console.actions.guard import WriteGuard
from console.cli import main
from console.db.engine import make_engine
from console.db.urls import libpq_conninfo, normalize_url
from console.logstore.layout import read_layout
from console.logstore.partition import Partitioner
from console.logstore.retention import RetentionError, apply_plan, make_plan, parse_age
from console.profiles import Profile, ProfileStore
from tests.helpers.actions import dev_write_ctx
from tests.helpers.retention import AGES_DAYS, expected_after, fill_aged_lines, messages


@pytest.fixture
def profiles(db_url: str) -> None:
    store = ProfileStore()
    store.save(Profile("dev", environment="dev", url=db_url))
    store.save(Profile("stage", environment="staging", url=db_url))


def test_partitioned_drops_whole_months_and_keeps_running_lines(db_url, profiles, capsys):
    conninfo = libpq_conninfo(normalize_url(db_url))
    # partitioned as if 200 days ago, so past months have partitions of their own
    past = datetime.now(UTC) - timedelta(days=200)
    Partitioner(conninfo, months_ahead=8, clock=lambda: past).run(dev_write_ctx())
    Partitioner(conninfo, months_ahead=1).run(dev_write_ctx())
    fill_aged_lines(conninfo)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            plan = make_plan(conn, parse_age("90d"))
    finally:
        engine.dispose()
    drops = [r for r in plan.removals if r.whole]
    assert drops, plan.summary()
    assert plan.kept_active == 1
    assert plan.rows == sum(1 for d in AGES_DAYS if d > 90) * 3
    assert "freeing about" in plan.summary()

    assert main(["logs", "retain", "--older-than", "90d", "-p", "stage"]) == 3
    assert "--yes" in capsys.readouterr().err
    assert len(messages(conninfo)) == len(AGES_DAYS) * 3 + 1

    assert main(["logs", "retain", "--older-than", "90d", "-p", "stage", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "partition(s) dropped" in out
    assert messages(conninfo) == expected_after(90)
    with psycopg.connect(conninfo) as conn:
        names = {p.name for p in read_layout(conn).partitions}
        assert not {r.table for r in drops} & names
        audit = conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'logs.retain' AND profile = 'stage'"
        ).fetchone()[0]
    assert audit >= len(drops) + 1


def test_plain_table_deletes_in_batches_each_audited(db_url: str) -> None:
    conninfo = libpq_conninfo(normalize_url(db_url))
    fill_aged_lines(conninfo)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            plan = make_plan(conn, parse_age("12w"))  # 84 days
        assert not plan.partitioned and [r.whole for r in plan.removals] == [False]
        ctx = ActionContext(engine, "dev", "dev", WriteGuard("dev", "dev"))
        seen: list[str] = []
        report = apply_plan(ctx, plan, confirmed=False, progress=seen.append, batch_rows=4)
    finally:
        engine.dispose()
    removed = sum(1 for d in AGES_DAYS if d > 84) * 3
    assert report.deleted_rows == removed
    assert report.audit_rows == removed // 4 + 1
    assert len(seen) == report.audit_rows
    assert messages(conninfo) == expected_after(84)


def test_dry_run_and_bad_ages(db_url, profiles, capsys) -> None:
    conninfo = libpq_conninfo(normalize_url(db_url))
    fill_aged_lines(conninfo)
    assert main(["logs", "retain", "--older-than", "90d", "-p", "dev", "--dry-run"]) == 0
    assert "remove 12 log lines older than" in capsys.readouterr().out
    assert len(messages(conninfo)) == len(AGES_DAYS) * 3 + 1
    for bad in ("90", "-3d", "ninety days", "0h", "99999999d"):
        assert main(["logs", "retain", f"--older-than={bad}", "-p", "dev"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--older-than" in err[0]
    with pytest.raises(RetentionError):
        parse_age("")


def test_partition_drop_never_locks_the_executions_readers_hold(db_url, monkeypatch) -> None:
    """A drop while a reader holds workflow_executions and workflow_actions open: the
    partition goes without waiting for it (no lock on those tables: DROP, not DETACH);
    a large analysed partition's line count is the statistics' estimate, said so."""
    from console.logstore import retention

    conninfo = libpq_conninfo(normalize_url(db_url))
    past = datetime.now(UTC) - timedelta(days=200)
    Partitioner(conninfo, months_ahead=8, clock=lambda: past).run(dev_write_ctx())
    Partitioner(conninfo, months_ahead=1).run(dev_write_ctx())
    fill_aged_lines(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("ANALYZE execution_logs")
    monkeypatch.setattr(retention, "ESTIMATE_FROM_ROWS", 2)  # "large" at this size
    engine = make_engine(db_url)
    reader = psycopg.connect(conninfo)  # a transaction left open, as a slow page's would be
    try:
        reader.execute("SELECT count(*) FROM workflow_executions")
        reader.execute("SELECT count(*) FROM workflow_actions")
        with engine.connect() as conn:
            plan = make_plan(conn, parse_age("90d"))
        assert plan.estimated and "remove about 12 log lines" in plan.summary()
        assert "estimated from the table statistics" in plan.details()
        ctx = ActionContext(engine, "dev", "dev", WriteGuard("dev", "dev"))
        report = apply_plan(ctx, plan, confirmed=True)
        assert report.dropped and report.estimated
        assert reader.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    finally:
        reader.close()
        engine.dispose()
    assert messages(conninfo) == expected_after(90)
    with psycopg.connect(conninfo) as conn:
        after = conn.execute(
            "SELECT after FROM audit_log WHERE action = 'logs.retain' AND after ? 'dropped'"
        ).fetchall()
    dropped = [a[0] for a in after if a[0]["dropped"]]
    assert dropped and all("rows_estimated" in a for a in dropped)
    assert any(a["rows_estimated"] for a in dropped)
