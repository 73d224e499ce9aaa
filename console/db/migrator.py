"""Migrations on first connect.

The console runs pending Alembic revisions itself, serialised by a PostgreSQL
advisory lock so that several consoles starting against one empty database
migrate it once.  A database is recognised by what its catalog holds (see
:mod:`console.db.catalog`), not by a revision id: seven tables that match the
contract, made by the console or by the engine, open with every read working.
The console's own history lives in its own version table
(``autopr_console_version``); the engine's ``alembic_version`` is never touched,
except to move the console's history out of it on a database an older console
made.  A database whose tables differ from the contract, or whose console
history is newer than ours, is never altered and opens read-only.

Alembic is imported only to migrate (or print the SQL of a migration): telling what
a database holds reads the catalog against :mod:`console.db.contract_snapshot`,
which lists the contract and the console's revisions as plain data.

DDL runs with a short ``lock_timeout``: when other sessions hold the tables it
says how many, waits and retries a few times, then gives up having changed
nothing more, instead of queueing behind them and blocking every other session.
"""

from __future__ import annotations

import enum
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

import migrations
from console.db.catalog import CONTRACT_TABLES, SchemaComparison, compare_schema, describe
from migrations import LEGACY_VERSION_TABLE, VERSION_TABLE

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

# pg_advisory_lock key: a fixed 64-bit number for "autopr-console migrations".
MIGRATION_LOCK_KEY = 0x6175_746F_7072_6D67 & 0x7FFF_FFFF_FFFF_FFFF
LOCK_WAIT_S = 120.0
# DDL waits at most this long for a table lock, then retries after RETRY_DELAY_S.
DDL_LOCK_TIMEOUT_MS = 3000
DDL_ATTEMPTS = 5
RETRY_DELAY_S = 2.0

Progress = Callable[[str], None]

__all__ = ["CONTRACT_TABLES", "VERSION_TABLE"]


class SchemaState(enum.Enum):
    EMPTY = "empty"  # none of the tables: migrate from scratch
    ADOPT = "adopt"  # the engine's tables match; the console's own objects are not installed
    BEHIND = "behind"  # known revision, pending revisions exist
    CURRENT = "current"  # at our head
    AHEAD = "ahead"  # a console revision this console does not know: leave it alone
    MISMATCH = "mismatch"  # the tables differ from the contract: leave it alone


@dataclass
class MigrationReport:
    state: SchemaState
    current: tuple[str, ...] = ()
    head: str = ""
    pending: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    schema: SchemaComparison = field(default_factory=SchemaComparison)
    engine_revision: tuple[str, ...] = ()  # what the engine's alembic_version holds
    legacy_revision: str | None = None  # console history still in alembic_version (to move)
    legacy_is_stamp: bool = False  # ...but its objects are missing: a hand stamp, not history
    declined: bool = False  # pending work nobody confirmed; opened read-only

    @property
    def read_only_reason(self) -> str | None:
        """Why the console must open this database read-only, or None."""
        if self.state is SchemaState.AHEAD:
            return (
                f"the console's schema history is at revision {', '.join(self.current)}, "
                f"which this console does not know (it knows up to {self.head}); it is "
                "probably managed by a newer console. Opened read-only; nothing was changed."
            )
        if self.state is SchemaState.MISMATCH:
            return (
                "the tables differ from the AutoPR schema: "
                f"{describe(self.schema)}. Opened read-only; nothing was changed."
            )
        if self.declined:
            if self.state is SchemaState.ADOPT:
                what = "its audit trail and live-tail trigger are not installed"
            elif self.pending:
                what = f"{len(self.pending)} console migration(s) are pending"
            else:
                what = (
                    f"the console's history still sits in {LEGACY_VERSION_TABLE} "
                    "(shared with the engine's migration tool)"
                )
            return (
                f"{what} and were not confirmed, so writes stay off (reads work). "
                "Nothing was changed; reconnect and accept them to write."
            )
        return None

    @property
    def needs_upgrade(self) -> bool:
        return self.state in (SchemaState.EMPTY, SchemaState.ADOPT, SchemaState.BEHIND)

    @property
    def steps(self) -> list[str]:
        """What applying would do, one line each, for a confirmation."""
        lines = []
        if self.legacy_revision and self.legacy_is_stamp:
            lines.append(
                f"remove the revision {self.legacy_revision} stamped into "
                f"{LEGACY_VERSION_TABLE}: the console's objects it stands for are missing"
            )
        elif self.legacy_revision:
            lines.append(
                f"move the console's history ({self.legacy_revision}) from "
                f"{LEGACY_VERSION_TABLE} to {VERSION_TABLE}"
            )
        if self.state is SchemaState.ADOPT:
            lines.append(
                "install the console's own objects beside the engine's tables "
                "(the engine's tables and its alembic_version are not altered)"
            )
        lines += [f"revision {rev}" for rev in self.pending]
        return lines

    def sql(self) -> str:
        """The SQL applying would run, for the operator to read first."""
        parts = []
        if self.legacy_revision:
            parts.append(move_history_sql(self.legacy_revision, keep=not self.legacy_is_stamp))
        if self.pending:
            start = self.current[0] if self.current else None
            parts.append(pending_sql(start, contract_tables_exist=self.state is SchemaState.ADOPT))
        return "\n".join(parts)


class MigrationRefused(RuntimeError):
    """Pending revisions were not applied because nobody confirmed them."""

    def __init__(self, report: MigrationReport) -> None:
        super().__init__(
            f"{len(report.pending)} pending migration(s) need confirmation: "
            + ", ".join(report.pending)
        )
        self.report = report


class MigrationFailed(RuntimeError):
    """A pending revision failed; ``str()`` says why and where the database now stands.

    Each revision runs in its own transaction: those before the failing one stay applied.
    """

    def __init__(
        self,
        report: MigrationReport,
        error: BaseException,
        now: tuple[str, ...] | None,
        reason: str | None = None,
    ) -> None:
        raw = str(getattr(error, "orig", None) or error).strip()
        if reason is None:
            reason = raw.splitlines()[0] if raw else type(error).__name__
        if now is None:
            where = "its revision could not be read back"
        else:
            where = f"it is now at revision {', '.join(now) or 'none (empty)'}"
        super().__init__(
            f"migrating the database to {report.head} failed: {reason}; {where}. "
            "Check the schema or ask a DBA (autopr-console migrate --sql shows what is pending)."
        )
        self.report = report
        self.now = now


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the migrations inside the installed package."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations.SCRIPT_LOCATION))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def revisions() -> tuple[str, ...]:
    """The console's revisions, oldest first (linear; the last is the head)."""
    from console.db.contract_snapshot import REVISIONS

    return REVISIONS


def _context(conn: Connection) -> MigrationContext:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})


def _versions(conn: Connection, table: str) -> tuple[str, ...]:
    exists = conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}).scalar()
    if not exists:
        return ()
    rows = conn.execute(text(f"SELECT version_num FROM {table} ORDER BY version_num"))
    return tuple(r[0] for r in rows)


def inspect_schema(conn: Connection) -> MigrationReport:
    """Compare the database's catalog and console history with ours, changing nothing."""
    known = revisions()
    head = known[-1]
    schema = compare_schema(conn)
    ours = _versions(conn, VERSION_TABLE)
    theirs = _versions(conn, LEGACY_VERSION_TABLE)
    legacy = None
    stamped = False
    if not ours and theirs and all(rev in known for rev in theirs):
        # An older console kept its history in alembic_version: it moves to our table,
        # unless what it claims is missing (someone stamped it by hand to get past an
        # older console's refusal): then it is dropped and everything is installed.
        legacy, ours, theirs = theirs[0], theirs, ()
        if not _console_objects_present(conn):
            ours, stamped = (), True
    report = MigrationReport(
        SchemaState.CURRENT,
        current=ours,
        head=head,
        schema=schema,
        engine_revision=theirs,
        legacy_revision=legacy,
        legacy_is_stamp=stamped,
    )
    if any(rev not in known for rev in ours):
        report.state = SchemaState.AHEAD
        return report
    if schema.empty and not ours:
        report.state = SchemaState.EMPTY
        report.pending = list(known)
        return report
    if not schema.matches:
        report.state = SchemaState.MISMATCH
        return report
    if not ours:
        report.state = SchemaState.ADOPT
        report.pending = list(known)
        return report
    if ours != (head,):
        report.state = SchemaState.BEHIND
        report.pending = list(known[known.index(ours[0]) + 1 :])
    elif legacy:
        report.state = SchemaState.BEHIND  # only the history moves
    return report


def _acquire_lock(conn: Connection, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        got = conn.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY}
        ).scalar()
        conn.commit()
        if got:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(
                "another console has been migrating this database for over "
                f"{int(wait_s)} s; try again later"
            )
        time.sleep(0.2)


def _console_objects_present(conn: Connection) -> bool:
    """The function, trigger and audit trail that revisions 0001-0003 install."""
    return bool(
        conn.execute(
            text(
                "SELECT to_regprocedure('autopr_new_execution_id()') IS NOT NULL "
                "AND to_regclass('audit_log') IS NOT NULL "
                "AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'trg_execution_logs_notify')"
            )
        ).scalar()
    )


def move_history_sql(revision: str, *, keep: bool = True) -> str:
    """Move the console's history out of the shared ``alembic_version`` into its own table
    (``keep`` false: a hand stamp, only removed)."""
    insert = f"INSERT INTO {VERSION_TABLE} (version_num) VALUES ('{revision}');\n" if keep else ""
    return (
        f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL, "
        f"CONSTRAINT {VERSION_TABLE}_pkc PRIMARY KEY (version_num));\n"
        f"{insert}"
        f"DELETE FROM {LEGACY_VERSION_TABLE} WHERE version_num = '{revision}';\n"
        f"-- {LEGACY_VERSION_TABLE} is dropped when nothing else is left in it\n"
    )


def _move_history(conn: Connection, revision: str, keep: bool = True) -> None:
    for statement in move_history_sql(revision, keep=keep).split(";\n"):
        if statement.strip() and not statement.strip().startswith("--"):
            conn.execute(text(statement))
    left = conn.execute(text(f"SELECT count(*) FROM {LEGACY_VERSION_TABLE}")).scalar()
    if not left:
        conn.execute(text(f"DROP TABLE {LEGACY_VERSION_TABLE}"))


def _is_lock_timeout(exc: DBAPIError) -> bool:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "55P03"


def lock_holders(conn: Connection) -> int:
    """Other sessions holding locks on the contract's or the console's tables."""
    return int(
        conn.execute(
            text(
                "SELECT count(DISTINCT l.pid) FROM pg_locks l "
                "JOIN pg_class c ON c.oid = l.relation "
                "WHERE l.granted AND l.pid <> pg_backend_pid() AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND c.relnamespace = 'public'::regnamespace AND c.relname = ANY(:tables)"
            ),
            {"tables": [*CONTRACT_TABLES, "audit_log", VERSION_TABLE, LEGACY_VERSION_TABLE]},
        ).scalar()
        or 0
    )


def ensure_schema(
    engine: Engine,
    *,
    apply: bool,
    lock_wait_s: float = LOCK_WAIT_S,
    progress: Progress | None = None,
    lock_timeout_ms: int = DDL_LOCK_TIMEOUT_MS,
    attempts: int = DDL_ATTEMPTS,
    retry_delay_s: float = RETRY_DELAY_S,
) -> MigrationReport:
    """Inspect the schema and, when ``apply`` is true, run pending revisions under the lock.

    With ``apply`` false and work pending, raises :class:`MigrationRefused`
    (callers that must ask first catch it, ask, and call again with ``apply=True``).
    """
    with engine.connect() as conn:
        # Migrations may legitimately take long; the console's statement timeout does not
        # apply.  Waiting for a table lock does: a few seconds, then retry (see module doc).
        conn.execute(text("SELECT set_config('statement_timeout', '0', false)"))
        conn.execute(
            text("SELECT set_config('lock_timeout', :ms, false)"), {"ms": f"{lock_timeout_ms}ms"}
        )
        conn.commit()
        report = inspect_schema(conn)
        conn.commit()
        if report.state is SchemaState.MISMATCH:
            # Another console may be half-way through migrating: look again under the lock.
            _acquire_lock(conn, lock_wait_s)
            try:
                report = inspect_schema(conn)
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                conn.commit()
        if not report.needs_upgrade:
            return report
        if not apply:
            raise MigrationRefused(report)
        _acquire_lock(conn, lock_wait_s)
        try:
            report = inspect_schema(conn)  # someone else may have migrated meanwhile
            conn.commit()
            if report.needs_upgrade:
                _apply(conn, report, progress, attempts, retry_delay_s, lock_timeout_ms)
        finally:
            if not conn.invalidated:
                conn.rollback()  # a failed revision leaves the transaction aborted
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                conn.commit()
    return report


def _apply(
    conn: Connection,
    report: MigrationReport,
    progress: Progress | None,
    attempts: int,
    retry_delay_s: float,
    lock_timeout_ms: int = DDL_LOCK_TIMEOUT_MS,
) -> None:
    """Run the pending work, retrying when a table lock cannot be had in time."""
    for attempt in range(1, attempts + 1):
        try:
            if report.legacy_revision:
                _move_history(conn, report.legacy_revision, keep=not report.legacy_is_stamp)
                conn.commit()
                report.legacy_revision = None
            from alembic import command

            cfg = alembic_config(conn)
            cfg.attributes["contract_tables_exist"] = report.state is SchemaState.ADOPT
            command.upgrade(cfg, "head")
            conn.commit()
            break
        except DBAPIError as exc:
            conn.rollback()
            if not _is_lock_timeout(exc):
                raise MigrationFailed(report, exc, _current_or_none(conn)) from exc
            holders = lock_holders(conn)
            conn.rollback()
            if attempt == attempts:
                reason = (
                    f"{holders} other session(s) kept locks on the tables through {attempts} "
                    f"tries of {lock_timeout_ms / 1000:g} s; nothing waits in their queue now"
                )
                raise MigrationFailed(report, exc, _current_or_none(conn), reason) from exc
            if progress is not None:
                progress(
                    f"waiting for {holders} session(s) holding locks on the tables "
                    f"(try {attempt} of {attempts}); retrying in {retry_delay_s:g} s"
                )
            time.sleep(retry_delay_s)
    report.applied = list(report.pending)
    report.current = (report.head,)
    report.pending = []
    report.state = SchemaState.CURRENT


def _current_or_none(conn: Connection) -> tuple[str, ...] | None:
    """The revision the database is at now (None: cannot tell, e.g. the server went away)."""
    try:
        current = tuple(_context(conn).get_current_heads())
        conn.rollback()
        return current
    except DBAPIError:
        return None


def pending_sql(
    start: str | None = None,
    url: str = "postgresql+psycopg://",
    *,
    contract_tables_exist: bool = False,
) -> str:
    """The SQL of revisions from ``start`` (None: from scratch) to head, for a DBA."""
    from alembic import command

    buffer = io.StringIO()
    cfg = alembic_config()
    cfg.output_buffer = buffer
    cfg.attributes["offline_url"] = url
    cfg.attributes["contract_tables_exist"] = contract_tables_exist
    rng = f"{start}:head" if start else "head"
    command.upgrade(cfg, rng, sql=True)
    return buffer.getvalue()


def schema_summary(report: MigrationReport) -> list[str]:
    """What the console found in the catalog, one line each (for ``migrate`` and
    ``profile test``): whose tables these are, what differs, what only changes how well
    it works."""
    schema = report.schema
    lines: list[str] = []
    if schema.empty:
        lines.append("schema: none of the AutoPR tables exist yet")
    elif schema.matches:
        lines.append(f"schema: the {len(CONTRACT_TABLES)} AutoPR tables match the contract")
    else:
        lines.append(f"schema: the tables differ from the contract ({len(schema.differences)})")
    if report.engine_revision:
        lines.append(f"engine migrations: alembic_version at {', '.join(report.engine_revision)}")
    history = ", ".join(report.current) or "none"
    lines.append(f"console migrations: {VERSION_TABLE} at {history} (head {report.head})")
    if schema.extra_tables:
        lines.append(f"other tables (left alone): {', '.join(schema.extra_tables)}")
    if schema.json_columns:
        cols = ", ".join(f"{t}.{c}" for t, c in sorted(schema.json_columns))
        lines.append(f"json, not jsonb (JSON filters read every row): {cols}")
    lines += [f"  differs: {d}" for d in schema.differences]
    lines += [f"  note: {n}" for n in schema.notes]
    return lines
