"""Overview queries against a small, fully known data set on a real PostgreSQL.

Every figure is checked twice: against the numbers the data set was built
with, and against an independent computation (plain SQL with ``date_trunc`` or
Python's own percentile arithmetic).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, text

from console.queries import overview as ov
from tests.helpers.overview_data import NOW, Dataset, add_exec, build_dataset


def percentile_cont(values: list[float], q: float) -> float:
    """PostgreSQL's percentile_cont, computed independently (linear interpolation)."""
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@pytest.fixture
def ds(engine: Engine) -> Dataset:
    return build_dataset(engine)


# --------------------------------------------------------------------------- windows


def test_windows_are_aligned_and_end_with_the_current_bucket():
    w = ov.make_window("24h", NOW)
    assert w.start == datetime(2026, 11, 24, 13, tzinfo=UTC)
    assert w.end == datetime(2026, 11, 25, 13, tzinfo=UTC)
    assert len(w.edges) == 25 and w.range.buckets == 24
    assert w.bucket_index(NOW) == 23 and w.bucket_index(w.start) == 0
    assert w.bucket_index(w.end) is None

    hour = ov.make_window("1h", NOW)
    assert hour.end == datetime(2026, 11, 25, 12, 32, tzinfo=UTC) and hour.range.buckets == 30
    month = ov.make_window("30d", NOW)
    assert month.end == datetime(2026, 11, 26, tzinfo=UTC) and month.range.buckets == 30
    # percentiles never look back further than a day
    assert month.stats_span == ov.STATS_MAX_SPAN and hour.stats_start == hour.start


# --------------------------------------------------------------------------- panel 1


def test_executions_by_status_matches_the_data_set_and_date_trunc(engine, ds):
    with engine.connect() as conn:
        w = ov.make_window("24h", NOW)
        got = ov.executions_by_status(conn, w)
        independent = conn.execute(
            text(
                "SELECT date_trunc('hour', started_at AT TIME ZONE 'UTC') AS h, status, count(*)"
                " FROM workflow_executions WHERE started_at >= :a AND started_at < :b"
                " GROUP BY 1, 2"
            ),
            {"a": w.start, "b": w.end},
        ).all()
    expected_by_sql = {
        (w.bucket_index(h.replace(tzinfo=UTC)), status): n for h, status, n in independent
    }
    nonzero = {(i, status): n for status, row in got.counts.items() for i, n in enumerate(row) if n}
    assert nonzero == expected_by_sql
    # and by construction (NOW = 12:30, buckets of an hour ending at 13:00)
    at = {h: w.bucket_index(datetime(2026, 11, 25, h, tzinfo=UTC)) for h in (7, 10, 11, 12)}
    assert nonzero == {
        (at[10], "completed"): 10,
        (at[7], "failed"): 3,
        (at[7], "timeout"): 1,
        (at[11], "cancelled"): 2,
        (at[12], "completed"): 4,
        (at[12], "running"): 4,  # R5 started two days ago: outside the window
        (at[12], "pending"): 1,
    }
    assert got.total == 25


def test_bucket_cache_gives_the_same_counts_and_reads_only_recent_buckets(engine, ds):
    cache = ov.BucketCache()
    with engine.connect() as conn:
        for key in ("7d", "30d"):
            w = ov.make_window(key, NOW)
            plain = ov.executions_by_status(conn, w)
            first = cache.executions_by_status(conn, w)
            later = ov.make_window(key, NOW + timedelta(seconds=30))
            second = cache.executions_by_status(conn, later)
            assert first.counts == plain.counts
            assert second.counts == ov.executions_by_status(conn, later).counts
        assert cache.full_reads == 2 and cache.partial_reads == 2
        # the 24 h window is cheap: never cached
        cache.executions_by_status(conn, ov.make_window("24h", NOW))
        assert cache.full_reads == 2 and cache.partial_reads == 2


def test_bucket_cache_sees_new_recent_executions(engine, ds):
    cache = ov.BucketCache()
    with engine.connect() as conn:
        w = ov.make_window("7d", NOW)
        before = cache.executions_by_status(conn, w)
    with engine.begin() as conn:
        add_exec(conn, ds, "late", "lint", "failed", NOW + timedelta(seconds=5), 1)
    with engine.connect() as conn:
        after = cache.executions_by_status(conn, ov.make_window("7d", NOW + timedelta(seconds=10)))
    assert sum(after.counts["failed"]) == sum(before.counts["failed"]) + 1
    assert cache.partial_reads == 1


# --------------------------------------------------------------------------- panel 2


def test_workflow_stats_rates_and_percentiles(engine, ds):
    with engine.connect() as conn:
        w = ov.make_window("24h", NOW)
        stats = {s.name: s for s in ov.workflow_stats(conn, w, limit=None)}
    assert set(stats) == {"deploy", "lint"}  # nightly's only run started outside, idle has none
    deploy, lint = stats["deploy"], stats["lint"]
    assert (deploy.runs, deploy.completed, deploy.failed, deploy.running) == (18, 10, 4, 3)
    assert deploy.success_rate == pytest.approx(10 / 14)
    assert deploy.p50_s == pytest.approx(percentile_cont(ds.durations["deploy"], 0.5))
    assert deploy.p95_s == pytest.approx(percentile_cont(ds.durations["deploy"], 0.95))
    assert deploy.p95_s == pytest.approx(95.5)
    assert (lint.runs, lint.completed, lint.failed, lint.running) == (7, 4, 0, 1)
    assert lint.success_rate == 1.0 and lint.p50_s == pytest.approx(5) == lint.p95_s


def test_workflow_stats_percentiles_agree_with_sql_in_a_long_window(engine, ds):
    """7 days: the slow run from 30 h ago is within the range but the percentiles
    stay on the last 24 h (STATS_MAX_SPAN)."""
    with engine.connect() as conn:
        w = ov.make_window("7d", NOW)
        stats = {s.name: s for s in ov.workflow_stats(conn, w, limit=None)}
        p95_sql = conn.execute(
            text(
                "SELECT percentile_cont(0.95) WITHIN GROUP"
                " (ORDER BY extract(epoch FROM completed_at - started_at))"
                " FROM workflow_executions WHERE workflow_id = :w AND status = 'completed'"
                " AND started_at >= :a AND started_at < :b"
            ),
            {"w": ds.workflows["deploy"], "a": w.end - timedelta(hours=24), "b": w.end},
        ).scalar_one()
    assert stats["deploy"].p95_s == pytest.approx(float(p95_sql)) == pytest.approx(95.5)


def test_workflow_ranking(engine, ds):
    with engine.connect() as conn:
        w = ov.make_window("24h", NOW)
        failing = ov.workflow_stats(conn, w, order="failing")
        slowest = ov.workflow_stats(conn, w, order="slowest", limit=1)
    assert [s.name for s in failing] == ["deploy", "lint"]
    assert [s.name for s in slowest] == ["deploy"]


# --------------------------------------------------------------------------- panels 3-5


def test_running_executions_oldest_first_with_total(engine, ds):
    with engine.connect() as conn:
        running = ov.running_executions(conn)
        capped = ov.running_executions(conn, limit=2)
    assert [r.execution_id for r in running.rows] == ["R5", "R4", "R1", "R2", "R3"]
    assert running.total == 5
    assert [r.execution_id for r in capped.rows] == ["R5", "R4"] and capped.total == 5
    assert running.rows[0].workflow_name == "nightly"


def test_integration_health_without_credentials(engine, ds):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as conn:
            tiles = ov.integration_health(conn)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [(t.name, t.health_status, t.enabled) for t in tiles] == [  # worst first
        ("jr", "unhealthy", False),
        ("sl", "degraded", True),
        ("gh", "healthy", True),
    ]
    assert tiles[2].last_health_check == NOW - timedelta(minutes=5)
    assert tiles[0].last_health_check is None
    assert not any("credentials_encrypted" in s for s in statements)


def test_event_queue_depth_and_oldest(engine, ds):
    with engine.connect() as conn:
        q = ov.event_queue(conn)
        depth = dict(
            conn.execute(
                text("SELECT status, count(*) FROM integration_events GROUP BY status")
            ).all()
        )
    assert (q.pending, q.processing) == (3, 2) == (depth["pending"], depth["processing"])
    assert q.oldest_pending_age(NOW) == timedelta(minutes=40)
    assert q.oldest_processing_at == NOW - timedelta(minutes=20)


def test_event_queue_query_can_use_the_partial_index(engine, ds):
    """The WHERE clause matches the partial index predicate, so the index is usable
    (the scale benchmark shows the planner choosing it on real volumes)."""
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        conn.execute(text("SET enable_bitmapscan = off"))
        plan = "\n".join(row[0] for row in conn.execute(text("EXPLAIN " + str(ov._QUEUE_SQL.text))))
    assert "idx_integration_events_queue" in plan


# --------------------------------------------------------------------------- panel 6


def test_stuck_flags_exactly_the_expected_rows(engine, ds):
    with engine.connect() as conn:
        w = ov.make_window("24h", NOW)
        report = ov.stuck(conn, w)
    got = [(s.execution_id, s.reason) for s in report.executions]
    assert got == [("R4", "p95"), ("R1", "timeout and p95"), ("R2", "p95")]
    assert report.executions_total == 3
    r1 = report.executions[1]
    assert r1.timeout_s == 600 and r1.p95_s == pytest.approx(95.5)
    assert r1.elapsed_s == pytest.approx(15 * 60)
    assert [e.id for e in report.events] == [ds.events["x-20"]]
    assert report.events_total == 1 and report.events[0].integration_name == "sl"
    assert report.events[0].age_s == pytest.approx(20 * 60)


def test_stuck_thresholds_are_configurable(engine, ds):
    with engine.connect() as conn:
        w = ov.make_window("24h", NOW)
        report = ov.stuck(conn, w, p95_factor=2.0, event_after=timedelta(minutes=4))
    # R2 (97 s) is under 2 x 95.5 s now; R1 still passes its timeout
    assert [s.execution_id for s in report.executions] == ["R4", "R1"]
    with engine.connect() as conn:
        capped = ov.stuck(conn, ov.make_window("24h", NOW), limit=1)
    assert [s.execution_id for s in capped.executions] == ["R4"] and capped.executions_total == 3
    assert {e.id for e in report.events} == {ds.events["x-20"], ds.events["x-5"]}


def test_stuck_agrees_with_a_python_check_of_the_other_panels(engine, ds):
    with engine.connect() as conn:
        snap = ov.load_overview(conn, ov.OverviewParams(workflow_limit=None), now=NOW)
    p95 = {s.workflow_id: s.p95_s for s in snap.workflows}
    timeouts = {ds.workflows["deploy"]: 600.0}
    expected = [
        r.execution_id
        for r in snap.running.rows
        if (NOW - r.started_at).total_seconds() > (p95.get(r.workflow_id) or float("inf"))
        or (NOW - r.started_at).total_seconds() > timeouts.get(r.workflow_id, float("inf"))
    ]
    assert [s.execution_id for s in snap.stuck.executions] == expected


# --------------------------------------------------------------------------- snapshot


def test_load_overview_never_reads_execution_logs(engine, ds):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as conn:
            for key in ov.TIME_RANGES:
                ov.load_overview(conn, ov.OverviewParams(range_key=key), bucket_cache=None)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements and not any("execution_logs" in s for s in statements)


def test_load_overview_on_an_empty_database(engine):
    with engine.connect() as conn:
        snap = ov.load_overview(conn)
    assert snap.is_empty
    assert snap.buckets.total == 0 and snap.workflows == [] and snap.running.total == 0
    assert snap.queue == ov.EventQueue(0, 0, None, None)
    assert snap.stuck.executions == [] and snap.stuck.events_total == 0
    assert snap.window.now is not None and len(snap.buckets.counts["failed"]) == 24


def test_snapshot_is_not_empty_with_data(engine, ds):
    with engine.connect() as conn:
        assert not ov.load_overview(conn, now=NOW).is_empty


def test_stats_cache_recomputes_once_a_minute_or_on_a_new_range(engine, ds):
    cache = ov.StatsCache(max_age=timedelta(seconds=60))
    with engine.connect() as conn:
        day = ov.make_window("24h", NOW)
        first = cache.workflow_stats(conn, day)
        assert first == ov.workflow_stats(conn, day, limit=None)
        cache.workflow_stats(conn, ov.make_window("24h", NOW + timedelta(seconds=30)))
        assert cache.reads == 1
        cache.workflow_stats(conn, ov.make_window("1h", NOW + timedelta(seconds=31)))
        assert cache.reads == 2
        cache.workflow_stats(conn, ov.make_window("1h", NOW + timedelta(seconds=95)))
        assert cache.reads == 3
