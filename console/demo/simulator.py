"""A stand-in for the AutoPR Engine: keeps executions, logs, health and events moving.

It writes the way the engine would: short transactions on its own connection
(``application_name='autopr-demo-simulator'``), one INSERT per tick for all the
log lines due (so one NOTIFY per tick), executions going pending → running →
completed / failed / timeout, failed ones sometimes retried as a child
execution, integration health flipping, and new events drained through the queue.

It only ever touches rows it created, each marked and every statement filtered
on the mark: its own workflows and integrations (``config.demo_simulator``),
executions (``trigger_data.source`` and ``trigger_data.simulator_run``) and
events (``payload.source``).  Nobody else's workflow gets an execution, no other
integration's health changes, no real event is drained.  Executions still
pending or running when it stops (or left by a simulator that died) are
cancelled, so none is left hanging.  It writes only where the write guard allows
demo data (local and dev).
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from console.actions.guard import WriteGuard
from console.db.engine import maintenance_connect
from console.db.errors import first_line
from models.vocab import HEALTH_STATUSES, LOG_LEVELS

log = logging.getLogger(__name__)

APPLICATION_NAME = "autopr-demo-simulator"
SOURCE = "demo-simulator"  # trigger_data.source of its executions, payload.source of its events
MARK = "demo_simulator"  # config key marking its workflows and integrations

# The simulator's own workflows: (name, [(action_type, action_name), ...]).
SIM_WORKFLOWS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Simulated: Build and Test", (("checkout", "Checkout"), ("test", "Run tests"))),
    (
        "Simulated: Deploy Preview",
        (("build", "Build image"), ("deploy", "Deploy preview"), ("verify", "Smoke test")),
    ),
    ("Simulated: PR Review", (("analyze", "Analyze diff"), ("notify", "Post review"))),
    ("Simulated: Nightly Scan", (("scan", "Dependency scan"), ("report", "Write report"))),
)
SIM_INTEGRATIONS: tuple[tuple[str, str], ...] = (
    ("Simulated GitHub", "github"),
    ("Simulated Slack", "slack"),
    ("Simulated Sentry", "sentry"),
)

MESSAGES: dict[str, tuple[str, ...]] = {
    "DEBUG": ("Resolved step config", "Cache hit for dependencies", "Spawned runner process"),
    "INFO": (
        "Step started",
        "Fetched repository at {sha}",
        "Running {n} tests",
        "Uploaded artifact ({n} KiB)",
        "Waiting for rollout: {n}/5 pods ready",
        "Step finished in {n}s",
    ),
    "WARNING": ("Retrying request after HTTP 429", "Slow response from registry: {n}ms"),
    "ERROR": ("Health check failed for pod web-{n}", "Command exited with status 1"),
    "CRITICAL": ("Error budget exhausted, rolling back",),
}


@dataclass(frozen=True)
class SimulatorSettings:
    tick_s: float = 0.25
    max_concurrent: int = 4
    lines_per_second: float = 3.0  # per running execution
    min_duration_s: float = 8.0
    max_duration_s: float = 40.0
    pending_s: float = 1.0  # how long a new execution waits before it runs
    retry_probability: float = 0.5
    health_every_s: float = 4.0
    event_every_s: float = 1.5
    seed: int | None = None


@dataclass
class SimulatorStats:
    started: int = 0
    finished: int = 0
    retried: int = 0
    log_lines: int = 0
    events_created: int = 0
    events_processed: int = 0
    health_updates: int = 0
    errors: int = 0
    last_error: str | None = None


@dataclass
class _Run:
    id: uuid.UUID
    execution_id: str
    workflow_id: uuid.UUID
    actions: list[tuple[uuid.UUID, str]]  # (action id, step name)
    retry_count: int
    created: float
    duration: float
    outcome: str
    running_since: float | None = None
    lines_due: float = 0.0
    line_no: int = 0
    parent: _Run | None = None


@dataclass
class _Catalog:
    workflows: list[tuple[uuid.UUID, list[tuple[uuid.UUID, str]]]] = field(default_factory=list)
    integrations: list[uuid.UUID] = field(default_factory=list)


class SimulatorError(RuntimeError):
    """The simulator cannot run here (none of its workflows could be made active)."""


class DemoSimulator:
    """Runs in a background thread between :meth:`start` and :meth:`stop`.

    ``guard`` is the write guard of the database behind ``conninfo``: the simulator
    refuses to start unless it allows demo data (local and dev only).
    """

    def __init__(
        self,
        conninfo: str,
        settings: SimulatorSettings | None = None,
        *,
        guard: WriteGuard,
    ) -> None:
        self.conninfo = conninfo
        self.guard = guard
        self.run_id = str(uuid.uuid4())  # trigger_data.simulator_run of this run's executions
        self.settings = settings or SimulatorSettings()
        self.stats = SimulatorStats()
        self._rng = random.Random(self.settings.seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._runs: dict[uuid.UUID, _Run] = {}
        self._retry_queue: list[_Run] = []
        self._catalog = _Catalog()
        self._conn: psycopg.Connection | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Ask the guard, connect, make its own rows, then run in a daemon thread."""
        if self._thread is not None:
            return
        self.guard.check_demo()
        self._connect()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="demo-simulator", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread, cancel executions it left running, close the connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- connection -----------------------------------------------------------------------
    def _connect(self) -> None:
        if self._conn is not None and not self._conn.closed:
            return
        self._conn = self._open()
        self._load_catalog()

    def _open(self) -> psycopg.Connection:
        return maintenance_connect(self.conninfo, APPLICATION_NAME, connect_timeout_s=5)

    def _close(self) -> None:
        """Cancel what this run left pending/running (on a new connection if need be), close."""
        conn, self._conn = self._conn, None
        try:
            if conn is None or conn.closed:
                if not self.stats.started:
                    return
                conn = self._open()
            self._cancel_leftovers(conn)
        except psycopg.Error as exc:
            log.warning("could not cancel running demo executions: %s", exc)
        finally:
            if conn is not None:
                conn.close()

    def _load_catalog(self) -> None:
        """Make (once) and load the simulator's own workflows and integrations."""
        conn = self._conn
        assert conn is not None
        with conn.transaction():
            self._cancel_orphans(conn)
            for name, steps in SIM_WORKFLOWS:
                made = conn.execute(
                    "INSERT INTO workflows (name, description, status, config, created_by) "
                    "VALUES (%s, 'Made by the demo simulator', 'active', %s, %s) "
                    "ON CONFLICT (name) DO NOTHING RETURNING id",
                    (name, Jsonb({MARK: True, "max_retries": 3, "timeout_seconds": 60}), SOURCE),
                ).fetchone()
                if made is None:
                    continue  # it exists: its actions too
                for order, (atype, aname) in enumerate(steps):
                    conn.execute(
                        "INSERT INTO workflow_actions (workflow_id, action_type, action_name, "
                        "config, order_index) VALUES (%s, %s, %s, %s, %s)",
                        (made[0], atype, aname, Jsonb({MARK: True}), order),
                    )
            for name, itype in SIM_INTEGRATIONS:
                conn.execute(
                    "INSERT INTO integrations (name, type, config, enabled, health_status) "
                    "VALUES (%s, %s, %s, true, 'healthy') ON CONFLICT (name) DO NOTHING",
                    (name, itype, Jsonb({MARK: True})),
                )
        # Selected by the mark, never by name: a real row of the same name is left alone.
        rows = conn.execute(
            "SELECT w.id, a.id, a.action_type FROM workflows w "
            "LEFT JOIN workflow_actions a ON a.workflow_id = w.id "
            f"WHERE w.status = 'active' AND w.config->>'{MARK}' = 'true' "
            "ORDER BY w.name, a.order_index"
        ).fetchall()
        by_wf: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
        for wf_id, action_id, action_type in rows:
            wf_steps = by_wf.setdefault(wf_id, [])
            if action_id is not None:
                wf_steps.append((action_id, action_type))
        if not by_wf:
            raise SimulatorError(
                "none of the simulator's own workflows is active (they are named "
                "'Simulated: …'); activate one or remove them to have them made again"
            )
        self._catalog.workflows = list(by_wf.items())
        self._catalog.integrations = [
            r[0]
            for r in conn.execute(
                f"SELECT id FROM integrations WHERE config->>'{MARK}' = 'true' ORDER BY name"
            )
        ]

    def _cancel_orphans(self, conn: psycopg.Connection) -> None:
        """Cancel simulated executions left pending/running by a simulator that is gone."""
        others = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
            "AND datname = current_database() AND pid <> pg_backend_pid()",
            (APPLICATION_NAME,),
        ).fetchone()
        if others and others[0]:
            return  # another simulator runs here: its executions are its own business
        conn.execute(
            "UPDATE workflow_executions SET status = 'cancelled', "
            "completed_at = greatest(clock_timestamp(), started_at), "
            "error_message = 'Cancelled: demo simulator stopped' "
            "WHERE trigger_data->>'source' = %s AND status IN ('pending', 'running') "
            "AND trigger_data->>'simulator_run' IS DISTINCT FROM %s",
            (SOURCE, self.run_id),
        )

    # -- main loop ------------------------------------------------------------------------
    def _loop(self) -> None:
        s = self.settings
        next_health = time.monotonic() + s.health_every_s / 2
        next_event = time.monotonic()
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                if self._conn is None or self._conn.closed:
                    self._connect()
                self._tick(began)
                if began >= next_health:
                    self._update_health()
                    next_health = began + s.health_every_s
                if began >= next_event:
                    self._move_events()
                    next_event = began + s.event_every_s
            except psycopg.Error as exc:
                self.stats.errors += 1
                self.stats.last_error = first_line(exc)
                log.warning("demo simulator: %s", self.stats.last_error)
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                self._stop.wait(1.0)
                continue
            except Exception as exc:  # a bug, not the database: say so and stop
                self.stats.errors += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("demo simulator stopped on an unexpected error")
                return
            self._stop.wait(max(0.0, s.tick_s - (time.monotonic() - began)))

    def _tick(self, now: float) -> None:
        s = self.settings
        conn = self._conn
        assert conn is not None
        # new executions (retries first)
        while len(self._runs) < s.max_concurrent:
            run = self._retry_queue.pop(0) if self._retry_queue else self._new_run(now)
            self._insert_pending(conn, run, now)
        # pending -> running
        for run in self._runs.values():
            if run.running_since is None and now - run.created >= s.pending_s:
                with conn.transaction():
                    conn.execute(
                        "UPDATE workflow_executions SET status = 'running', started_at = now() "
                        "WHERE id = %s AND status = 'pending' AND trigger_data->>'source' = %s",
                        (run.id, SOURCE),
                    )
                run.running_since = now
        # log lines for every running execution, one statement
        lines: list[tuple[Any, ...]] = []
        for run in self._runs.values():
            if run.running_since is None:
                continue
            run.lines_due += s.tick_s * s.lines_per_second * self._rng.uniform(0.3, 1.7)
            while run.lines_due >= 1:
                run.lines_due -= 1
                lines.append(self._line(run, now))
        if lines:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO execution_logs (execution_id, level, message, log_metadata, "
                    "action_id, step_name, created_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, clock_timestamp())",
                    lines,
                )
            self.stats.log_lines += len(lines)
        # finish
        for run in list(self._runs.values()):
            if run.running_since is not None and now - run.running_since >= run.duration:
                self._finish(conn, run)

    # -- executions -----------------------------------------------------------------------
    def _new_run(self, now: float, parent: _Run | None = None) -> _Run:
        s = self.settings
        rng = self._rng
        if parent is None:
            wf_id, actions = rng.choice(self._catalog.workflows)
            retry = 0
        else:
            wf_id, actions, retry = parent.workflow_id, parent.actions, parent.retry_count + 1
        outcome = rng.choices(("completed", "failed", "timeout"), weights=(70, 22, 8))[0]
        return _Run(
            id=uuid.uuid4(),
            execution_id="",
            workflow_id=wf_id,
            actions=actions,
            retry_count=retry,
            created=now,
            duration=rng.uniform(s.min_duration_s, s.max_duration_s),
            outcome=outcome,
            parent=parent,
        )

    def _insert_pending(self, conn: psycopg.Connection, run: _Run, now: float) -> None:
        parent = run.parent
        trigger_type = "manual" if parent else self._rng.choice(("event", "schedule", "webhook"))
        trigger_data: dict[str, Any] = {"source": SOURCE, "simulator_run": self.run_id}
        if parent is not None:
            trigger_data["retry_of"] = parent.execution_id
            trigger_data["attempt"] = run.retry_count + 1
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO workflow_executions (id, workflow_id, status, retry_count, "
                "parent_execution_id, trigger_type, trigger_data) "
                "VALUES (%s, %s, 'pending', %s, %s, %s, %s) RETURNING execution_id",
                (
                    run.id,
                    run.workflow_id,
                    run.retry_count,
                    parent.id if parent else None,
                    trigger_type,
                    Jsonb(trigger_data),
                ),
            ).fetchone()
        run.execution_id = row[0] if row else ""
        run.created = now
        self._runs[run.id] = run
        self.stats.started += 1

    def _line(self, run: _Run, now: float) -> tuple[Any, ...]:
        rng = self._rng
        run.line_no += 1
        level = rng.choices(LOG_LEVELS, weights=(20, 65, 10, 4, 1))[0]
        action_id, step = None, None
        if run.actions:
            frac = min(0.999, (now - (run.running_since or now)) / max(run.duration, 0.1))
            action_id, step = run.actions[int(frac * len(run.actions))]
        message = rng.choice(MESSAGES[level]).format(
            n=rng.randint(1, 500), sha=f"{rng.getrandbits(28):07x}"
        )
        meta = {"line": run.line_no, "runner": "sim-runner-1"}
        return (run.id, level, message, Jsonb(meta), action_id, step)

    def _finish(self, conn: psycopg.Connection, run: _Run) -> None:
        rng = self._rng
        error = None
        result: dict[str, Any] | None = None
        if run.outcome == "completed":
            result = {"deployed_version": f"v1.{rng.randint(0, 9)}.{rng.randint(0, 30)}"}
            last = ("INFO", "Execution completed")
        elif run.outcome == "failed":
            error = rng.choice(
                ("Test suite failed: 2 tests failed", "HTTP 502 from api.github.com")
            )
            result = {"failed_step": run.actions[-1][1] if run.actions else None}
            last = ("ERROR", error)
        else:
            error = f"Execution exceeded timeout of {int(run.duration)}s"
            last = ("ERROR", error)
        with conn.transaction():
            conn.execute(
                "INSERT INTO execution_logs (execution_id, level, message, log_metadata, "
                "step_name, created_at) VALUES (%s, %s, %s, %s, 'finish', clock_timestamp())",
                (run.id, last[0], last[1], Jsonb({"line": run.line_no + 1})),
            )
            conn.execute(
                "UPDATE workflow_executions SET status = %s, "
                "completed_at = greatest(clock_timestamp(), started_at), "
                "result = %s, error_message = %s WHERE id = %s AND status = 'running' "
                "AND trigger_data->>'source' = %s",
                (
                    run.outcome,
                    Jsonb(result) if result is not None else None,
                    error,
                    run.id,
                    SOURCE,
                ),
            )
        self.stats.log_lines += 1
        self.stats.finished += 1
        del self._runs[run.id]
        if (
            run.outcome != "completed"
            and run.retry_count < 3
            and rng.random() < self.settings.retry_probability
        ):
            self._retry_queue.append(self._new_run(time.monotonic(), parent=run))
            self.stats.retried += 1

    def _cancel_leftovers(self, conn: psycopg.Connection) -> None:
        """Cancel every execution of this run still pending or running (tracked or not)."""
        with conn.transaction():
            conn.execute(
                "UPDATE workflow_executions SET status = 'cancelled', "
                "completed_at = greatest(clock_timestamp(), started_at), "
                "error_message = 'Cancelled: demo simulator stopped' "
                "WHERE trigger_data->>'source' = %s AND trigger_data->>'simulator_run' = %s "
                "AND status IN ('pending', 'running')",
                (SOURCE, self.run_id),
            )
        self._runs.clear()
        self._retry_queue.clear()

    # -- integrations ---------------------------------------------------------------------
    def _update_health(self) -> None:
        conn = self._conn
        assert conn is not None
        if not self._catalog.integrations:
            return
        target = self._rng.choice(self._catalog.integrations)
        health = self._rng.choices(HEALTH_STATUSES[:3], weights=(80, 15, 5))[0]
        with conn.transaction():
            conn.execute(
                "UPDATE integrations SET health_status = %s, last_health_check = now(), "
                f"updated_at = now() WHERE id = %s AND config->>'{MARK}' = 'true'",
                (health, target),
            )
        self.stats.health_updates += 1

    def _move_events(self) -> None:
        conn = self._conn
        assert conn is not None
        rng = self._rng
        if not self._catalog.integrations:
            return
        with conn.transaction():
            # only its own events (its integrations, its payload mark) move through the queue
            own = (
                "SELECT id FROM integration_events WHERE integration_id = ANY(%s) "
                "AND payload->>'source' = %s AND status = %s ORDER BY created_at LIMIT 2 "
                "FOR UPDATE SKIP LOCKED"
            )
            mine = self._catalog.integrations
            done = rng.choices(("completed", "failed", "ignored"), weights=(85, 10, 5))[0]
            cur = conn.execute(
                "UPDATE integration_events SET status = %s, processed_at = now(), "
                "error_message = CASE WHEN %s = 'failed' THEN 'HTTP 500 from receiver' END, "
                "retry_count = retry_count + CASE WHEN %s = 'failed' THEN 1 ELSE 0 END "
                f"WHERE id IN ({own})",
                (done, done, done, mine, SOURCE, "processing"),
            )
            self.stats.events_processed += max(cur.rowcount, 0)
            conn.execute(
                f"UPDATE integration_events SET status = 'processing' WHERE id IN ({own})",
                (mine, SOURCE, "pending"),
            )
            for _ in range(rng.randint(1, 2)):
                conn.execute(
                    "INSERT INTO integration_events (integration_id, event_type, event_id, "
                    "payload) VALUES (%s, %s, %s, %s)",
                    (
                        rng.choice(self._catalog.integrations),
                        rng.choice(("push", "pull_request.opened", "issue.created")),
                        f"sim-{rng.getrandbits(32):08x}",
                        Jsonb(
                            {"source": SOURCE, "repository": "codeflow-engine", "branch": "main"}
                        ),
                    ),
                )
                self.stats.events_created += 1
