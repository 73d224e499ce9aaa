"""Migrations on first connect.

The console runs pending Alembic revisions itself, serialised by a PostgreSQL
advisory lock so that several consoles starting against one empty database
migrate it once.  A database it does not understand (a revision newer than
ours, or the tables without ``alembic_version``) is never altered.
"""

from __future__ import annotations

import enum
import io
import time
from dataclasses import dataclass, field

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

import migrations

# pg_advisory_lock key: a fixed 64-bit number for "autopr-console migrations".
MIGRATION_LOCK_KEY = 0x6175_746F_7072_6D67 & 0x7FFF_FFFF_FFFF_FFFF
LOCK_WAIT_S = 120.0
CONTRACT_TABLES = (
    "workflows",
    "workflow_executions",
    "workflow_actions",
    "workflow_triggers",
    "execution_logs",
    "integrations",
    "integration_events",
)


class SchemaState(enum.Enum):
    EMPTY = "empty"  # no tables, no alembic_version: migrate from scratch
    BEHIND = "behind"  # known revision, pending revisions exist
    CURRENT = "current"  # at our head
    AHEAD = "ahead"  # a revision this console does not know: leave it alone
    UNMANAGED = "unmanaged"  # contract tables without alembic_version: leave it alone


@dataclass
class MigrationReport:
    state: SchemaState
    current: tuple[str, ...] = ()
    head: str = ""
    pending: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)

    @property
    def read_only_reason(self) -> str | None:
        """Why the console must open this database read-only, or None."""
        if self.state is SchemaState.AHEAD:
            return (
                f"the database is at revision {', '.join(self.current)}, which this console "
                f"does not know (it knows up to {self.head}); it is probably managed by a "
                "newer console or engine. Opened read-only; nothing was changed."
            )
        if self.state is SchemaState.UNMANAGED:
            return (
                "the database holds AutoPR tables but no alembic_version table, so its schema "
                "version is unknown. Opened read-only; nothing was changed. A DBA can adopt it "
                "with 'alembic stamp' once it matches the schema."
            )
        return None

    @property
    def needs_upgrade(self) -> bool:
        return self.state in (SchemaState.EMPTY, SchemaState.BEHIND)


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
        self, report: MigrationReport, error: BaseException, now: tuple[str, ...] | None
    ) -> None:
        raw = str(getattr(error, "orig", None) or error).strip()
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
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations.SCRIPT_LOCATION))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def inspect_schema(conn: Connection) -> MigrationReport:
    """Compare the database's revision with ours, without changing anything."""
    script = script_directory()
    head = script.get_current_head() or ""
    current = tuple(MigrationContext.configure(conn).get_current_heads())
    if not current:
        tables = set(inspect(conn).get_table_names())
        if tables & set(CONTRACT_TABLES):
            return MigrationReport(SchemaState.UNMANAGED, head=head)
        pending = [rev.revision for rev in reversed(list(script.walk_revisions()))]
        return MigrationReport(SchemaState.EMPTY, head=head, pending=pending)
    known = {rev.revision for rev in script.walk_revisions()}
    if any(rev not in known for rev in current):
        return MigrationReport(SchemaState.AHEAD, current=current, head=head)
    if current == (head,):
        return MigrationReport(SchemaState.CURRENT, current=current, head=head)
    pending = [rev.revision for rev in reversed(list(script.iterate_revisions(head, current[0])))]
    return MigrationReport(SchemaState.BEHIND, current=current, head=head, pending=pending)


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


def ensure_schema(
    engine: Engine,
    *,
    apply: bool,
    lock_wait_s: float = LOCK_WAIT_S,
) -> MigrationReport:
    """Inspect the schema and, when ``apply`` is true, run pending revisions under the lock.

    With ``apply`` false and revisions pending, raises :class:`MigrationRefused`
    (callers that must ask first catch it, ask, and call again with ``apply=True``).
    """
    with engine.connect() as conn:
        # Migrations may legitimately take long; the console's statement timeout does not apply.
        conn.execute(text("SELECT set_config('statement_timeout', '0', false)"))
        conn.execute(text("SELECT set_config('lock_timeout', '0', false)"))
        conn.commit()
        report = inspect_schema(conn)
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
                try:
                    command.upgrade(alembic_config(conn), "head")
                    conn.commit()
                except DBAPIError as exc:
                    conn.rollback()
                    raise MigrationFailed(report, exc, _current_or_none(conn)) from exc
                report.applied = list(report.pending)
                report.current = (report.head,)
                report.pending = []
                report.state = SchemaState.CURRENT
        finally:
            if not conn.invalidated:
                conn.rollback()  # a failed revision leaves the transaction aborted
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                conn.commit()
    return report


def _current_or_none(conn: Connection) -> tuple[str, ...] | None:
    """The revision the database is at now (None: cannot tell, e.g. the server went away)."""
    try:
        current = tuple(MigrationContext.configure(conn).get_current_heads())
        conn.rollback()
        return current
    except DBAPIError:
        return None


def pending_sql(start: str | None = None, url: str = "postgresql+psycopg://") -> str:
    """The SQL of revisions from ``start`` (None: from scratch) to head, for a DBA."""
    buffer = io.StringIO()
    cfg = alembic_config()
    cfg.output_buffer = buffer
    cfg.attributes["offline_url"] = url
    rng = f"{start}:head" if start else "head"
    command.upgrade(cfg, rng, sql=True)
    return buffer.getvalue()
