"""The simulator touches only rows it created, refuses staging/prod, leaves nothing running."""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg
import pytest

from console.actions.errors import ActionError
from console.actions.guard import WriteGuard
from console.db.urls import libpq_conninfo, normalize_url
from console.demo.simulator import DemoSimulator, SimulatorSettings

FAST = SimulatorSettings(
    tick_s=0.05,
    max_concurrent=3,
    lines_per_second=20,
    min_duration_s=0.3,
    max_duration_s=0.8,
    pending_s=0.1,
    retry_probability=1.0,
    health_every_s=0.1,
    event_every_s=0.05,
    seed=5,
)

# Everything the simulator did not make, as it was before it ran.
OTHERS = {
    "integrations": "SELECT id, health_status, last_health_check, updated_at FROM integrations "
    "WHERE config->>'demo_simulator' IS NULL ORDER BY id",
    "events": "SELECT id, status, processed_at, retry_count, error_message FROM "
    "integration_events WHERE payload->>'source' IS DISTINCT FROM 'demo-simulator' ORDER BY id",
    "executions": "SELECT id, status, started_at, completed_at FROM workflow_executions "
    "WHERE trigger_data->>'source' IS DISTINCT FROM 'demo-simulator' ORDER BY id",
    "workflows": "SELECT id, status, config, updated_at FROM workflows "
    "WHERE config->>'demo_simulator' IS NULL ORDER BY id",
}


def _rows(conninfo: str, sql: str) -> list[tuple]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def _wait_for(cond: Callable[[], bool], limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while not cond():
        if time.monotonic() > deadline:
            pytest.fail("the simulator made no progress")
        time.sleep(0.05)


def test_simulator_leaves_every_row_it_did_not_make_alone(demo_db_url: str) -> None:
    conninfo = libpq_conninfo(normalize_url(demo_db_url))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # Fresh real queue entries and a real production workflow: the old simulator
        # drained the first and started executions of the second.
        integ = conn.execute("SELECT id FROM integrations ORDER BY name LIMIT 1").fetchone()[0]
        for status in ("pending", "processing", "pending", "processing"):
            conn.execute(
                "INSERT INTO integration_events (integration_id, event_type, payload, status) "
                "VALUES (%s, 'push', '{\"repository\": \"real\"}', %s)",
                (integ, status),
            )
        conn.execute(
            "INSERT INTO workflows (name, status, config) VALUES "
            "('Deploy to Production (real)', 'active', '{\"max_retries\": 1}')"
        )
    before = {name: _rows(conninfo, sql) for name, sql in OTHERS.items()}

    sim = DemoSimulator(conninfo, FAST, guard=WriteGuard("dev", "dev"))
    sim.start()
    try:
        _wait_for(
            lambda: (
                sim.stats.finished >= 4
                and sim.stats.health_updates >= 5
                and sim.stats.events_processed >= 2
            )
        )
    finally:
        sim.stop()
    assert sim.stats.errors == 0, sim.stats.last_error

    after = {name: _rows(conninfo, sql) for name, sql in OTHERS.items()}
    for name in OTHERS:
        assert after[name] == before[name], f"the simulator changed {name} it did not make"
    # Its executions all belong to its own marked workflows; none is left in flight.
    foreign = _rows(
        conninfo,
        "SELECT count(*) FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id "
        "WHERE e.trigger_data->>'source' = 'demo-simulator' "
        "AND w.config->>'demo_simulator' IS NULL",
    )
    assert foreign == [(0,)]
    in_flight = _rows(
        conninfo,
        "SELECT count(*) FROM workflow_executions WHERE trigger_data->>'source' = "
        "'demo-simulator' AND status IN ('pending', 'running')",
    )
    assert in_flight == [(0,)]
    own_integrations = _rows(
        conninfo, "SELECT count(*) FROM integrations WHERE config->>'demo_simulator' = 'true'"
    )
    print(
        f"simulator: {sim.stats.started} executions, {sim.stats.health_updates} health "
        f"updates, {sim.stats.events_processed} events moved, all on its own "
        f"{own_integrations[0][0]} integrations; {sum(map(len, before.values()))} other rows "
        "unchanged"
    )


def test_simulator_cancels_what_a_dead_simulator_left_running(demo_db_url: str) -> None:
    conninfo = libpq_conninfo(normalize_url(demo_db_url))
    first = DemoSimulator(conninfo, FAST, guard=WriteGuard("dev", "dev"))
    first.start()
    _wait_for(lambda: first.stats.started >= 2)
    # Killed without stopping: its thread halts, its connection drops, nothing is cancelled.
    first._stop.set()
    first._thread.join()
    first._conn.close()
    left = "SELECT count(*) FROM workflow_executions WHERE status IN ('pending', 'running') "
    left += "AND trigger_data->>'source' = 'demo-simulator'"
    assert _rows(conninfo, left)[0][0] >= 1
    second = DemoSimulator(conninfo, FAST, guard=WriteGuard("dev", "dev"))
    second.start()
    second.stop()
    assert _rows(conninfo, left) == [(0,)]


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_simulator_refuses_staging_and_prod_even_unlocked(
    demo_db_url: str, environment: str
) -> None:
    conninfo = libpq_conninfo(normalize_url(demo_db_url))
    guard = WriteGuard(environment, environment)
    guard.unlock(environment)
    count = "SELECT count(*) FROM workflow_executions"
    before = _rows(conninfo, count)
    sim = DemoSimulator(conninfo, FAST, guard=guard)
    with pytest.raises(ActionError, match=f"never write to {environment}"):
        sim.start()
    assert not sim.running
    assert _rows(conninfo, count) == before
    assert _rows(conninfo, "SELECT count(*) FROM workflows WHERE name LIKE 'Simulated%'") == [(0,)]
