"""The demo fill: every vocabulary value present, consistent retry chains, idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from console.demo import DEMO_TABLES
from console.demo.dataset import (
    DOC_EXECUTION_ID,
    DOC_INTEGRATION_ID,
    DOC_WORKFLOW_ID,
    build_demo_rows,
    fill_demo,
)
from models.vocab import (
    EVENT_STATUSES,
    EXECUTION_STATUSES,
    HEALTH_STATUSES,
    INTEGRATION_TYPES,
    LOG_LEVELS,
    TRIGGER_TYPES,
    WORKFLOW_STATUSES,
)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in DEMO_TABLES
        }


def _distinct(engine: Engine, sql: str) -> set:
    with engine.connect() as conn:
        return set(conn.execute(text(sql)).scalars())


@pytest.fixture
def filled(engine: Engine) -> Engine:
    assert fill_demo(engine, seed=7).inserted
    return engine


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT DISTINCT status FROM workflows", WORKFLOW_STATUSES),
        ("SELECT DISTINCT status FROM workflow_executions", EXECUTION_STATUSES),
        ("SELECT DISTINCT level FROM execution_logs", LOG_LEVELS),
        ("SELECT DISTINCT type FROM integrations", INTEGRATION_TYPES),
        ("SELECT DISTINCT health_status FROM integrations", HEALTH_STATUSES),
        ("SELECT DISTINCT status FROM integration_events", EVENT_STATUSES),
        ("SELECT DISTINCT trigger_type FROM workflow_triggers", TRIGGER_TYPES),
        (
            "SELECT DISTINCT trigger_type FROM workflow_triggers WHERE enabled",
            TRIGGER_TYPES,
        ),
        (
            "SELECT DISTINCT trigger_type FROM workflow_triggers WHERE NOT enabled",
            TRIGGER_TYPES,
        ),
        ("SELECT DISTINCT retry_count FROM workflow_executions", (0, 1, 2, 3)),
    ],
)
def test_every_vocabulary_value_is_present(filled: Engine, sql: str, expected) -> None:
    assert _distinct(filled, sql) == set(expected)


def test_document_examples_are_there(filled: Engine) -> None:
    with filled.connect() as conn:
        wf = conn.execute(
            text("SELECT name, config FROM workflows WHERE id = :id"), {"id": DOC_WORKFLOW_ID}
        ).one()
        ex = conn.execute(
            text("SELECT execution_id, workflow_id FROM workflow_executions WHERE id = :id"),
            {"id": DOC_EXECUTION_ID},
        ).one()
        integ = conn.execute(
            text("SELECT name, type FROM integrations WHERE id = :id"), {"id": DOC_INTEGRATION_ID}
        ).one()
    assert wf.name == "Deploy to Production"
    assert wf.config["notification_channels"] == ["slack", "email"]
    assert ex.execution_id == "exec-20251122-150000-abc123"
    assert ex.workflow_id == DOC_WORKFLOW_ID
    assert (integ.name, integ.type) == ("Production Slack", "slack")


def test_retry_chains_are_consistent(filled: Engine) -> None:
    with filled.connect() as conn:
        bad = conn.execute(
            text(
                "SELECT count(*) FROM workflow_executions c "
                "JOIN workflow_executions p ON p.id = c.parent_execution_id "
                "WHERE c.retry_count <> p.retry_count + 1 OR c.workflow_id <> p.workflow_id "
                "OR c.started_at < p.started_at OR p.status NOT IN ('failed', 'timeout')"
            )
        ).scalar_one()
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM workflow_executions "
                "WHERE (parent_execution_id IS NULL) <> (retry_count = 0)"
            )
        ).scalar_one()
        chains = conn.execute(
            text("SELECT count(*) FROM workflow_executions WHERE parent_execution_id IS NOT NULL")
        ).scalar_one()
    assert chains > 10
    assert bad == 0
    assert orphans == 0


def test_rows_look_realistic(filled: Engine) -> None:
    with filled.connect() as conn:
        q = conn.execute
        assert (
            q(
                text("SELECT count(*) FROM execution_logs WHERE log_metadata IS NOT NULL")
            ).scalar_one()
            > 100
        )
        assert (
            q(
                text(
                    "SELECT count(*) FROM execution_logs "
                    "WHERE action_id IS NULL OR step_name IS NULL"
                )
            ).scalar_one()
            == 0
        )
        assert (
            q(
                text(
                    "SELECT count(*) FROM workflow_executions "
                    "WHERE status IN ('failed', 'timeout') "
                    "AND error_message IS NULL"
                )
            ).scalar_one()
            == 0
        )
        assert (
            q(
                text(
                    "SELECT count(*) FROM workflow_executions "
                    "WHERE (status IN ('pending', 'running')) <> (completed_at IS NULL)"
                )
            ).scalar_one()
            == 0
        )
        assert (
            q(
                text(
                    "SELECT count(*) FROM workflow_executions "
                    "WHERE started_at > now() - interval '8 days'"
                )
            ).scalar_one()
            > 300
        )
        stuck = q(
            text(
                "SELECT count(*) FROM integration_events WHERE status IN ('pending', 'processing') "
                "AND created_at < now() - interval '1 hour'"
            )
        ).scalar_one()
        assert stuck > 0
        secrets = q(
            text(
                "SELECT count(*) FROM integrations WHERE credentials_encrypted IS NOT NULL "
                "AND (config ? 'webhook_url' OR config ? 'api_token')"
            )
        ).scalar_one()
        assert secrets == q(text("SELECT count(*) FROM integrations")).scalar_one()
        ordered = q(
            text(
                "SELECT bool_and(n = mx + 1) FROM (SELECT count(*) n, max(order_index) mx "
                "FROM workflow_actions GROUP BY workflow_id) s"
            )
        ).scalar_one()
        assert ordered is True
        assert (
            q(
                text("SELECT count(*) FROM workflow_actions WHERE conditions IS NOT NULL")
            ).scalar_one()
            > 5
        )


def test_second_fill_does_not_duplicate(filled: Engine) -> None:
    before = _counts(filled)
    again = fill_demo(filled, seed=7)
    assert again.inserted is False
    assert _counts(filled) == before


def test_reset_refills_the_same_amount(filled: Engine) -> None:
    before = _counts(filled)
    with filled.begin() as conn:
        conn.execute(text("DELETE FROM integration_events"))
    assert fill_demo(filled, seed=7, reset=True).inserted
    assert _counts(filled) == before


def test_same_seed_same_rows_and_counts_match_database(filled: Engine) -> None:
    a = build_demo_rows(7)
    b = build_demo_rows(7)
    assert [r["id"] for r in a.executions] == [r["id"] for r in b.executions]
    assert [r["message"] for r in a.logs] == [r["message"] for r in b.logs]
    assert build_demo_rows(8).executions[1]["id"] != a.executions[1]["id"]
    assert _counts(filled) == a.counts()


def test_demo_db_url_fixture_is_filled(demo_db_url: str) -> None:
    from console.db.engine import make_engine

    eng = make_engine(demo_db_url)
    try:
        assert _counts(eng)["workflows"] == 30
    finally:
        eng.dispose()
