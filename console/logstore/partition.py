"""Turn ``execution_logs`` into a table range-partitioned by month on ``created_at``, online.

The existing rows are never copied.  The plain table becomes the first
partition, ``execution_logs_legacy``, covering everything before the end of
the current month (``FROM (MINVALUE) TO (<next month>)``):

1. ``CREATE UNIQUE INDEX CONCURRENTLY`` on ``(id, created_at)`` — the key the
   partitioned parent needs; no lock that blocks reads or writes.
2. ``ADD CONSTRAINT … CHECK (created_at < <bound>) NOT VALID`` — an exclusive
   lock for milliseconds (no scan); then ``VALIDATE CONSTRAINT`` scans under
   ``SHARE UPDATE EXCLUSIVE``, which lets the engine read and write meanwhile.
3. One short transaction under ``ACCESS EXCLUSIVE``: rename the table and its
   indexes, swap its primary key for the new index, create the partitioned
   parent with the same columns, CHECKs, foreign keys, indexes, triggers,
   owner and grants, ``ATTACH`` the old table (the validated CHECK proves the
   partition bound, so PostgreSQL skips the scan; indexes and foreign keys
   match and are attached, not built), add a default partition and the months
   ahead.

Every exclusive step runs with ``lock_timeout`` and is retried, so it never
queues in front of the engine behind a long transaction; the time each lock
was held is measured and reported.  Run again, it only adds the months ahead
(moving matching rows out of the default partition first if any landed there).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from console.actions.context import ActionContext

from console.db.engine import EngineSettings, raw_connect
from console.logstore.layout import (
    DEFAULT,
    LEGACY,
    TABLE,
    Layout,
    add_months,
    connect,
    month_name,
    month_start,
    one,
    read_layout,
)

APPLICATION_NAME = "autopr-console logs partition"
Statement = sql.SQL | sql.Composed  # what psycopg executes (a Composable may be a bare part)
RANGE_CHECK = "execution_logs_partition_range"
NEW_KEY_INDEX = "execution_logs_id_created_at_idx"
LOCK_TIMEOUT_MS = 2_000
LOCK_ATTEMPTS = 30
Progress = Callable[[str], None]


class PartitionError(RuntimeError):
    """The table cannot be partitioned as asked (the message says why)."""


@dataclass(frozen=True)
class LockHold:
    step: str
    waited_s: float
    held_s: float
    mode: str = "ACCESS EXCLUSIVE"


@dataclass
class PartitionReport:
    converted: bool = False
    created: list[str] = field(default_factory=list)
    moved_rows: int = 0
    locks: list[LockHold] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)
    legacy_upper: datetime | None = None

    @property
    def longest_exclusive(self) -> LockHold | None:
        exclusive = [h for h in self.locks if h.mode == "ACCESS EXCLUSIVE"]
        return max(exclusive, key=lambda h: h.held_s, default=None)


@dataclass(frozen=True)
class _Catalog:
    """What the parent must copy from the plain table, read before it is renamed."""

    owner: str
    pkey: str
    foreign_keys: list[tuple[str, str]]
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX … ON public.execution_logs …)
    triggers: list[tuple[str, str]]
    grants: list[tuple[str, str]]  # (privilege, grantee or PUBLIC)


def _read_catalog(conn: psycopg.Connection) -> _Catalog:
    t = {"t": TABLE}
    owner = one(
        conn.execute(
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass(%(t)s)", t
        )
    )[0]
    pkey = conn.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%(t)s) AND contype = 'p'",
        t,
    ).fetchone()
    constraints = conn.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%(t)s) AND contype = 'f' ORDER BY conname",
        t,
    ).fetchall()
    indexes = conn.execute(
        "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class c ON c.oid = x.indexrelid "
        "WHERE x.indrelid = to_regclass(%(t)s) AND c.relname <> %(k)s "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) "
        "ORDER BY 1",
        {"t": TABLE, "k": NEW_KEY_INDEX},
    ).fetchall()
    triggers = conn.execute(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = to_regclass(%(t)s) AND NOT tgisinternal ORDER BY 1",
        t,
    ).fetchall()
    grants = conn.execute(
        "SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' "
        "ELSE pg_get_userbyid(a.grantee) END "
        "FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = to_regclass(%(t)s) AND a.grantee <> c.relowner",
        t,
    ).fetchall()
    return _Catalog(
        owner=owner,
        pkey=pkey[0] if pkey else "",
        foreign_keys=[(n, d) for n, _k, d in constraints],
        indexes=[(n, d) for n, d in indexes],
        triggers=[(n, d) for n, d in triggers],
        grants=[(p, g) for p, g in grants],
    )


class Partitioner:
    """Converts the plain table, or adds months ahead to the partitioned one."""

    def __init__(
        self,
        conninfo: str,
        *,
        months_ahead: int = 3,
        progress: Progress | None = None,
        clock: Callable[[], datetime] | None = None,
        lock_timeout_ms: int = LOCK_TIMEOUT_MS,
    ) -> None:
        if months_ahead < 0 or months_ahead > 120:
            raise PartitionError("--months-ahead must be between 0 and 120")
        self.conninfo = conninfo
        self.months_ahead = months_ahead
        self.progress = progress or (lambda msg: None)
        self.lock_timeout_ms = lock_timeout_ms
        self._clock = clock
        self.report = PartitionReport()

    # ------------------------------------------------------------------ public
    def plan(self) -> str:
        """One line saying what :meth:`run` would do (for confirmations); read before the
        guard is asked, so over a read-only session."""
        with connect(self.conninfo, APPLICATION_NAME, read_only=True) as conn:
            layout = read_layout(conn)
            if not layout.exists:
                raise PartitionError(f"{TABLE} does not exist")
            if not layout.partitioned:
                rows, size = one(
                    conn.execute(
                        "SELECT greatest(reltuples, 0)::bigint, pg_total_relation_size(oid) "
                        "FROM pg_class WHERE oid = to_regclass(%(t)s)",
                        {"t": TABLE},
                    )
                )
                return (
                    f"partition {TABLE} by month: its ~{rows:,} rows ({size / 2**20:,.0f} MiB) "
                    f"become partition {LEGACY} without being copied, "
                    f"plus {self.months_ahead} month(s) ahead"
                )
            self._check_key(layout)
            missing = self._missing_months(layout, self._now(conn))
            return f"add {len(missing)} month partition(s) ahead to {TABLE}"

    def run(self, ctx: ActionContext, *, confirmed: bool = False) -> PartitionReport:
        """Convert or add months, after the write guard said yes (prod: the unlock;
        staging and prod: ``confirmed``); raises ActionError, touching nothing, when not."""
        ctx.check_may_write(needs_confirmation=True, confirmed=confirmed)
        with connect(self.conninfo, APPLICATION_NAME) as conn:
            layout = read_layout(conn)
            if not layout.exists:
                raise PartitionError(f"{TABLE} does not exist")
            if not layout.partitioned:
                self._convert(conn)
                layout = read_layout(conn)
            self._check_key(layout)
            self._add_months(conn, layout)
            t = time.perf_counter()
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(TABLE)))
            self.report.steps["analyze parent"] = time.perf_counter() - t
        return self.report

    # ------------------------------------------------------------------ conversion
    def _convert(self, conn: psycopg.Connection) -> None:
        now = self._now(conn)
        upper = self._legacy_upper(conn, now)
        self.report.legacy_upper = upper
        self.progress(f"{TABLE}: plain table; rows before {upper:%Y-%m-%d} stay where they are")
        self._build_key_index(conn)
        self._add_range_check(conn, upper)
        catalog = _read_catalog(conn)
        self._swap(conn, catalog, upper, now)
        self.report.converted = True

    def _legacy_upper(self, conn: psycopg.Connection, now: datetime) -> datetime:
        """End of the current month (a month later if that is under a day away), or past
        the newest row if one is dated later, so no insert racing the swap is refused."""
        upper = add_months(month_start(now), 1)
        if upper - now < timedelta(days=1):
            upper = add_months(upper, 1)
        newest = one(
            conn.execute(sql.SQL("SELECT max(created_at) FROM {}").format(sql.Identifier(TABLE)))
        )[0]
        if newest is not None and newest >= upper:
            upper = add_months(month_start(newest), 1)
        return upper

    def _build_key_index(self, conn: psycopg.Connection) -> None:
        valid = conn.execute(
            "SELECT x.indisvalid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE c.relname = %(i)s AND x.indrelid = to_regclass(%(t)s)",
            {"i": NEW_KEY_INDEX, "t": TABLE},
        ).fetchone()
        if valid is not None and valid[0]:
            self.progress(f"  index {NEW_KEY_INDEX} already built")
            return
        if valid is not None:  # left invalid by an interrupted run
            conn.execute(
                sql.SQL("DROP INDEX CONCURRENTLY {}").format(sql.Identifier(NEW_KEY_INDEX))
            )
        self.progress(f"  building unique index {NEW_KEY_INDEX} (id, created_at) concurrently")
        t = time.perf_counter()
        with _IndexProgress(self.conninfo, conn.info.backend_pid, self.progress):
            conn.execute(
                sql.SQL("CREATE UNIQUE INDEX CONCURRENTLY {} ON {} (id, created_at)").format(
                    sql.Identifier(NEW_KEY_INDEX), sql.Identifier(TABLE)
                )
            )
        self.report.steps["build (id, created_at) index concurrently"] = time.perf_counter() - t

    def _add_range_check(self, conn: psycopg.Connection, upper: datetime) -> None:
        existing = conn.execute(
            "SELECT pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = to_regclass(%(t)s) AND conname = %(c)s",
            {"t": TABLE, "c": RANGE_CHECK},
        ).fetchone()
        bound = sql.Literal(upper)
        if existing is not None and f"'{upper:%Y-%m-%d %H:%M:%S}+00'" not in existing[0]:
            self._exclusive(
                conn,
                "drop a range check of an earlier run",
                [
                    sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                        sql.Identifier(TABLE), sql.Identifier(RANGE_CHECK)
                    )
                ],
            )
            existing = None
        if existing is None:
            self._exclusive(
                conn,
                "add range CHECK NOT VALID",
                [
                    sql.SQL(
                        "ALTER TABLE {} ADD CONSTRAINT {} "
                        "CHECK (created_at IS NOT NULL AND created_at < {}) NOT VALID"
                    ).format(sql.Identifier(TABLE), sql.Identifier(RANGE_CHECK), bound)
                ],
            )
        self.progress("  validating the range check (reads and writes go on meanwhile)")
        t = time.perf_counter()
        try:
            conn.execute(
                sql.SQL("ALTER TABLE {} VALIDATE CONSTRAINT {}").format(
                    sql.Identifier(TABLE), sql.Identifier(RANGE_CHECK)
                )
            )
        except psycopg.errors.CheckViolation as exc:
            raise PartitionError(
                f"some {TABLE} rows have no created_at or one after {upper:%Y-%m-%d}: {exc}"
            ) from exc
        held = time.perf_counter() - t
        self.report.steps["validate range check"] = held
        self.report.locks.append(LockHold("validate range check", 0.0, held, "SHARE UPDATE EXCL"))

    def _swap(
        self, conn: psycopg.Connection, cat: _Catalog, upper: datetime, now: datetime
    ) -> None:
        ident = sql.Identifier
        t, legacy = ident(TABLE), ident(LEGACY)
        stmts: list[Statement] = [
            sql.SQL("ALTER TABLE {} RENAME TO {}").format(t, legacy),
        ]
        for name, _def in cat.indexes:
            stmts.append(
                sql.SQL("ALTER INDEX {} RENAME TO {}").format(ident(name), ident(_legacy(name)))
            )
        for name, _def in cat.triggers:
            stmts.append(sql.SQL("DROP TRIGGER {} ON {}").format(ident(name), legacy))
        if cat.pkey:
            stmts.append(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(legacy, ident(cat.pkey))
            )
        stmts += [
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}").format(
                legacy, ident(f"{LEGACY}_pkey"), ident(NEW_KEY_INDEX)
            ),
            # INCLUDING CONSTRAINTS copies the CHECKs' expression trees: re-created from
            # pg_get_constraintdef text, a varchar IN list gives a tree ATTACH calls different
            sql.SQL(
                "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
                "PARTITION BY RANGE (created_at)"
            ).format(t, legacy),
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(t, ident(RANGE_CHECK)),
        ]
        stmts.append(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY (id, created_at)").format(
                t, ident(cat.pkey or f"{TABLE}_pkey")
            )
        )
        for name, definition in cat.foreign_keys:
            stmts.append(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(t, ident(name))
                + sql.SQL(definition)
            )
        stmts += [sql.SQL(definition) for _name, definition in cat.indexes]
        stmts.append(
            sql.SQL("ALTER TABLE {} ATTACH PARTITION {} FOR VALUES FROM (MINVALUE) TO ({})").format(
                t, legacy, sql.Literal(upper)
            )
        )
        stmts.append(sql.SQL("CREATE TABLE {} PARTITION OF {} DEFAULT").format(ident(DEFAULT), t))
        stmts += [sql.SQL(definition) for _name, definition in cat.triggers]
        stmts += self._ownership([TABLE, DEFAULT], cat)
        referenced = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT confrelid::regclass::text FROM pg_constraint "
                "WHERE conrelid = to_regclass(%(t)s) AND contype = 'f'",
                {"t": TABLE},
            )
        ]
        self.progress(
            f"  swapping: {TABLE} becomes partition {LEGACY} of a new partitioned {TABLE}"
        )
        self._exclusive(conn, "swap and attach", stmts, also_share=referenced)

    def _ownership(self, tables: Sequence[str], cat: _Catalog) -> list[Statement]:
        stmts: list[Statement] = []
        for table in tables:
            stmts.append(
                sql.SQL("ALTER TABLE {} OWNER TO {}").format(
                    sql.Identifier(table), sql.Identifier(cat.owner)
                )
            )
            for privilege, grantee in cat.grants:
                who = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
                stmts.append(
                    sql.SQL("GRANT {} ON {} TO {}").format(
                        sql.SQL(privilege), sql.Identifier(table), who
                    )
                )
        return stmts

    # ------------------------------------------------------------------ months ahead
    def _check_key(self, layout: Layout) -> None:
        if not layout.by_month_on_created_at:
            raise PartitionError(
                f"{TABLE} is partitioned by {layout.key}, not RANGE (created_at); left alone"
            )

    def _missing_months(self, layout: Layout, now: datetime) -> list[datetime]:
        last = add_months(month_start(now), self.months_ahead + 1)
        start = max(layout.upper_bound or month_start(now), month_start(now))
        months = []
        while start < last:
            months.append(start)
            start = add_months(start, 1)
        return months

    def _add_months(self, conn: psycopg.Connection, layout: Layout) -> None:
        now = self._now(conn)
        owner_cat = _read_catalog(conn)
        has_default = any(p.default for p in layout.partitions)
        for start in self._missing_months(layout, now):
            end = add_months(start, 1)
            name = month_name(start)
            stray = 0
            if has_default:
                stray = one(
                    conn.execute(
                        sql.SQL(
                            "SELECT count(*) FROM {}"
                            " WHERE created_at >= %(a)s AND created_at < %(b)s"
                        ).format(sql.Identifier(DEFAULT)),
                        {"a": start, "b": end},
                    )
                )[0]
            bounds = sql.SQL("FOR VALUES FROM ({}) TO ({})").format(
                sql.Literal(start), sql.Literal(end)
            )
            ident, t = sql.Identifier, sql.Identifier(TABLE)
            stmts: list[Statement]
            if stray:
                stmts = [
                    sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(ident(DEFAULT)),
                    sql.SQL(
                        "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
                    ).format(ident(name), t),
                    sql.SQL(
                        "WITH moved AS (DELETE FROM {} WHERE created_at >= {} AND created_at < {}"
                        " RETURNING *) INSERT INTO {} SELECT * FROM moved"
                    ).format(ident(DEFAULT), sql.Literal(start), sql.Literal(end), ident(name)),
                    sql.SQL("ALTER TABLE {} ATTACH PARTITION {} ").format(t, ident(name)) + bounds,
                ]
                self.report.moved_rows += int(stray)
            else:
                stmts = [
                    sql.SQL("CREATE TABLE {} PARTITION OF {} ").format(ident(name), t) + bounds
                ]
            stmts += self._ownership([name], owner_cat)
            self._exclusive(conn, f"create {name}", stmts)
            self.report.created.append(name)
            note = f" ({stray:,} rows moved from {DEFAULT})" if stray else ""
            self.progress(f"  created {name} [{start:%Y-%m-%d}, {end:%Y-%m-%d}){note}")

    # ------------------------------------------------------------------ locks
    def _exclusive(
        self,
        conn: psycopg.Connection,
        step: str,
        statements: Sequence[Statement],
        also_share: Sequence[str] = (),
    ) -> None:
        """Run statements in one transaction that first takes ACCESS EXCLUSIVE on the table.

        The lock wait is bounded by ``lock_timeout`` and retried, so the step never
        stands long in the queue in front of the engine's own statements.
        """
        waited_total = 0.0
        for attempt in range(1, LOCK_ATTEMPTS + 1):
            t0 = time.perf_counter()
            try:
                with conn.transaction():
                    conn.execute(f"SET LOCAL lock_timeout = '{int(self.lock_timeout_ms)}ms'")
                    conn.execute(
                        sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                            sql.Identifier(TABLE)
                        )
                    )
                    if also_share:
                        conn.execute(
                            sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(
                                sql.SQL(", ").join(sql.Identifier(n) for n in also_share)
                            )
                        )
                    t1 = time.perf_counter()
                    for stmt in statements:
                        conn.execute(stmt)
                t2 = time.perf_counter()
            except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
                waited_total += time.perf_counter() - t0
                self.progress(f"  {step}: lock not granted, retry {attempt}/{LOCK_ATTEMPTS}")
                time.sleep(min(2.0, 0.1 * attempt))
                continue
            hold = LockHold(step, waited_total + (t1 - t0), t2 - t1)
            self.report.locks.append(hold)
            self.progress(f"  {step}: exclusive lock held {hold.held_s * 1000:.1f} ms")
            return
        raise PartitionError(
            f"{step}: could not lock {TABLE} in {LOCK_ATTEMPTS} tries of "
            f"{self.lock_timeout_ms} ms (a long transaction holds it?)"
        )

    def _now(self, conn: psycopg.Connection) -> datetime:
        if self._clock is not None:
            return self._clock().astimezone(UTC)
        now: datetime = one(conn.execute("SELECT now()"))[0]
        return now.astimezone(UTC)


def _legacy(index_name: str) -> str:
    base = index_name.replace(TABLE, LEGACY) if TABLE in index_name else index_name + "_legacy"
    return base[:63]


class _IndexProgress:
    """Prints ``pg_stat_progress_create_index`` of a backend every few seconds."""

    def __init__(self, conninfo: str, pid: int, progress: Progress, every_s: float = 2.0):
        self.conninfo, self.pid, self.progress, self.every_s = conninfo, pid, progress, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _IndexProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            settings = EngineSettings(read_only=True)
            with raw_connect(self.conninfo, settings, APPLICATION_NAME, autocommit=True) as conn:
                while not self._stop.wait(self.every_s):
                    row = conn.execute(
                        "SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total "
                        "FROM pg_stat_progress_create_index WHERE pid = %(p)s",
                        {"p": self.pid},
                    ).fetchone()
                    if row:
                        phase, bd, bt, td, tt = row
                        pct = 100.0 * bd / bt if bt else (100.0 * td / tt if tt else 0.0)
                        self.progress(f"    {phase}: {pct:.0f}%")
        except psycopg.Error:
            return  # progress is a nicety; the build itself reports its own errors


def utcnow() -> datetime:
    return datetime.now(UTC)
