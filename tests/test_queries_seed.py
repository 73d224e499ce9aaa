"""Seeding the tables pages' test data with generate_series (also used by the benchmark)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from tests.helpers.seeding import seed_engine


def test_seed_fills_every_table(engine: Engine) -> None:
    seed_engine(engine, workflows=4, executions=20, logs_per_execution=2, events=10)
    with engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in ("workflows", "workflow_executions", "execution_logs", "integration_events")
        }
        chain = conn.execute(
            text(
                "SELECT c.retry_count FROM workflow_executions c JOIN workflow_executions p"
                " ON p.id = c.parent_execution_id WHERE p.execution_id = 'exec-00000010'"
            )
        ).scalar()
    assert counts == {
        "workflows": 4,
        "workflow_executions": 20,
        "execution_logs": 40,
        "integration_events": 10,
    }
    assert chain == 2
