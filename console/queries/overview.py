"""Queries behind the Overview page: small aggregates over bounded time windows.

Every function takes an open SQLAlchemy ``Connection`` and a reference time
``now`` (the server's clock, read once per snapshot by :func:`load_overview`),
so all panels of one snapshot agree on "now" and tests can pin it.

Cost rules (the tables hold millions of rows):

* executions are only ever aggregated inside ``[start, end)`` on ``started_at``
  (``idx_workflow_executions_started_at`` / ``idx_workflow_executions_composite``);
* running executions come from ``idx_workflow_executions_status``;
* the event queue is read through the partial index ``idx_integration_events_queue``;
* ``execution_logs`` is never read here.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, bindparam, text

from models.vocab import EXECUTION_STATUSES

# Origin of the time buckets: buckets line up on UTC minutes, hours and days.
BUCKET_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)

# Statuses counted as a finished attempt when computing the success rate.
# Cancelled runs were stopped on purpose; they count neither way.
SUCCESS_STATUSES: tuple[str, ...] = ("completed",)
FAILURE_STATUSES: tuple[str, ...] = ("failed", "timeout")

DEFAULT_STUCK_EVENT_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class TimeRange:
    """A selectable window of the Overview and the bar width that suits it."""

    key: str
    label: str
    span: timedelta
    bucket: timedelta

    @property
    def buckets(self) -> int:
        return int(self.span / self.bucket)


TIME_RANGES: dict[str, TimeRange] = {
    r.key: r
    for r in (
        TimeRange("1h", "Last hour", timedelta(hours=1), timedelta(minutes=2)),
        TimeRange("24h", "Last 24 hours", timedelta(hours=24), timedelta(hours=1)),
        TimeRange("7d", "Last 7 days", timedelta(days=7), timedelta(hours=6)),
        TimeRange("30d", "Last 30 days", timedelta(days=30), timedelta(days=1)),
    )
}
DEFAULT_RANGE = "24h"

# Percentiles need every duration of the window sorted per workflow, read from
# the heap: their window is the selected one but never longer than this.
STATS_MAX_SPAN = timedelta(hours=24)


@dataclass(frozen=True)
class Window:
    """The bounded window ``[start, end)`` cut into ``len(edges) - 1`` whole buckets.

    ``end`` is the end of the bucket holding ``now``, so the last bar is the
    current, still filling one.
    """

    range: TimeRange
    now: datetime
    start: datetime
    end: datetime

    @property
    def stats_start(self) -> datetime:
        """Start of the per-workflow statistics window (at most STATS_MAX_SPAN back)."""
        return max(self.start, self.end - STATS_MAX_SPAN)

    @property
    def stats_span(self) -> timedelta:
        return self.end - self.stats_start

    @property
    def edges(self) -> list[datetime]:
        return [self.start + i * self.range.bucket for i in range(self.range.buckets + 1)]

    def bucket_index(self, ts: datetime) -> int | None:
        if ts < self.start or ts >= self.end:
            return None
        return int((ts - self.start) / self.range.bucket)


def make_window(range_key: str, now: datetime) -> Window:
    """Window of ``range_key`` ending with the bucket that holds ``now``."""
    tr = TIME_RANGES[range_key]
    steps = (now - BUCKET_ORIGIN) // tr.bucket
    end = BUCKET_ORIGIN + (steps + 1) * tr.bucket
    return Window(range=tr, now=now, start=end - tr.span, end=end)


# --------------------------------------------------------------------------- panel 1


@dataclass
class StatusBuckets:
    """Panel 1: executions started per bucket, per status."""

    window: Window
    counts: dict[str, list[int]]  # status -> one count per bucket

    @property
    def total(self) -> int:
        return sum(sum(row) for row in self.counts.values())


_BUCKETS_SQL = text(
    """
    SELECT date_bin(:bucket, started_at, :origin) AS bucket, status, count(*) AS n
    FROM workflow_executions
    WHERE started_at >= :start AND started_at < :end
    GROUP BY 1, 2
    """
)


def executions_by_status(
    conn: Connection, window: Window, *, since: datetime | None = None
) -> StatusBuckets:
    """Executions started per bucket and status; only from ``since`` on when given
    (earlier buckets are then zero)."""
    rows = conn.execute(
        _BUCKETS_SQL,
        {
            "bucket": window.range.bucket,
            "origin": BUCKET_ORIGIN,
            "start": window.start if since is None else max(since, window.start),
            "end": window.end,
        },
    )
    counts = {status: [0] * window.range.buckets for status in EXECUTION_STATUSES}
    for bucket, status, n in rows:
        index = window.bucket_index(bucket)
        if index is None or status not in counts:
            continue
        counts[status][index] += int(n)
    return StatusBuckets(window=window, counts=counts)


class BucketCache:
    """Re-reads only the recent buckets of long windows between refreshes.

    Windows longer than a day would aggregate up to every execution on each
    refresh.  Buckets that ended more than ``settle`` ago barely change (only
    when a very long run finishes), so they are taken from the last full read,
    which is repeated every ``max_age``.  Safe to share between worker threads.
    """

    def __init__(
        self,
        settle: timedelta = timedelta(hours=6),
        max_age: timedelta = timedelta(minutes=10),
        min_span: timedelta = timedelta(hours=24),
    ) -> None:
        self.settle = settle
        self.max_age = max_age
        self.min_span = min_span
        self._lock = threading.Lock()
        self._range: str | None = None
        self._read_at: datetime | None = None
        self._counts: dict[datetime, dict[str, int]] = {}
        self.full_reads = 0
        self.partial_reads = 0

    def executions_by_status(self, conn: Connection, window: Window) -> StatusBuckets:
        tr = window.range
        if tr.span <= self.min_span:
            return executions_by_status(conn, window)
        with self._lock:
            fresh = (
                self._range == tr.key
                and self._read_at is not None
                and timedelta(0) <= window.now - self._read_at < self.max_age
            )
            cached = dict(self._counts) if fresh else {}
        if not fresh:
            result = executions_by_status(conn, window)
            self._store(window, result, full=True)
            return result
        # re-read from the start of the bucket that held (now - settle)
        since = make_window(tr.key, window.now - self.settle).end - tr.bucket
        since = max(since, window.start)
        recent = executions_by_status(conn, window, since=since)
        counts = {s: list(v) for s, v in recent.counts.items()}
        for i, edge in enumerate(window.edges[:-1]):
            if edge >= since:
                break
            old = cached.get(edge, {})
            for status in counts:
                counts[status][i] = old.get(status, 0)
        result = StatusBuckets(window=window, counts=counts)
        self._store(window, result, full=False)
        return result

    def _store(self, window: Window, result: StatusBuckets, *, full: bool) -> None:
        per_bucket: dict[datetime, dict[str, int]] = {}
        for status, row in result.counts.items():
            for edge, n in zip(window.edges, row, strict=False):
                per_bucket.setdefault(edge, {})[status] = n
        with self._lock:
            if full:
                self._range = window.range.key
                self._read_at = window.now
                self.full_reads += 1
            else:
                self.partial_reads += 1
            self._counts = per_bucket


# --------------------------------------------------------------------------- panel 2


@dataclass(frozen=True)
class WorkflowStats:
    """Panel 2: one workflow's runs started in the window."""

    workflow_id: uuid.UUID
    name: str
    runs: int
    completed: int
    failed: int  # failed + timeout
    running: int
    p50_s: float | None  # duration of completed runs, seconds
    p95_s: float | None

    @property
    def success_rate(self) -> float | None:
        """completed / (completed + failed + timeout); None when nothing finished."""
        finished = self.completed + self.failed
        return self.completed / finished if finished else None


WORKFLOW_ORDERS = ("failing", "slowest")

# One pass over the window's rows (their heap pages are read once): counts and
# the percentiles of completed runs (percentile_cont ignores the NULL durations).
_WORKFLOW_STATS_SQL = text(
    """
    WITH s AS (
        SELECT workflow_id,
               count(*) AS runs,
               count(*) FILTER (WHERE status IN :ok) AS completed,
               count(*) FILTER (WHERE status IN :bad) AS failed,
               count(*) FILTER (WHERE status = 'running') AS running,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY d.secs) AS p50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY d.secs) AS p95
        FROM workflow_executions
        CROSS JOIN LATERAL (
            SELECT CASE WHEN status IN :ok
                        THEN extract(epoch FROM completed_at - started_at) END AS secs
        ) d
        WHERE started_at >= :start AND started_at < :end
        GROUP BY workflow_id
    )
    SELECT s.workflow_id, w.name, s.runs, s.completed, s.failed, s.running, s.p50, s.p95
    FROM s JOIN workflows w ON w.id = s.workflow_id
    """
).bindparams(
    bindparam("ok", expanding=True),
    bindparam("bad", expanding=True),
)


def _failing_key(s: WorkflowStats) -> tuple[int, float, float, str]:
    rate = s.success_rate
    return (-(s.failed), 1.0 if rate is None else rate, -(s.p95_s or 0.0), s.name)


def _slowest_key(s: WorkflowStats) -> tuple[bool, float, float, str]:
    return (s.p95_s is None, -(s.p95_s or 0.0), -(s.p50_s or 0.0), s.name)


def workflow_stats(
    conn: Connection, window: Window, *, order: str = "failing", limit: int | None = 25
) -> list[WorkflowStats]:
    """Per-workflow counts and p50/p95 of completed runs, most failing (or slowest) first."""
    rows = conn.execute(
        _WORKFLOW_STATS_SQL,
        {
            "ok": list(SUCCESS_STATUSES),
            "bad": list(FAILURE_STATUSES),
            "start": window.stats_start,
            "end": window.end,
        },
    )
    stats = [
        WorkflowStats(
            workflow_id=wid,
            name=name,
            runs=int(runs),
            completed=int(completed),
            failed=int(failed),
            running=int(running),
            p50_s=None if p50 is None else float(p50),
            p95_s=None if p95 is None else float(p95),
        )
        for wid, name, runs, completed, failed, running, p50, p95 in rows
    ]
    return rank_workflows(stats, order=order, limit=limit)


def rank_workflows(
    stats: list[WorkflowStats], *, order: str = "failing", limit: int | None = None
) -> list[WorkflowStats]:
    """Most failing (most failed runs, then lowest success rate) or slowest (p95) first."""
    ranked = sorted(stats, key=_slowest_key if order == "slowest" else _failing_key)
    return ranked if limit is None else ranked[:limit]


def p95_map(stats: list[WorkflowStats]) -> dict[uuid.UUID, float]:
    return {s.workflow_id: s.p95_s for s in stats if s.p95_s is not None}


class StatsCache:
    """Per-workflow statistics recomputed at most every ``max_age`` for a range.

    Percentiles read every duration in the window from the table; a dashboard
    refreshing every few seconds does not need them fresher than a minute.
    A different range, or a clock that went backwards, recomputes at once.
    """

    def __init__(self, max_age: timedelta = timedelta(seconds=60)) -> None:
        self.max_age = max_age
        self._lock = threading.Lock()
        self._key: str | None = None
        self._at: datetime | None = None
        self._stats: list[WorkflowStats] = []
        self.reads = 0

    def workflow_stats(self, conn: Connection, window: Window) -> list[WorkflowStats]:
        with self._lock:
            if (
                self._key == window.range.key
                and self._at is not None
                and timedelta(0) <= window.now - self._at < self.max_age
            ):
                return list(self._stats)
        stats = workflow_stats(conn, window, limit=None)
        with self._lock:
            self._key, self._at, self._stats = window.range.key, window.now, stats
            self.reads += 1
        return list(stats)


# --------------------------------------------------------------------------- panel 3


@dataclass(frozen=True)
class RunningExecution:
    id: uuid.UUID
    execution_id: str
    workflow_id: uuid.UUID
    workflow_name: str
    started_at: datetime
    trigger_type: str | None
    timeout_s: float | None = None  # workflows.config.timeout_seconds, when numeric


# Beyond this many running executions, the stuck check looks at the oldest ones only.
RUNNING_SCAN_CAP = 20_000


@dataclass
class RunningExecutions:
    """Panel 3: the oldest running executions (up to ``limit``) and how many run in all.

    ``scanned`` holds every running execution read (oldest first, at most
    RUNNING_SCAN_CAP) for the stuck check, so it needs no query of its own.
    """

    rows: list[RunningExecution]
    total: int
    scanned: list[RunningExecution] = field(default_factory=list, repr=False)


_RUNNING_SQL = text(
    """
    SELECT e.id, e.execution_id, e.workflow_id, w.name, e.started_at, e.trigger_type,
           CASE WHEN jsonb_typeof(CAST(w.config AS jsonb) -> 'timeout_seconds') = 'number'
                THEN (w.config ->> 'timeout_seconds')::float8 END AS timeout
    FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id
    WHERE e.status = 'running'
    ORDER BY e.started_at, e.id
    LIMIT :cap
    """
)
_RUNNING_COUNT_SQL = text("SELECT count(*) FROM workflow_executions WHERE status = 'running'")


def running_executions(
    conn: Connection, *, limit: int = 200, cap: int = RUNNING_SCAN_CAP
) -> RunningExecutions:
    scanned = [RunningExecution(*row) for row in conn.execute(_RUNNING_SQL, {"cap": cap})]
    total = len(scanned)
    if total >= cap:
        total = int(conn.execute(_RUNNING_COUNT_SQL).scalar_one())
    return RunningExecutions(rows=scanned[:limit], total=total, scanned=scanned)


# --------------------------------------------------------------------------- panel 4


@dataclass(frozen=True)
class IntegrationHealth:
    id: uuid.UUID
    name: str
    type: str
    enabled: bool
    health_status: str
    last_health_check: datetime | None


# credentials_encrypted is deliberately not selected.  Worst health first.
_INTEGRATIONS_SQL = text(
    """
    SELECT id, name, type, enabled, health_status, last_health_check
    FROM integrations
    ORDER BY CASE health_status WHEN 'unhealthy' THEN 0 WHEN 'degraded' THEN 1
                                WHEN 'unknown' THEN 2 ELSE 3 END,
             NOT enabled, name
    """
)


def integration_health(conn: Connection) -> list[IntegrationHealth]:
    return [IntegrationHealth(*row) for row in conn.execute(_INTEGRATIONS_SQL)]


# --------------------------------------------------------------------------- panel 5


@dataclass(frozen=True)
class EventQueue:
    """Panel 5: depth of the queue and the oldest pending event's creation time."""

    pending: int
    processing: int
    oldest_pending_at: datetime | None
    oldest_processing_at: datetime | None

    def oldest_pending_age(self, now: datetime) -> timedelta | None:
        return None if self.oldest_pending_at is None else now - self.oldest_pending_at


# The WHERE clause repeats the partial index predicate so the planner can use it.
_QUEUE_SQL = text(
    """
    SELECT status, count(*), min(created_at)
    FROM integration_events
    WHERE status IN ('pending', 'processing')
    GROUP BY status
    """
)


def event_queue(conn: Connection) -> EventQueue:
    found = {status: (int(n), oldest) for status, n, oldest in conn.execute(_QUEUE_SQL)}
    pending = found.get("pending", (0, None))
    processing = found.get("processing", (0, None))
    return EventQueue(
        pending=pending[0],
        processing=processing[0],
        oldest_pending_at=pending[1],
        oldest_processing_at=processing[1],
    )


# --------------------------------------------------------------------------- panel 6


@dataclass(frozen=True)
class StuckExecution:
    id: uuid.UUID
    execution_id: str
    workflow_id: uuid.UUID
    workflow_name: str
    started_at: datetime
    elapsed_s: float
    p95_s: float | None  # the workflow's p95 of completed runs in the window
    timeout_s: float | None  # workflows.config.timeout_seconds, when numeric

    @property
    def reason(self) -> str:
        over = []
        if self.timeout_s is not None and self.elapsed_s > self.timeout_s:
            over.append("timeout")
        if self.p95_s is not None and self.elapsed_s > self.p95_s:
            over.append("p95")
        return " and ".join(over)


@dataclass(frozen=True)
class StuckEvent:
    id: uuid.UUID
    integration_id: uuid.UUID
    integration_name: str
    event_type: str
    created_at: datetime
    age_s: float


@dataclass
class StuckReport:
    executions: list[StuckExecution]  # the oldest ``limit`` ones
    events: list[StuckEvent]
    events_total: int
    event_threshold: timedelta
    executions_total: int = 0


_STUCK_EVENTS_SQL = text(
    """
    SELECT ev.id, ev.integration_id, i.name, ev.event_type, ev.created_at,
           extract(epoch FROM :now - ev.created_at) AS age
    FROM integration_events ev JOIN integrations i ON i.id = ev.integration_id
    WHERE ev.status = 'processing' AND ev.created_at < :cutoff
    ORDER BY ev.created_at, ev.id
    LIMIT :limit
    """
)
_STUCK_EVENTS_COUNT_SQL = text(
    """
    SELECT count(*) FROM integration_events
    WHERE status = 'processing' AND created_at < :cutoff
    """
)


def stuck(
    conn: Connection,
    window: Window,
    *,
    running: RunningExecutions | None = None,
    p95_by_workflow: dict[uuid.UUID, float] | None = None,
    event_after: timedelta = DEFAULT_STUCK_EVENT_AFTER,
    p95_factor: float = 1.0,
    limit: int = 200,
) -> StuckReport:
    """Running executions past their workflow's p95 (× ``p95_factor``) or timeout_seconds,
    and events ``processing`` since longer than ``event_after``.

    ``running`` (panel 3) and ``p95_by_workflow`` (panel 2) are read here when not
    given.  An event has no "processing since" column: its age counts from ``created_at``.
    """
    if running is None:
        running = running_executions(conn, limit=0)
    if p95_by_workflow is None:
        p95_by_workflow = p95_map(workflow_stats(conn, window, limit=None))
    flagged: list[StuckExecution] = []
    for r in running.scanned:  # oldest first
        elapsed = (window.now - r.started_at).total_seconds()
        p95 = p95_by_workflow.get(r.workflow_id)
        over_p95 = p95 is not None and elapsed > p95 * p95_factor
        over_timeout = r.timeout_s is not None and elapsed > r.timeout_s
        if over_p95 or over_timeout:
            flagged.append(
                StuckExecution(
                    id=r.id,
                    execution_id=r.execution_id,
                    workflow_id=r.workflow_id,
                    workflow_name=r.workflow_name,
                    started_at=r.started_at,
                    elapsed_s=elapsed,
                    p95_s=p95,
                    timeout_s=r.timeout_s,
                )
            )
    executions, executions_total = flagged[:limit], len(flagged)
    cutoff = window.now - event_after
    events = [
        StuckEvent(
            id=row[0],
            integration_id=row[1],
            integration_name=row[2],
            event_type=row[3],
            created_at=row[4],
            age_s=float(row[5]),
        )
        for row in conn.execute(
            _STUCK_EVENTS_SQL, {"now": window.now, "cutoff": cutoff, "limit": limit}
        )
    ]
    total = len(events)
    if total >= limit:
        total = int(conn.execute(_STUCK_EVENTS_COUNT_SQL, {"cutoff": cutoff}).scalar_one())
    return StuckReport(
        executions=executions,
        events=events,
        events_total=total,
        event_threshold=event_after,
        executions_total=executions_total,
    )


# --------------------------------------------------------------------------- snapshot


@dataclass(frozen=True)
class OverviewParams:
    range_key: str = DEFAULT_RANGE
    workflow_order: str = "failing"
    workflow_limit: int | None = 25  # None: every workflow, ranked
    running_limit: int = 200
    stuck_event_after: timedelta = DEFAULT_STUCK_EVENT_AFTER
    stuck_p95_factor: float = 1.0


@dataclass
class OverviewSnapshot:
    """Everything the Overview shows, read in one go."""

    params: OverviewParams
    window: Window
    buckets: StatusBuckets
    workflows: list[WorkflowStats]
    running: RunningExecutions
    integrations: list[IntegrationHealth]
    queue: EventQueue
    stuck: StuckReport

    @property
    def is_empty(self) -> bool:
        """Nothing at all to show: no executions in the window, none running,
        no integrations, an empty queue."""
        return (
            self.buckets.total == 0
            and self.running.total == 0
            and not self.integrations
            and self.queue.pending == 0
            and self.queue.processing == 0
        )


def server_now(conn: Connection) -> datetime:
    now: datetime = conn.execute(text("SELECT now()")).scalar_one()
    return now


def load_overview(
    conn: Connection,
    params: OverviewParams | None = None,
    *,
    now: datetime | None = None,
    bucket_cache: BucketCache | None = None,
    stats_cache: StatsCache | None = None,
) -> OverviewSnapshot:
    """All panels, against one reference time (the server's clock unless ``now`` is given).

    The caches (kept by the page between refreshes) spare the two costly reads
    of long windows and percentiles; see :class:`BucketCache` and :class:`StatsCache`.
    """
    params = params or OverviewParams()
    now = now or server_now(conn)
    window = make_window(params.range_key, now)
    if stats_cache is not None:
        all_stats = stats_cache.workflow_stats(conn, window)
    else:
        all_stats = workflow_stats(conn, window, limit=None)
    running = running_executions(conn, limit=params.running_limit)
    return OverviewSnapshot(
        params=params,
        window=window,
        buckets=(
            bucket_cache.executions_by_status(conn, window)
            if bucket_cache is not None
            else executions_by_status(conn, window)
        ),
        workflows=rank_workflows(
            all_stats, order=params.workflow_order, limit=params.workflow_limit
        ),
        running=running,
        integrations=integration_health(conn),
        queue=event_queue(conn),
        stuck=stuck(
            conn,
            window,
            running=running,
            p95_by_workflow=p95_map(all_stats),
            event_after=params.stuck_event_after,
            p95_factor=params.stuck_p95_factor,
        ),
    )


__all__ = [
    "DEFAULT_RANGE",
    "TIME_RANGES",
    "BucketCache",
    "EventQueue",
    "IntegrationHealth",
    "OverviewParams",
    "OverviewSnapshot",
    "RunningExecution",
    "RunningExecutions",
    "StatsCache",
    "StatusBuckets",
    "StuckEvent",
    "StuckExecution",
    "StuckReport",
    "TimeRange",
    "Window",
    "WorkflowStats",
    "event_queue",
    "executions_by_status",
    "integration_health",
    "load_overview",
    "make_window",
    "p95_map",
    "rank_workflows",
    "running_executions",
    "stuck",
    "workflow_stats",
]
