"""The Overview's figures in one plain structure, for ``autopr-console status``.

Built from the Overview's query layer (:mod:`console.queries.overview`) against
the server's clock, for scripts and monitors: executions by status in the window,
failure and timeout rates, running now, what looks stuck, the queue, integrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from console.queries import overview as ov
from models.vocab import EXECUTION_STATUSES

# No upper bound: executions an engine host stamped ahead of the server's clock count too.
_BY_STATUS = text(
    """
    SELECT status, count(*) FROM workflow_executions
    WHERE started_at >= :start
    GROUP BY status
    """
)


@dataclass
class StatusReport:
    now: datetime
    since: timedelta
    by_status: dict[str, int]
    running_now: int
    stuck_executions: list[ov.StuckExecution]
    stuck_executions_total: int
    stuck_events_total: int
    queue: ov.EventQueue
    integrations: list[ov.IntegrationHealth]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def finished(self) -> int:
        return sum(self.by_status.get(s, 0) for s in ("completed", "failed", "timeout"))

    def rate(self, status: str) -> float | None:
        """Share of ``status`` among finished runs (completed, failed, timeout)."""
        return self.by_status.get(status, 0) / self.finished if self.finished else None

    @property
    def failure_rate(self) -> float | None:
        """failed + timeout over finished, as the Overview counts failures."""
        if not self.finished:
            return None
        return sum(self.by_status.get(s, 0) for s in ov.FAILURE_STATUSES) / self.finished

    def as_dict(self) -> dict[str, Any]:
        age = self.queue.oldest_pending_age(self.now)
        return {
            "server_time": self.now.isoformat(),
            "window_seconds": int(self.since.total_seconds()),
            "executions": {"total": self.total, "by_status": self.by_status},
            "failure_rate": self.failure_rate,
            "timeout_rate": self.rate("timeout"),
            "running_now": self.running_now,
            "looks_stuck": {
                "executions": self.stuck_executions_total,
                "events": self.stuck_events_total,
                "oldest_executions": [
                    {
                        "execution_id": s.execution_id,
                        "workflow": s.workflow_name,
                        "elapsed_seconds": round(s.elapsed_s),
                    }
                    for s in self.stuck_executions[:10]
                ],
            },
            "queue": {
                "pending": self.queue.pending,
                "processing": self.queue.processing,
                "oldest_pending_age_seconds": None if age is None else round(age.total_seconds()),
            },
            "integrations": [
                {
                    "name": i.name,
                    "type": i.type,
                    "enabled": i.enabled,
                    "health": i.health_status,
                    "last_health_check": (
                        i.last_health_check.isoformat() if i.last_health_check else None
                    ),
                }
                for i in self.integrations
            ],
        }


def load_status(conn: Connection, since: timedelta) -> StatusReport:
    """Read every figure against one reference time, the server's clock."""
    now = ov.server_now(conn)
    span = ov.TimeRange("since", f"last {since}", since, since)
    window = ov.Window(range=span, now=now, start=now - since, end=now)
    rows = conn.execute(_BY_STATUS, {"start": window.start}).all()
    found = {str(r[0]): int(r[1]) for r in rows}
    by_status = {s: found.pop(s, 0) for s in EXECUTION_STATUSES} | found
    running = ov.running_executions(conn)
    stats = ov.workflow_stats(conn, window, limit=None)
    stuck = ov.stuck(conn, window, running=running, p95_by_workflow=ov.p95_map(stats))
    return StatusReport(
        now=now,
        since=since,
        by_status=by_status,
        running_now=running.total,
        stuck_executions=stuck.executions,
        stuck_executions_total=stuck.executions_total,
        stuck_events_total=stuck.events_total,
        queue=ov.event_queue(conn),
        integrations=ov.integration_health(conn),
    )


def _pct(value: float | None) -> str:
    return "n/a (nothing finished)" if value is None else f"{value * 100:.1f}%"


def _age(delta: timedelta | None) -> str:
    if delta is None:
        return "none pending"
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def render_text(report: StatusReport, where: str) -> str:
    """Plain lines, one figure each, for a terminal or a log."""
    counts = ", ".join(f"{s} {n}" for s, n in report.by_status.items())
    stuck = report.stuck_executions
    lines = [
        f"{where} at {report.now:%Y-%m-%d %H:%M:%S %Z}, window {report.since}",
        f"executions started: {report.total} ({counts})",
        f"failure rate: {_pct(report.failure_rate)} (failed + timeout of {report.finished} "
        "finished)",
        f"timeout rate: {_pct(report.rate('timeout'))}",
        f"running now: {report.running_now}",
        f"looks stuck: {report.stuck_executions_total} execution(s), "
        f"{report.stuck_events_total} event(s)",
    ]
    lines += [f"  {s.execution_id} ({s.workflow_name}) {int(s.elapsed_s)} s" for s in stuck[:5]]
    lines.append(
        f"queue: {report.queue.pending} pending, {report.queue.processing} processing; "
        f"oldest pending: {_age(report.queue.oldest_pending_age(report.now))}"
    )
    lines.append(f"integrations: {len(report.integrations)}")
    lines += [
        f"  {i.name} ({i.type}): {i.health_status}{'' if i.enabled else ', disabled'}"
        for i in report.integrations
    ]
    return "\n".join(lines)
