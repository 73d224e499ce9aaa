"""Row totals that can be trusted: exact when cheap, estimates that say how old they are."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text

from console.queries import counts
from console.queries.keyset import WindowQuery
from console.queries.specs import SPECS


def _fill_executions(engine: Engine, n: int) -> None:
    with engine.begin() as conn:
        wf = conn.execute(
            text("INSERT INTO workflows (name) VALUES (:n) RETURNING id"),
            {"n": f"wf-{time.monotonic_ns()}"},
        ).scalar()
        conn.execute(
            text(
                # ids given: the default's 6 random hex digits a second collide in a bulk
                # insert of thousands (about 1 in 9 at 2,000 rows)
                "INSERT INTO workflow_executions (workflow_id, status, execution_id) "
                "SELECT :wf, 'completed', 'exec-count-' || :tag || '-' || g "
                "FROM generate_series(1, :n) AS g"
            ),
            {"wf": wf, "n": n, "tag": time.monotonic_ns()},
        )


def _wait_for_live_counter(engine: Engine, at_least: int) -> None:
    """The server publishes n_live_tup shortly after a commit."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            live = conn.execute(
                text("SELECT n_live_tup FROM pg_stat_all_tables WHERE relid = :t ::regclass"),
                {"t": "workflow_executions"},
            ).scalar()
        if live is not None and live >= at_least:
            return
        time.sleep(0.2)
    raise AssertionError("n_live_tup never caught up")


def _total(engine: Engine, filters: dict | None = None) -> counts.RowTotal:
    q = WindowQuery.make(SPECS["executions"], filters or {})
    with engine.connect() as conn:
        return counts.estimate_rows(conn, q)


def test_a_small_table_is_counted_exactly_even_never_analysed(engine: Engine) -> None:
    _fill_executions(engine, 406)
    total = _total(engine)
    print(total)
    assert total == counts.RowTotal(406, True)
    assert _total(engine, {"status": ["completed"]}) == counts.RowTotal(406, True)


def test_a_stale_estimate_uses_the_live_counter_and_says_how_old(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "SMALL_ROWS", 100)  # as if these were millions
    _fill_executions(engine, 1000)
    _wait_for_live_counter(engine, 1000)  # published before ANALYZE resets it
    with engine.begin() as conn:
        conn.execute(text("ANALYZE workflow_executions"))
    fresh = _total(engine)
    assert fresh.rows == 1000 and not fresh.exact and fresh.note is None
    _fill_executions(engine, 2000)  # 200 % changed since the statistics
    _wait_for_live_counter(engine, 3000)
    stale = _total(engine)
    print(stale)
    assert stale.rows == 3000 and not stale.exact
    assert stale.note and stale.note.startswith("statistics") and "old" in stale.note


def test_an_exact_count_that_runs_long_falls_back_to_the_estimate(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill_executions(engine, 50)

    def slow_count(conn, q):  # the count the server would need seconds for
        conn.execute(text("SELECT pg_sleep(5)"))
        return counts.RowTotal(-1, True)

    monkeypatch.setattr(counts, "exact_count", slow_count)
    started = time.monotonic()
    total = _total(engine)
    assert time.monotonic() - started < 4
    assert not total.exact and total.rows >= 0
    assert total.note == "never analysed"
    with engine.connect() as conn:  # the short timeout did not outlive the count
        assert conn.execute(text("SHOW statement_timeout")).scalar() != "500ms"


def test_demo_analyzes_what_it_wrote(db_url: str) -> None:
    from console.db.engine import make_engine
    from console.demo.dataset import DEMO_TABLES, fill_demo

    engine = make_engine(db_url)
    try:
        fill_demo(engine)
        with engine.connect() as conn:
            analysed = conn.execute(
                text(
                    "SELECT relname FROM pg_stat_all_tables "
                    "WHERE relid = ANY(CAST(:t AS regclass[])) AND last_analyze IS NOT NULL"
                ),
                {"t": list(DEMO_TABLES)},
            ).scalars()
            assert set(analysed) == set(DEMO_TABLES)
            logs = conn.execute(text("SELECT count(*) FROM execution_logs")).scalar()
            estimate = counts.table_estimate(conn, "execution_logs")
        print(f"execution_logs: {logs} rows, estimate {estimate}")
        assert estimate == logs
    finally:
        engine.dispose()
