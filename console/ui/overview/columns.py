"""Column definitions of the Overview's tables (workflows, running, stuck)."""

from __future__ import annotations

from datetime import datetime

from console.queries.overview import (
    RunningExecution,
    StuckEvent,
    StuckExecution,
    WorkflowStats,
)
from console.ui import theme, timefmt
from console.ui.overview.rows_model import Column


def _rate(s: WorkflowStats, _now: datetime) -> str:
    rate = s.success_rate
    return "–" if rate is None else f"{rate * 100:.1f} %"


def _rate_color(s: WorkflowStats):
    rate = s.success_rate
    if rate is None:
        return None
    if rate < 0.8:
        return theme.status_color("failed")
    if rate < 0.95:
        return theme.health_color("degraded")
    return None


WORKFLOW_COLUMNS: list[Column[WorkflowStats]] = [
    Column("Workflow", lambda s, _n: s.name, sort=lambda s: s.name.lower()),
    Column("Runs", lambda s, _n: f"{s.runs:,}", sort=lambda s: s.runs, numeric=True),
    Column(
        "Success",
        _rate,
        sort=lambda s: -1.0 if s.success_rate is None else s.success_rate,
        color=_rate_color,
        numeric=True,
        tooltip=lambda s, _n: "completed / (completed + failed + timeout)",
    ),
    Column(
        "Failed",
        lambda s, _n: f"{s.failed:,}",
        sort=lambda s: s.failed,
        color=lambda s: theme.status_color("failed") if s.failed else None,
        numeric=True,
        tooltip=lambda s, _n: "failed + timeout; click: open them",
    ),
    Column(
        "p50",
        lambda s, _n: timefmt.duration(s.p50_s) or "–",
        sort=lambda s: -1.0 if s.p50_s is None else s.p50_s,
        numeric=True,
    ),
    Column(
        "p95",
        lambda s, _n: timefmt.duration(s.p95_s) or "–",
        sort=lambda s: -1.0 if s.p95_s is None else s.p95_s,
        numeric=True,
    ),
]
WORKFLOW_FAILED_COLUMN = 3


def _elapsed(started: datetime, now: datetime) -> str:
    return timefmt.duration(now - started)


RUNNING_COLUMNS: list[Column[RunningExecution]] = [
    Column(
        "Execution",
        lambda r, _n: r.execution_id,
        icon=lambda r: theme.status_icon("running"),
    ),
    Column("Workflow", lambda r, _n: r.workflow_name, sort=lambda r: r.workflow_name.lower()),
    Column(
        "Started",
        lambda r, n: timefmt.short(r.started_at, n),
        sort=lambda r: r.started_at,
        tooltip=lambda r, _n: timefmt.exact(r.started_at, millis=True),
    ),
    Column(
        "Elapsed",
        lambda r, n: _elapsed(r.started_at, n),
        sort=lambda r: -r.started_at.timestamp(),
        numeric=True,
        live=True,
    ),
]

STUCK_EXECUTION_COLUMNS: list[Column[StuckExecution]] = [
    Column(
        "Execution",
        lambda r, _n: r.execution_id,
        icon=lambda r: theme.status_icon("running"),
    ),
    Column("Workflow", lambda r, _n: r.workflow_name, sort=lambda r: r.workflow_name.lower()),
    Column(
        "Running for",
        lambda r, n: _elapsed(r.started_at, n),
        sort=lambda r: -r.started_at.timestamp(),
        numeric=True,
        live=True,
        color=lambda r: theme.status_color("failed"),
    ),
    Column("p95", lambda r, _n: timefmt.duration(r.p95_s) or "–", numeric=True),
    Column("Timeout", lambda r, _n: timefmt.duration(r.timeout_s) or "–", numeric=True),
    Column("Over", lambda r, _n: r.reason),
]

STUCK_EVENT_COLUMNS: list[Column[StuckEvent]] = [
    Column("Integration", lambda e, _n: e.integration_name),
    Column("Event type", lambda e, _n: e.event_type),
    Column(
        "Processing for",
        lambda e, n: _elapsed(e.created_at, n),
        sort=lambda e: -e.created_at.timestamp(),
        numeric=True,
        live=True,
        color=lambda e: theme.status_color("failed"),
        tooltip=lambda e, _n: f"received {timefmt.exact(e.created_at)}",
    ),
]
