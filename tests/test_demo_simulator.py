"""The live simulator: starts, runs and finishes executions, writes logs, stops cleanly."""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg
import pytest

from console.actions.guard import WriteGuard
from console.db.urls import libpq_conninfo, normalize_url
from console.demo.simulator import (
    APPLICATION_NAME,
    DemoSimulator,
    SimulatorError,
    SimulatorSettings,
)

FAST = SimulatorSettings(
    tick_s=0.05,
    max_concurrent=3,
    lines_per_second=20,
    min_duration_s=0.3,
    max_duration_s=0.8,
    pending_s=0.1,
    retry_probability=1.0,
    health_every_s=0.2,
    event_every_s=0.1,
    seed=3,
)

DEV = WriteGuard("dev", "dev")

SIM_EXECS = (
    "SELECT count(*) FROM workflow_executions WHERE trigger_data->>'source' = 'demo-simulator'"
)


def _wait_for(cond: Callable[[], bool], limit_s: float = 60.0) -> None:
    """Poll until ``cond`` holds (a generous limit, not a speed assertion)."""
    deadline = time.monotonic() + limit_s
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail("the simulator made no progress")
        time.sleep(0.05)


def _scalar(conninfo: str, sql: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
        return int(row[0]) if row else 0


def test_simulator_makes_progress_and_stops_cleanly(demo_db_url: str) -> None:
    conninfo = libpq_conninfo(normalize_url(demo_db_url))
    logs_before = _scalar(conninfo, "SELECT count(*) FROM execution_logs")
    events_before = _scalar(conninfo, "SELECT count(*) FROM integration_events")
    sim = DemoSimulator(conninfo, FAST, guard=DEV)
    sim.start()
    try:
        assert sim.running
        _wait_for(lambda: sim.stats.finished >= 4 and sim.stats.retried >= 1)
        assert (
            _scalar(
                conninfo,
                f"SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                f"'{APPLICATION_NAME}' AND datname = current_database()",
            )
            == 1
        )
    finally:
        sim.stop()
    assert not sim.running
    assert sim.stats.errors == 0, sim.stats.last_error

    assert _scalar(conninfo, SIM_EXECS) == sim.stats.started
    assert _scalar(conninfo, "SELECT count(*) FROM execution_logs") == (
        logs_before + sim.stats.log_lines
    )
    assert _scalar(conninfo, "SELECT count(*) FROM integration_events") == (
        events_before + sim.stats.events_created
    )
    finished = _scalar(
        conninfo,
        SIM_EXECS + " AND status IN ('completed', 'failed', 'timeout') "
        "AND completed_at IS NOT NULL",
    )
    assert finished == sim.stats.finished
    # nothing left hanging: what was still in flight is cancelled
    assert _scalar(conninfo, SIM_EXECS + " AND status IN ('pending', 'running')") == 0
    # retries hang off a failed parent with retry_count + 1
    assert (
        _scalar(
            conninfo,
            "SELECT count(*) FROM workflow_executions c JOIN workflow_executions p "
            "ON p.id = c.parent_execution_id WHERE c.trigger_data->>'source' = 'demo-simulator' "
            "AND (c.retry_count <> p.retry_count + 1 OR p.status NOT IN ('failed', 'timeout'))",
        )
        == 0
    )
    # every simulated execution that ran has log lines
    assert (
        _scalar(
            conninfo,
            SIM_EXECS + " AND status <> 'cancelled' AND NOT EXISTS "
            "(SELECT 1 FROM execution_logs l WHERE l.execution_id = workflow_executions.id)",
        )
        == 0
    )
    assert (
        _scalar(
            conninfo,
            f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{APPLICATION_NAME}'",
        )
        == 0
    )
    assert sim.stats.health_updates > 0


def test_simulator_refuses_when_none_of_its_workflows_is_active(db_url: str) -> None:
    conninfo = libpq_conninfo(normalize_url(db_url))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # A real workflow that happens to carry one of the simulator's names is not its own.
        conn.execute(
            "INSERT INTO workflows (name, status, config) "
            "VALUES ('Simulated: Build and Test', 'active', '{}')"
        )
    first = DemoSimulator(conninfo, FAST, guard=DEV)
    first.start()
    first.stop()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "UPDATE workflows SET status = 'archived' WHERE config->>'demo_simulator' = 'true'"
        )
    sim = DemoSimulator(conninfo, FAST, guard=DEV)
    with pytest.raises(SimulatorError, match="Simulated"):
        sim.start()
    assert not sim.running
    assert (
        _scalar(
            conninfo,
            SIM_EXECS + " AND workflow_id IN (SELECT id FROM workflows "
            "WHERE config->>'demo_simulator' IS NULL)",
        )
        == 0
    )
