"""The bulk loader on a tiny size: exact counts, realistic spread, every index restored."""

from __future__ import annotations

import psycopg
import pytest

from console.db.urls import libpq_conninfo, normalize_url
from console.demo import DEMO_TABLES
from console.demo.scale import LogPlan, ScaleLoader, ScaleRefused, ScaleSize

CATALOG = """
SELECT 'c', conrelid::regclass::text, conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'i', tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 't', tgrelid::regclass::text, tgname, pg_get_triggerdef(oid)
FROM pg_trigger WHERE NOT tgisinternal
"""


def _catalog(conninfo: str) -> set[tuple[str, ...]]:
    with psycopg.connect(conninfo) as conn:
        return {tuple(r) for r in conn.execute(CATALOG)}


def _counts(conninfo: str) -> dict[str, int]:
    with psycopg.connect(conninfo) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in DEMO_TABLES}


@pytest.mark.parametrize("drop_indexes", [True, False])
def test_tiny_load_restores_schema_and_counts(db_url: str, drop_indexes: bool) -> None:
    conninfo = libpq_conninfo(normalize_url(db_url))
    before = _catalog(conninfo)
    assert any(name == "idx_execution_logs_composite" for _k, _t, name, _d in before)
    size = ScaleSize.tiny()
    report = ScaleLoader(conninfo, size, drop_indexes=drop_indexes).run()

    assert _catalog(conninfo) == before
    counts = _counts(conninfo)
    assert counts == report.rows
    assert counts["workflows"] == size.workflows
    assert counts["integrations"] == size.integrations
    assert counts["workflow_executions"] == size.executions
    assert counts["integration_events"] == size.events
    assert counts["execution_logs"] == size.logs
    assert 3 * size.workflows <= counts["workflow_actions"] <= 7 * size.workflows
    assert size.workflows <= counts["workflow_triggers"] <= 2 * size.workflows


@pytest.mark.parametrize("factor", [0.0001, 0.0007, 0.003])
def test_loader_writes_exactly_what_it_announces(db_url: str, factor: float) -> None:
    """The totals match the announced sizes at every factor (they once grew with its square)."""
    conninfo = libpq_conninfo(normalize_url(db_url))
    size = ScaleSize().scaled(factor)
    report = ScaleLoader(conninfo, size, seed=3, drop_indexes=False).run()
    counts = _counts(conninfo)
    announced = {
        "workflows": size.workflows,
        "integrations": size.integrations,
        "workflow_executions": size.executions,
        "execution_logs": size.logs,
        "integration_events": size.events,
    }
    assert {t: counts[t] for t in announced} == announced
    assert report.rows == counts
    with psycopg.connect(conninfo) as conn:
        pending_lines = conn.execute(
            "SELECT count(*) FROM execution_logs l JOIN workflow_executions e "
            "ON e.id = l.execution_id WHERE e.status = 'pending'"
        ).fetchone()[0]
        heaviest = conn.execute(
            "SELECT max(n) FROM (SELECT count(*) n FROM execution_logs GROUP BY execution_id) s"
        ).fetchone()[0]
    assert pending_lines == 0
    assert heaviest >= size.logs * 0.15 / max(1, size.executions // 100_000) / 2


def test_plan_shares_grow_linearly_with_the_factor() -> None:
    """Heavy executions share a fixed fraction of the lines, whatever their number."""
    for factor in (0.1, 1, 10, 100):
        size = ScaleSize().scaled(factor)
        plan = LogPlan.for_size(size)
        medium_n = size.executions // plan.medium_every
        medium = medium_n * (plan.medium_lo + plan.medium_hi) / 2
        assert medium <= size.logs * 0.3
        assert plan.heavy_count == max(1, size.executions // 100_000)
        assert plan.rest_max * (size.executions - plan.heavy_count) / 2 <= size.logs


def test_tiny_load_looks_like_production(db_url: str) -> None:
    conninfo = libpq_conninfo(normalize_url(db_url))
    ScaleLoader(conninfo, ScaleSize.tiny(), seed=5).run()
    with psycopg.connect(conninfo) as conn:
        q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
        statuses = dict(q("SELECT status, count(*) FROM workflow_executions GROUP BY 1"))
        assert statuses["completed"] > statuses["failed"] > 0
        assert statuses["completed"] > sum(statuses.values()) / 2
        # retry chains: retry_count = parent's + 1, same workflow, parent failed
        bad, chains, deepest = q(
            "SELECT count(*) FILTER (WHERE c.retry_count <> p.retry_count + 1 "
            "  OR c.workflow_id <> p.workflow_id OR p.status NOT IN ('failed', 'timeout') "
            "  OR c.started_at < p.started_at), count(*), max(c.retry_count) "
            "FROM workflow_executions c JOIN workflow_executions p "
            "ON p.id = c.parent_execution_id"
        )[0]
        assert bad == 0
        assert chains > 0
        assert deepest == 3
        # skew: one execution holds far more lines than the median one
        top, median = q(
            "SELECT max(n), percentile_cont(0.5) WITHIN GROUP (ORDER BY n) FROM "
            "(SELECT count(*) n FROM execution_logs GROUP BY execution_id) s"
        )[0]
        assert top > 20 * median
        span = q(
            "SELECT extract(epoch FROM max(started_at) - min(started_at)) / 86400 "
            "FROM workflow_executions"
        )[0][0]
        assert span > 60
        levels = {r[0] for r in q("SELECT DISTINCT level FROM execution_logs")}
        assert levels == {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
        assert (
            q(
                "SELECT count(*) FROM execution_logs l LEFT JOIN workflow_actions a "
                "ON a.id = l.action_id WHERE a.workflow_id IS DISTINCT FROM "
                "(SELECT workflow_id FROM workflow_executions e WHERE e.id = l.execution_id)"
            )[0][0]
            == 0
        )
        assert q("SELECT count(*) FROM integration_events WHERE status = 'pending'")[0][0] > 0


def test_refuses_tables_with_rows(engine, db_url: str) -> None:
    from console.demo.dataset import fill_demo

    fill_demo(engine)
    conninfo = libpq_conninfo(normalize_url(db_url))
    before = _counts(conninfo)
    with pytest.raises(ScaleRefused):
        ScaleLoader(conninfo, ScaleSize.tiny()).run()
    assert _counts(conninfo) == before
