"""Reads from a streaming replica, writes to the primary.

A profile may name replicas (``replica_url``, or ``replica_service``: libpq
services from pg_service.conf).  The console then has two
engines: :attr:`Database.engine`, the primary, for writes, the read-before-write
of actions and migrations; and the replica for what only reads (table pages,
details, the Overview, search, exports, the live tail).  :class:`ReadRouter`
decides per read which one answers: the replica while it is reachable and its
replay lag is under the threshold (``replica_max_lag_s``, default 10 s),
otherwise the primary, and :meth:`ReadRouter.source` says which and why, for
the banner.

When the primary cannot be reached but the replica can, the profile still
opens: read-only, reading the replica, saying why (:func:`open_replica_only`).

Replay lag is measured on the replica: zero when everything received has been
replayed, else the age of the last replayed transaction (an idle primary sends
nothing, so the timestamp alone would grow without any lag).

Read-your-writes: after a transaction commits on the primary (an action, a
retention run) the router records the primary's WAL insert position
(:func:`track_commits`).  A read that follows it goes to the replica only once
the replica's ``pg_last_wal_replay_lsn()`` has passed that position: it waits a
moment for the replay (``read_your_writes_wait_s``, at most the lag threshold)
and otherwise reads from the primary, so a page refreshed after an action never
shows the state from before it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from console.db.engine import EngineSettings, make_engine
from console.db.ssh_errors import TunnelFailed
from console.db.urls import libpq_conninfo, normalize_url, redact

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from console.db.connection import Database
    from console.db.tunnel import SSHTunnel
    from console.profiles import Profile

log = logging.getLogger(__name__)

DEFAULT_MAX_LAG_S = 10.0
CHECK_EVERY_S = 2.0
# How long a read after a write waits for the replica to replay it before asking the primary.
READ_YOUR_WRITES_WAIT_S = 1.0
_COMMITTED = "autopr_committed"  # connection-record flag: a transaction committed on it

LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_receive_lsn() IS NOT NULL
                 AND pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
            ELSE coalesce(extract(epoch FROM clock_timestamp()
                                  - pg_last_xact_replay_timestamp()), 0)
       END::float8
"""


@dataclass(frozen=True)
class ReadSource:
    """Which server answers reads, and why."""

    server: str  # "replica" | "primary"
    lag_s: float | None = None  # the replica's replay lag when it was last measured
    reason: str = ""  # why the primary answers although a replica is configured

    def text(self) -> str:
        if self.server == "replica":
            lag = f", lag {self.lag_s:.1f} s" if self.lag_s is not None else ""
            why = f" ({self.reason})" if self.reason else ""
            return f"reads: replica{lag}{why}"
        return f"reads: primary ({self.reason})" if self.reason else "reads: primary"


def parse_lsn(value: str) -> int:
    """``'16/B374D848'`` as a number (LSNs compare as 64-bit positions)."""
    high, _, low = str(value).partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def track_commits(engine: Engine, note: Callable[[int], None]) -> None:
    """After each commit on ``engine`` (the primary), tell ``note`` the WAL position it reached.

    The position is read when the connection goes back to the pool, after the commit:
    ``pg_current_wal_insert_lsn()`` is then at or past the commit record.
    """

    def committed(conn: Connection) -> None:
        conn.info[_COMMITTED] = True

    def checkin(dbapi_conn: Any, record: Any) -> None:
        if dbapi_conn is None or not record.info.pop(_COMMITTED, False):
            return
        try:
            row = dbapi_conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
            dbapi_conn.rollback()
        except Exception as exc:  # a broken connection is discarded by the pool anyway
            log.info("could not read the primary's WAL position after a commit: %s", exc)
            return
        note(parse_lsn(row[0]))

    event.listen(engine, "commit", committed)
    event.listen(engine, "checkin", checkin)


def replay_lsn(conn: Connection) -> int | None:
    """How far the replica has replayed (None on a server that is not a standby)."""
    value = conn.execute(text("SELECT pg_last_wal_replay_lsn()::text")).scalar()
    return parse_lsn(value) if value is not None else None


def measure_lag(engine: Engine) -> float:
    """The replica's replay lag in seconds (0 for a server that is not a standby)."""
    with engine.connect() as conn:
        _recovery, lag = conn.execute(text(LAG_SQL)).one()
    return max(0.0, float(lag or 0.0))


class ReadRouter:
    """Chooses the engine that answers a read; re-checks the replicas every few seconds.

    With several replicas, the reachable one with the least lag answers (under
    the threshold); with none in time, the primary.
    """

    def __init__(
        self,
        primary: Engine | None,
        replica: Engine,
        replica_url: URL,
        *,
        more: Sequence[tuple[URL, Engine]] = (),
        max_lag_s: float = DEFAULT_MAX_LAG_S,
        check_every_s: float = CHECK_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
        primary_down_reason: str = "",
        read_your_writes_wait_s: float = READ_YOUR_WRITES_WAIT_S,
    ) -> None:
        self.primary = primary
        self.replicas: list[tuple[URL, Engine]] = [(replica_url, replica), *more]
        self._chosen = 0
        self.max_lag_s = max_lag_s
        self.check_every_s = check_every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._source = ReadSource("replica")
        self.primary_down_reason = primary_down_reason
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.read_your_writes_wait_s = min(read_your_writes_wait_s, max_lag_s)
        self.tunnels: list[SSHTunnel] = []  # one per replica behind a bastion
        self._written_lsn: int | None = None  # the primary's position after our last commit
        self._replayed: dict[int, int] = {}  # replica index -> replay position last seen

    @property
    def replica(self) -> Engine:
        """The replica that answers (the one chosen by the last check)."""
        return self.replicas[self._chosen][1]

    @property
    def replica_url(self) -> URL:
        return self.replicas[self._chosen][0]

    @property
    def replica_conninfo(self) -> str:
        return libpq_conninfo(self.replica_url)

    def describe_replica(self) -> str:
        names = [redact(url) for url, _e in self.replicas]
        if len(names) == 1:
            return names[0]
        return f"{names[self._chosen]} (of {len(names)} replicas: {', '.join(names)})"

    def source(self) -> ReadSource:
        """What the last check decided; never waits for a server (safe on the GUI thread).

        Without a checker thread (:meth:`start`), a check older than ``check_every_s``
        is repeated first.
        """
        if self._thread is None:
            with self._lock:
                stale = self._checked_at is None or (
                    self._clock() - self._checked_at >= self.check_every_s
                )
            if stale:
                self.check()
        return self._source

    def start(self) -> None:
        """Check once now, then every ``check_every_s`` on a daemon thread."""
        self.check()
        self._thread = threading.Thread(target=self._loop, name="replica-check", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.check_every_s):
            try:
                self.check()
            except Exception as exc:  # never let the checker die silently with a stale answer
                log.warning("replica check failed: %s", exc)

    def _lags(self) -> list[float | None]:
        lags: list[float | None] = []
        for url, engine in self.replicas:
            try:
                lags.append(measure_lag(engine))
            except (DBAPIError, TunnelFailed) as exc:
                log.info("replica %s unreachable: %s", redact(url), exc)
                lags.append(None)
        return lags

    def check(self) -> ReadSource:
        lags = self._lags()
        reachable = [(lag, i) for i, lag in enumerate(lags) if lag is not None]
        chosen = min(reachable)[1] if reachable else self._chosen
        best = lags[chosen]
        some = "replica" if len(self.replicas) == 1 else "replicas"
        if self.primary is None:  # nothing to fall back to: a replica answers, whatever lag
            src = ReadSource("replica", best, self.primary_down_reason)
        elif best is None:
            src = ReadSource("primary", None, f"{some} unreachable")
        elif best > self.max_lag_s:
            src = ReadSource(
                "primary", best, f"{some} {best:.0f} s behind, over {self.max_lag_s:g} s"
            )
        else:
            src = ReadSource("replica", best)
        with self._lock:
            self._chosen = chosen
            self._source = src
            self._checked_at = self._clock()
        return src

    def note_commit(self, lsn: int) -> None:
        """A transaction of ours committed on the primary at ``lsn``: later reads must see it."""
        with self._lock:
            if self._written_lsn is None or lsn > self._written_lsn:
                self._written_lsn = lsn

    def has_replayed_our_writes(self, wait_s: float | None = None) -> bool:
        """Whether the chosen replica has replayed our last commit, waiting up to ``wait_s``."""
        with self._lock:
            target, index = self._written_lsn, self._chosen
            seen = self._replayed.get(index, -1)
        if target is None or seen >= target:
            return True
        wait_s = self.read_your_writes_wait_s if wait_s is None else wait_s
        deadline = time.monotonic() + wait_s
        try:
            with self.replicas[index][1].connect() as conn:
                while True:
                    replayed = replay_lsn(conn)
                    conn.rollback()
                    if replayed is not None:
                        with self._lock:
                            self._replayed[index] = max(self._replayed.get(index, -1), replayed)
                        if replayed >= target:
                            return True
                    if time.monotonic() >= deadline:
                        return False
                    time.sleep(0.01)
        except (DBAPIError, TunnelFailed) as exc:
            log.info("replica replay position unknown: %s", exc)
            return False

    def read_engine(self, *, wait_for_writes: bool = True) -> Engine:
        """The engine for the next read; after our own writes, one that has them.

        ``wait_for_writes=False`` never touches a server (attribute look-ups on the
        GUI thread); a read itself waits, briefly, for the replica to replay our writes.
        """
        src = self.source()
        if self.primary is None:
            return self.replica
        if src.server != "replica":
            return self.primary
        if wait_for_writes and not self.has_replayed_our_writes():
            return self.primary
        return self.replica

    def read_conninfo(self, primary_conninfo: str) -> str:
        """A libpq conninfo for raw reads (the tail): the replica's when it answers."""
        src = self.source()
        if src.server == "replica" or self.primary is None:
            return self.replica_conninfo
        return primary_conninfo

    def dispose(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.check_every_s + 1)
        for _url, engine in self.replicas:
            engine.dispose()
        for tunnel in self.tunnels:
            tunnel.close()


def replica_url_for(text_url: str, password: str | None) -> URL:
    url = normalize_url(text_url)
    if password and not url.password:
        url = url.set(password=password)
    return url


def replica_engine(url: URL, settings: EngineSettings) -> Engine:
    # Reads only: read-only transactions whatever the environment.
    return make_engine(
        url, replace(settings, read_only=True, application_name="autopr-console-replica")
    )


def attach_router(db: Database, password: str | None, settings: EngineSettings) -> None:
    """Give an opened primary ``db`` its replica router (lazy engines: no connection yet)."""
    urls = [replica_url_for(u, password) for u in db.profile.replica_targets]
    if not urls:
        return
    engines: list[tuple[URL, Engine]] = []
    tunnels: list[SSHTunnel] = []
    for url in urls:
        if db.tunnel is None:
            engines.append((url, replica_engine(url, settings)))
            continue
        # Through the primary's bastion, each replica on its own forward.
        from console.db.tunnel import bind_to_engine, replica_tunnel_url

        url, tunnel = replica_tunnel_url(db.profile, url)
        tunnels.append(tunnel)
        engine = replica_engine(url, settings)
        bind_to_engine(engine, tunnel)
        engines.append((url, engine))
    router = ReadRouter(
        db.engine,
        engines[0][1],
        engines[0][0],
        more=engines[1:],
        max_lag_s=float(db.profile.replica_max_lag_s),
    )
    router.tunnels = tunnels
    db.replica = router
    track_commits(db.engine, router.note_commit)
    router.start()


def open_replica_only(
    profile: Profile,
    primary_error: Exception,
    password: str | None,
    opener: Callable[..., Database],
) -> Database:
    """The primary is down: open a replica read-only, saying why; re-raise if none answers.

    ``opener`` is :func:`console.db.connection.open_database` (passed in to avoid a cycle).
    """
    from console.profiles import Profile

    for text_url in profile.replica_targets:
        standby = Profile(
            name=profile.name,
            environment=profile.environment,
            url=text_url,
            connect_timeout_s=profile.connect_timeout_s,
            statement_timeout_ms=profile.statement_timeout_ms,
            ssh=profile.ssh,  # through the same bastion as the primary, never around it
            ssh_key=profile.ssh_key,
            ssh_config=profile.ssh_config,
        )
        try:
            db = opener(standby, password=password, confirm_migrations=None)
        except Exception as exc:
            log.info("replica %s does not answer either: %s", text_url, exc)
            continue
        db.profile = profile
        db.read_only = True
        db.read_only_reason = (
            f"the primary cannot be reached ({primary_error}); reading from the replica "
            f"{redact(db.url)}, nothing can be changed"
        )
        router = ReadRouter(
            None,
            db.engine,
            db.url,
            max_lag_s=float(profile.replica_max_lag_s),
            primary_down_reason="primary unreachable",
        )
        db.replica = router
        router.start()
        return db
    raise primary_error


class RoutedEngine:
    """Engine-like handle for readers: each ``connect()`` goes where the router says now.

    Pages keep one engine for their lifetime; through this handle their reads move
    to the primary when the replica lags or vanishes, and back when it recovers.
    """

    def __init__(self, router: ReadRouter) -> None:
        self._router = router

    def connect(self) -> Connection:
        return self._router.read_engine().connect()

    def begin(self) -> AbstractContextManager[Connection]:
        return self._router.read_engine().begin()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._router.read_engine(wait_for_writes=False), name)
