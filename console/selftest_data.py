"""Rows the self-test needs: the demo data set, and one running execution to follow."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, text


def load_demo_data(engine: Engine) -> str:
    """Fill the (empty) database with the demo data set; return a one-line summary."""
    from console.demo.dataset import fill_demo

    result = fill_demo(engine)
    if not result.inserted:
        raise RuntimeError("the self-test database already held demo data")
    return "demo data set"


def insert_running_execution(engine: Engine) -> uuid.UUID:
    """A running execution with one log line; the tail step appends more."""
    with engine.begin() as conn:
        wf = conn.execute(
            text(
                "INSERT INTO workflows (name, status, created_by) "
                "VALUES ('self-test live', 'active', 'self-test') RETURNING id"
            )
        ).scalar_one()
        ex = conn.execute(
            text(
                "INSERT INTO workflow_executions (workflow_id, status, trigger_type) "
                "VALUES (:wf, 'running', 'manual') RETURNING id"
            ),
            {"wf": wf},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO execution_logs (execution_id, level, message, step_name) "
                "VALUES (:ex, 'INFO', 'self-test execution started', 'start')"
            ),
            {"ex": ex},
        )
    return ex


def append_log_lines(engine: Engine, execution: uuid.UUID, count: int, tag: str) -> None:
    """Commit ``count`` log lines one transaction each, like a live engine worker."""
    for i in range(count):
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO execution_logs (execution_id, level, message, step_name) "
                    "VALUES (:ex, 'INFO', :msg, 'self-test')"
                ),
                {"ex": execution, "msg": f"{tag} line {i + 1}"},
            )
