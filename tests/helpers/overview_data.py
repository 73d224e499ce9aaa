"""A small, fully known Overview data set (workflows, executions, integrations, events)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, text

# A fixed reference time: the queries take "now" as a parameter, so the data set
# and the expectations do not depend on when the test runs.
NOW = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)


@dataclass
class Dataset:
    now: datetime
    workflows: dict[str, uuid.UUID] = field(default_factory=dict)
    executions: dict[str, uuid.UUID] = field(default_factory=dict)
    integrations: dict[str, uuid.UUID] = field(default_factory=dict)
    events: dict[str, uuid.UUID] = field(default_factory=dict)
    durations: dict[str, list[float]] = field(default_factory=dict)  # completed, in window


def _workflow(conn: Connection, ds: Dataset, name: str, config: dict) -> uuid.UUID:
    wid = conn.execute(
        text(
            "INSERT INTO workflows (name, status, config) VALUES (:n, 'active', CAST(:c AS jsonb))"
            " RETURNING id"
        ),
        {"n": name, "c": json.dumps(config)},
    ).scalar_one()
    ds.workflows[name] = wid
    return wid


def add_exec(
    conn: Connection,
    ds: Dataset,
    label: str,
    workflow: str,
    status: str,
    started: datetime,
    duration_s: float | None = None,
) -> uuid.UUID:
    completed = None if duration_s is None else started + timedelta(seconds=duration_s)
    eid = conn.execute(
        text(
            "INSERT INTO workflow_executions (workflow_id, execution_id, status, started_at,"
            " completed_at) VALUES (:w, :x, :s, :t0, :t1) RETURNING id"
        ),
        {"w": ds.workflows[workflow], "x": label, "s": status, "t0": started, "t1": completed},
    ).scalar_one()
    ds.executions[label] = eid
    return eid


def _integration(
    conn: Connection,
    ds: Dataset,
    name: str,
    type_: str,
    health: str,
    enabled: bool,
    checked: datetime | None,
) -> None:
    ds.integrations[name] = conn.execute(
        text(
            "INSERT INTO integrations (name, type, enabled, health_status, last_health_check,"
            " credentials_encrypted) VALUES (:n, :t, :e, :h, :c, 'secret') RETURNING id"
        ),
        {"n": name, "t": type_, "e": enabled, "h": health, "c": checked},
    ).scalar_one()


def _event(conn: Connection, ds: Dataset, label: str, integ: str, status: str, created) -> None:
    ds.events[label] = conn.execute(
        text(
            "INSERT INTO integration_events (integration_id, event_type, status, created_at)"
            " VALUES (:i, 'push', :s, :c) RETURNING id"
        ),
        {"i": ds.integrations[integ], "s": status, "c": created},
    ).scalar_one()


def build_dataset(engine: Engine, now: datetime = NOW) -> Dataset:
    """The known data set (see the module docstring of each test for what it expects)."""
    ds = Dataset(now=now)
    m = timedelta(minutes=1)
    with engine.begin() as conn:
        _workflow(conn, ds, "deploy", {"timeout_seconds": 600})
        _workflow(conn, ds, "lint", {})
        _workflow(conn, ds, "nightly", {"timeout_seconds": "soon"})  # not a number: ignored
        _workflow(conn, ds, "idle", {})

        # deploy: 10 completed runs of 10..100 s, started 2 h ago (one per minute)
        ds.durations["deploy"] = []
        for i in range(10):
            d = 10.0 * (i + 1)
            add_exec(conn, ds, f"deploy-ok-{i}", "deploy", "completed", now - 120 * m + i * m, d)
            ds.durations["deploy"].append(d)
        for i in range(3):
            add_exec(conn, ds, f"deploy-fail-{i}", "deploy", "failed", now - 300 * m, 5)
        add_exec(conn, ds, "deploy-timeout", "deploy", "timeout", now - 300 * m, 600)
        # outside every window but 7d/30d: a very slow run that must not count for 24 h
        add_exec(conn, ds, "deploy-old", "deploy", "completed", now - 30 * 60 * m, 10_000)

        ds.durations["lint"] = []
        for i in range(4):
            add_exec(conn, ds, f"lint-ok-{i}", "lint", "completed", now - 30 * m, 5)
            ds.durations["lint"].append(5.0)
        for i in range(2):
            add_exec(conn, ds, f"lint-cancel-{i}", "lint", "cancelled", now - 60 * m, 1)

        # running ones
        add_exec(conn, ds, "R1", "deploy", "running", now - 15 * m)  # over timeout and p95
        add_exec(conn, ds, "R2", "deploy", "running", now - timedelta(seconds=97))  # p95 only
        add_exec(conn, ds, "R3", "deploy", "running", now - 60 * timedelta(seconds=1))  # fine
        add_exec(conn, ds, "R4", "lint", "running", now - timedelta(seconds=1000))  # p95 (5 s)
        add_exec(conn, ds, "R5", "nightly", "running", now - timedelta(days=2))  # no p95/timeout
        add_exec(conn, ds, "P1", "deploy", "pending", now - m)

        _integration(conn, ds, "gh", "github", "healthy", True, now - 5 * m)
        _integration(conn, ds, "jr", "jira", "unhealthy", False, None)
        _integration(conn, ds, "sl", "slack", "degraded", True, now - 120 * m)

        _event(conn, ds, "p-10", "gh", "pending", now - 10 * m)
        _event(conn, ds, "p-40", "gh", "pending", now - 40 * m)
        _event(conn, ds, "p-3", "sl", "pending", now - 3 * m)
        _event(conn, ds, "x-20", "sl", "processing", now - 20 * m)
        _event(conn, ds, "x-5", "gh", "processing", now - 5 * m)
        for i in range(5):
            _event(conn, ds, f"done-{i}", "gh", "completed", now - 2 * 60 * m)
        _event(conn, ds, "failed-old", "gh", "failed", now - 3 * 24 * 60 * m)
    return ds
