"""The tail engine: follow execution logs as they commit, exactly once (no Qt here).

One dedicated psycopg connection per tail, in autocommit mode: it LISTENs on
``autopr_execution_logs`` (a notification only means "look now") and runs the
fetches, each in a short REPEATABLE READ READ ONLY transaction.  Where LISTEN is
not allowed (a read replica, or the server refuses it) the engine polls at
``poll_interval_s``.  A lost connection or a server restart is retried with
backoff; the tail's position (``SnapshotTracker``) survives the reconnect, so it
resumes where it was.  Which lines are new is argued in ``console.tail.tracker``.

The caller supplies ``on_lines`` (batches, in delivery order) and ``on_state``;
both run on the engine's thread.  ``run()`` blocks; ``stop()`` may be called from
any thread.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg import IsolationLevel

from console.db.engine import EngineSettings, raw_connect
from console.db.errors import first_line
from console.tail import sql
from console.tail.lines import TailLine
from console.tail.tracker import DEFAULT_SEEN_CAP, Floor, Snapshot, SnapshotTracker
from models.vocab import EXECUTION_TERMINAL_STATUSES

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NIL_UUID = uuid.UUID(int=0)
TRANSIENT = (psycopg.OperationalError, psycopg.InterfaceError)


@dataclass(frozen=True)
class TailOptions:
    """What to follow and how."""

    execution: uuid.UUID | None = None  # None: every running execution (merged)
    levels: tuple[str, ...] | None = None  # None: every level
    since: datetime | None = None  # history from here; None: whole log (one execution) or none
    history_limit: int | None = None  # only the newest N lines of history (the window)
    listen: bool = True  # False: poll even where LISTEN works (read replicas poll anyway)
    poll_interval_s: float = 1.0
    idle_recheck_s: float = 1.0  # LISTEN mode: look anyway (status changes do not notify)
    clock_margin_s: float = 0.25  # writers stamping a client clock need their skew here
    fallback_lookback_s: float = 300.0  # floor when other sessions are not visible
    max_lookback_s: float | None = 300.0  # cap on how far back a fetch looks (None: no cap)
    drain_grace_s: float = 5.0  # after a terminal status, wait this long at most for writers
    # Rows converted at a time (history and each fetch).  Each row is ~1 KB of Python
    # objects until it is packed: 5,000 at a time left a full window's history read
    # ~10 MiB above its held lines for good (freed objects leave holes in the
    # interpreter's arenas); 1,000 costs a few more round trips a fetch.
    batch_rows: int = 1000
    seen_cap: int = DEFAULT_SEEN_CAP
    backoff_s: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 5.0)
    connect_timeout_s: int = 5
    application_name: str = "autopr-console-tail"

    def session_settings(self) -> EngineSettings:
        """The tail's session: read-only, the engine's lock and idle timeouts, keepalives.

        No statement timeout: a poll is bounded by its keyset and the tail retries on
        its own; a timeout would stop a tail that only met a slow moment.
        """
        return EngineSettings(
            read_only=True, connect_timeout_s=self.connect_timeout_s, statement_timeout_ms=0
        )


TailPhase = Literal["connecting", "live", "reconnecting", "finished", "stopped", "failed"]
TailMode = Literal["listen", "polling"]


@dataclass(frozen=True)
class TailState:
    """What the tail is doing, for the status line."""

    phase: TailPhase
    mode: TailMode = "listen"
    poll_interval_s: float = 1.0
    exact_floor: bool = True  # False: a fixed look-back bounds late commits
    attempt: int = 0
    retry_in_s: float = 0.0
    message: str = ""

    def describe(self) -> str:
        mode = "LISTEN" if self.mode == "listen" else f"polling every {self.poll_interval_s:g} s"
        if self.phase == "reconnecting":
            return f"reconnecting (attempt {self.attempt}, next in {self.retry_in_s:g} s)"
        if self.phase == "live":
            return mode
        return self.message or self.phase


@dataclass(frozen=True)
class Finished:
    """The followed execution reached a terminal status (or vanished)."""

    status: str  # a terminal execution status, or "deleted"
    started_at: datetime | None
    completed_at: datetime | None
    duration: timedelta | None

    def describe(self) -> str:
        from console.tail.lines import utc_stamp

        if self.status == "deleted":
            return "the execution was deleted"
        text = self.status
        if self.duration is not None:
            text += f" in {format_duration(self.duration)}"
        if self.completed_at is not None:
            text += f" (at {utc_stamp(self.completed_at)})"
        return text


class TailError(RuntimeError):
    """The tail cannot go on (not a connection problem); ``str()`` is fit for an operator."""


def format_duration(d: timedelta) -> str:
    """``3m12s``, ``1h02m03s``, ``850ms``."""
    total = d.total_seconds()
    if total < 1:
        return f"{int(total * 1000)}ms"
    secs = round(total)
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m{s:02d}s"
    if m:
        return f"{m}m{s:02d}s"
    return f"{s}s"


@dataclass
class _Drain:
    waiting_for: frozenset[int]
    deadline: float


@dataclass
class _History:
    done: bool = False
    after: tuple[datetime, uuid.UUID] = field(default_factory=lambda: (EPOCH, NIL_UUID))


class TailEngine:
    """Follows one execution, or every running one, on its own connection."""

    def __init__(
        self,
        conninfo: str,
        options: TailOptions,
        on_lines: Callable[[list[TailLine]], None],
        on_state: Callable[[TailState], None] | None = None,
        *,
        listen_allowed: bool = True,
    ) -> None:
        self.conninfo = conninfo
        self.options = options
        self._on_lines = on_lines
        self._on_state = on_state or (lambda state: None)
        self._listen_allowed = listen_allowed
        self._stop = threading.Event()
        self._conn: psycopg.Connection | None = None
        self._tracker = SnapshotTracker(options.seen_cap)
        self._history = _History()
        self._drain: _Drain | None = None
        self._state = TailState("connecting", poll_interval_s=options.poll_interval_s)
        self.finished: Finished | None = None
        self.lines_delivered = 0
        self.fetches = 0

    # ------------------------------------------------------------------ control
    @property
    def state(self) -> TailState:
        return self._state

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self) -> Finished | None:
        """Follow until the execution is terminal (returns it) or ``stop()`` (returns None)."""
        attempt = 0
        self._on_state(self._state)
        try:
            while not self._stop.is_set():
                try:
                    self._connect()
                    attempt = 0
                    if not self._history.done:
                        self._start()
                    self._set_state(phase="live", attempt=0, retry_in_s=0.0, message="")
                    self._fetch()  # what committed while (re)connecting
                    while not self._stop.is_set():
                        if self._drain_finished():
                            return self.finished
                        self._wait()
                        if self._stop.is_set():
                            break
                        self._fetch()
                except TRANSIENT as exc:
                    self._close()
                    if self._stop.is_set():
                        break
                    delay = self.options.backoff_s[min(attempt, len(self.options.backoff_s) - 1)]
                    attempt += 1
                    log.info("tail connection lost (%s); retry %d in %.2f s", exc, attempt, delay)
                    self._set_state(
                        phase="reconnecting",
                        attempt=attempt,
                        retry_in_s=delay,
                        message=first_line(exc),
                    )
                    self._stop.wait(delay)
                except psycopg.Error as exc:
                    self._set_state(phase="failed", message=first_line(exc))
                    raise TailError(first_line(exc)) from exc
            self._set_state(phase="stopped", message="stopped")
            return None
        finally:
            self._close()

    # ------------------------------------------------------------- connection
    def _connect(self) -> None:
        self._set_state(phase="connecting" if not self._tracker.started else "reconnecting")
        conn = raw_connect(
            self.conninfo,
            self.options.session_settings(),
            self.options.application_name,
            autocommit=True,
        )
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        self._conn = conn
        standby = bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])  # type: ignore[index]
        self._tracker.blind = standby
        mode = "polling"
        if self.options.listen and self._listen_allowed and not standby:
            try:
                conn.execute(f"LISTEN {sql.CHANNEL}")
                mode = "listen"
            except TRANSIENT:
                raise
            except psycopg.Error as exc:
                log.info("LISTEN refused (%s): polling", first_line(exc))
        self._set_state(mode=mode)

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a broken one must not mask the cause
                conn.close()

    # ---------------------------------------------------------------- fetching
    def _params(self) -> dict[str, Any]:
        o = self.options
        return {
            "execution": o.execution,
            "levels": list(o.levels) if o.levels else None,
        }

    def _read_floor(self) -> Floor:
        assert self._conn is not None
        o = self.options
        margin = timedelta(seconds=o.clock_margin_s)
        cut_s = None if o.max_lookback_s is None else o.max_lookback_s - o.clock_margin_s
        row = self._conn.execute(sql.FLOOR, {"cut_s": cut_s}).fetchone()
        now, oldest, hidden, standby, long_pids, long_starts = row  # type: ignore[misc]
        exact = not standby and not hidden
        if exact:
            at = min(now, oldest or now) - margin
        else:
            at = now - timedelta(seconds=o.fallback_lookback_s)
        uncapped = at
        capped: tuple[tuple[int, datetime], ...] = ()
        if o.max_lookback_s is not None:
            at = max(at, now - timedelta(seconds=o.max_lookback_s))
            if exact and at > uncapped:
                capped = tuple(zip(long_pids, long_starts, strict=True))
        if exact != self._state.exact_floor:
            self._set_state(exact_floor=exact)
        return Floor(at, exact, capped, uncapped if capped else None)

    def _catch_up_floor(self, conn: psycopg.Connection, floor: Floor) -> datetime | None:
        """Inside the fetch, after its snapshot: the start of the earliest cut-off transaction
        that has ended since the floor was read (its lines may be visible now), if any."""
        if not floor.capped:
            return None
        pids = [pid for pid, _start in floor.capped]
        still = {(pid, start) for pid, start in conn.execute(sql.STILL_OPEN, {"pids": pids})}
        ended = [start for pid, start in floor.capped if (pid, start) not in still]
        if not ended:
            return None
        since = min(ended) - timedelta(seconds=self.options.clock_margin_s)
        log.info("a transaction open since %s ended: this fetch looks back to it", min(ended))
        return since

    def _start(self) -> None:
        """History (once, resumable) and the starting snapshot."""
        conn = self._conn
        assert conn is not None
        o = self.options
        base = self._params()
        floor = self._read_floor()
        with conn.transaction():
            head = conn.execute(sql.HEAD, base).fetchone()
            assert head is not None
            snap = Snapshot.parse(head[0])
            first = not self._tracker.started
            if first:
                # Everything visible now at or past the horizon is history (shown or skipped).
                # Read all of it before touching the tracker: a cut half-way leaves it unstarted.
                seeds = conn.execute(
                    sql.seed(o.execution is not None, bool(o.levels)),
                    {**base, "floor": floor.lowest},
                ).fetchall()
                self._tracker.advance(snap, floor)
                for row_id, xid in seeds:
                    self._tracker.remember(row_id, xid)
            self._stream_history(conn, base)
        self._history.done = True
        self._check_terminal(head, snap)

    def _stream_history(self, conn: psycopg.Connection[Any], base: dict[str, Any]) -> None:
        o = self.options
        since = o.since
        if since is None:
            if o.execution is None:
                return  # following every running execution: only what commits from now on
            since = EPOCH
        after_at, after_id = self._history.after
        params = {**base, "since": since, "after_at": after_at, "after_id": after_id}
        query = sql.history(
            o.execution is not None, bool(o.levels), o.execution is None, o.history_limit
        )
        with conn.cursor(name="autopr_tail_history") as cur:
            cur.execute(query, params)
            while not self._stop.is_set() and (rows := cur.fetchmany(o.batch_rows)):
                # Ordered by key and resumed after the last key delivered: no repeats here.
                # Remembered, so the first fetch does not show them again.
                remember = self._tracker.remember
                lines = []
                for row in rows:
                    remember(row[0], row[9])
                    lines.append(TailLine.from_row(row))
                last = rows[-1]
                self._history.after = (last[3], last[0])
                self._deliver(lines)

    def _fetch(self) -> None:
        conn = self._conn
        assert conn is not None
        o = self.options
        base = self._params()
        floor = self._read_floor()
        query = sql.fetch_new(o.execution is not None, bool(o.levels))
        params = {**base, **self._tracker.params()}
        with conn.transaction():
            head = conn.execute(sql.HEAD, base).fetchone()
            assert head is not None
            snap = Snapshot.parse(head[0])
            assert self._tracker.floor is not None
            since = self._catch_up_floor(conn, self._tracker.floor)
            if since is not None and since < params["floor"]:
                params["floor"] = since
            with conn.cursor(name="autopr_tail_fetch") as cur:
                cur.execute(query, params)
                while rows := cur.fetchmany(o.batch_rows):
                    admit = self._tracker.admit
                    lines = [TailLine.from_row(r) for r in rows if admit(r[0], r[9], r[10])]
                    self._deliver(lines)
        self._tracker.advance(snap, floor)
        self.fetches += 1
        self._check_terminal(head, snap)

    def _deliver(self, lines: list[TailLine]) -> None:
        if lines:
            self.lines_delivered += len(lines)
            self._on_lines(lines)

    # ------------------------------------------------------------- terminal status
    def _check_terminal(self, head: Sequence[Any], snap: Snapshot) -> None:
        if self.options.execution is None or self.finished is not None:
            return
        _snap, status, started_at, completed_at, now = head
        if status is None:
            self.finished = Finished("deleted", None, None, None)
            return
        if status not in EXECUTION_TERMINAL_STATUSES:
            self._drain = None
            return
        if self._drain is None:
            # Transactions still open may yet commit lines: wait until this tail has seen them end.
            self._drain = _Drain(frozenset(snap.xip), time.monotonic() + self.options.drain_grace_s)
        pending = {x for x in self._drain.waiting_for if not snap.sees(x)}
        if not pending or time.monotonic() >= self._drain.deadline:
            end = completed_at or now
            duration = end - started_at if started_at is not None else None
            self.finished = Finished(status, started_at, completed_at, duration)

    def _drain_finished(self) -> bool:
        if self.finished is None:
            return False
        self._set_state(phase="finished", message=self.finished.describe())
        return True

    # ------------------------------------------------------------------ waiting
    def _wait(self) -> None:
        """Until a notification, the poll interval, or a shorter step while draining."""
        o = self.options
        conn = self._conn
        assert conn is not None
        listening = self._state.mode == "listen"
        timeout = o.idle_recheck_s if listening else o.poll_interval_s
        if self._drain is not None:
            timeout = min(timeout, 0.05)
        deadline = time.monotonic() + timeout
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if not listening:
                self._stop.wait(min(left, 0.2))
                continue
            got = False
            for _n in conn.notifies(timeout=min(left, 0.2), stop_after=1):
                got = True
            if got:
                # Fold the notifications queued meanwhile into this one look.
                for _n in conn.notifies(timeout=0.0):
                    pass
                return

    # ------------------------------------------------------------------ state
    def _set_state(self, **changes: Any) -> None:
        new = replace(self._state, **changes)
        if new != self._state:
            self._state = new
            self._on_state(new)
