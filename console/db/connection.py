"""Opening a profile: start the embedded server if needed, connect, migrate per the rules.

The result is a :class:`Database`, the one handle the UI, the tail, the actions
and the CLI share.  Nothing here touches Qt; callers run it off the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from console import paths, secrets
from console.db import passphrases
from console.db.embedded import EmbeddedServer, EmbeddedServerError
from console.db.engine import EngineSettings, make_engine, raw_connect
from console.db.errors import ConnectionFailed, explain_connection_error
from console.db.migrator import (
    MigrationFailed,
    MigrationRefused,
    MigrationReport,
    SchemaState,
    ensure_schema,
)
from console.db.ssh_errors import TunnelFailed
from console.db.tls import SessionTLS, key_passphrase_needed, session_tls
from console.db.tunnel import SSHTunnel, bind_to_engine, tunnel_profile_url
from console.db.urls import libpq_conninfo
from console.profiles import RESERVED_NAMES, Profile

if TYPE_CHECKING:
    import psycopg

    from console.db.replica import ReadRouter, ReadSource

log = logging.getLogger(__name__)

ConfirmMigrations = Callable[[MigrationReport], bool]
Progress = Callable[[str], None]


@dataclass
class Database:
    """A connected profile."""

    profile: Profile
    engine: Engine
    url: URL
    read_only: bool
    read_only_reason: str | None
    server_version: str
    database_name: str
    migration: MigrationReport
    embedded: EmbeddedServer | None = None
    listen_allowed: bool = True
    tunnel: SSHTunnel | None = None
    tls: SessionTLS | None = None
    _sslpassword: str | None = field(default=None, repr=False)
    # when the profile names a replica
    replica: ReadRouter | None = None
    # the engine's session settings, for raw connections (connect_raw)
    settings: EngineSettings = field(default_factory=EngineSettings)
    _closed: bool = field(default=False, repr=False)

    def conninfo(self) -> str:
        """A libpq conninfo for raw psycopg connections (the live tail).

        Through the tunnel's local port when there is one (kept open by its keeper and
        the window's ping; never reopened here: callers may be on the GUI thread).
        """
        info = libpq_conninfo(self.url)
        if self._sslpassword:
            from psycopg.conninfo import make_conninfo

            info = make_conninfo(info, sslpassword=self._sslpassword)
        return info

    def ping(self) -> None:
        """One round trip; a dropped tunnel is reopened first (so its error is the one shown)."""
        if self.tunnel is not None:
            self.tunnel.ensure_open()
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except Exception:
            if self.tunnel is not None:
                # ssh may be exiting right now (the bastion went away): then its reason
                # is the one to show, not the refused local port it leaves behind.
                self.tunnel.recheck()
            raise

    @property
    def via(self) -> str | None:
        """The bastion the connection goes through, or None."""
        return self.tunnel.bastion.bare_host if self.tunnel is not None else None

    @property
    def reader(self) -> Engine:
        """A stable engine handle for readers that follows the replica router (or the engine)."""
        if self.replica is None:
            return self.engine
        from console.db.replica import RoutedEngine

        return RoutedEngine(self.replica)  # type: ignore[return-value]

    def read_engine(self) -> Engine:
        """The engine for what only reads: the replica while it answers in time."""
        return self.replica.read_engine() if self.replica is not None else self.engine

    def read_conninfo(self) -> str:
        """A libpq conninfo for raw reads (the live tail): the replica's when it answers."""
        if self.replica is None:
            return self.conninfo()
        return self.replica.read_conninfo(self.conninfo())

    def connect_raw(self, application_name: str) -> psycopg.Connection[tuple[Any, ...]]:
        """A raw psycopg connection for reads (replica when it answers), with the engine's
        timeouts and read-only default; for the log pages and exports."""
        return raw_connect(self.read_conninfo(), self.settings, application_name)

    def read_source(self) -> ReadSource | None:
        """``console.db.replica.ReadSource`` (which server answers reads), or None."""
        return self.replica.source() if self.replica is not None else None

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran (the pool is disposed; the object is not used again)."""
        return self._closed

    def close(self) -> None:
        """Dispose of the pool; stop the embedded server if we were its last user."""
        if self._closed:
            return
        self._closed = True
        self.engine.dispose()
        if self.tunnel is not None:
            self.tunnel.close()
        if self.replica is not None:
            self.replica.dispose()
        if self.embedded is not None:
            try:
                self.embedded.stop()
            except Exception as exc:  # stopping must never prevent the app from closing
                log.warning("stopping the embedded server failed: %s", exc)


def _start_embedded(profile: Profile) -> tuple[EmbeddedServer, URL]:
    server = EmbeddedServer(paths.embedded_root())
    try:
        address = server.start()
        server.ensure_database(profile.database_name())
    except (EmbeddedServerError, OSError) as exc:
        raise ConnectionFailed(f"the embedded server could not start: {exc}", "embedded") from exc
    from sqlalchemy.engine import make_url

    return server, make_url(address.url(profile.database_name()))


def open_database(
    profile: Profile,
    *,
    password: str | None = None,
    confirm_migrations: ConfirmMigrations | None = None,
    settings: EngineSettings | None = None,
    progress: Progress | None = None,
) -> Database:
    """Connect to ``profile`` and bring its schema up to date per the profile's rules.

    * local/dev apply pending revisions by themselves;
    * staging/prod call ``confirm_migrations`` (the callback enforces staging's
      confirmation and prod's unlock; no callback: refuse).  A declined empty
      database raises :class:`MigrationRefused`; declined work on tables that match
      opens read-only, with every read working;
    * a database ahead of us, or whose tables differ, is opened read-only and left untouched;
    * ``progress`` hears "waiting for N sessions" while DDL waits for a table lock;
    * prod connects with read-only transactions enforced by the server.
    """
    embedded: EmbeddedServer | None = None
    tunnel: SSHTunnel | None = None
    if profile.embedded:
        embedded, url = _start_embedded(profile)
    else:
        if not password and profile.name.lower() not in RESERVED_NAMES:
            # Ad-hoc URLs never borrow a stored password (it would go to their server).
            password = secrets.get_password(profile.name)
        url = profile.sqlalchemy_url(password)
        if profile.ssh:
            try:
                url, tunnel = tunnel_profile_url(profile, url)
            except TunnelFailed as exc:
                raise _failed(profile, ConnectionFailed(str(exc), exc.kind)) from exc
    sslpassword = passphrases.get(passphrases.TLS, profile.name)
    connect_args = {"sslpassword": sslpassword} if sslpassword else None
    locked_key = key_passphrase_needed(url)
    if locked_key and sslpassword is None:
        if tunnel is not None:
            tunnel.close()
        raise ConnectionFailed(
            f"TLS: the client key {locked_key} needs its passphrase", "tls-passphrase"
        )
    base = settings or EngineSettings(
        connect_timeout_s=profile.connect_timeout_s,
        statement_timeout_ms=profile.statement_timeout_ms,
    )
    try:
        # Migrations run on a writable engine; prod's read-only engine is made after.
        migrate_engine = make_engine(
            url,
            EngineSettings(
                connect_timeout_s=base.connect_timeout_s,
                statement_timeout_ms=0,
                pool_size=1,
                max_overflow=0,
                application_name=base.application_name + "-migrate",
            ),
            connect_args=connect_args,
        )
        if tunnel is not None:
            bind_to_engine(migrate_engine, tunnel)
        try:
            report = _migrate(migrate_engine, profile, confirm_migrations, progress)
        finally:
            migrate_engine.dispose()
        reason = report.read_only_reason
        read_only = profile.is_prod or reason is not None
        engine = make_engine(
            url, replace_settings(base, read_only=read_only), connect_args=connect_args
        )
        if tunnel is not None:
            bind_to_engine(engine, tunnel)
        with engine.connect() as conn:
            version, current_db, in_recovery = conn.execute(
                text(
                    "SELECT current_setting('server_version'), current_database(), "
                    "pg_is_in_recovery()"
                )
            ).one()
            tls = session_tls(conn)
    except MigrationFailed as exc:
        _stop(embedded, tunnel)
        raise ConnectionFailed(str(exc), "migration") from exc
    except TunnelFailed as exc:
        _stop(embedded, tunnel)
        raise _failed(profile, ConnectionFailed(str(exc), exc.kind)) from exc
    except (OperationalError, DBAPIError) as exc:
        _stop(embedded, tunnel)
        failure = _failed(profile, explain_connection_error(exc, url, tunnel))
        if profile.replica_targets and failure.kind in ("unreachable", "timeout", "error"):
            from console.db.replica import open_replica_only

            return open_replica_only(profile, failure, password, open_database)
        raise failure from exc
    except BaseException:
        _stop(embedded, tunnel)
        raise
    db = Database(
        profile=profile,
        engine=engine,
        url=url,
        read_only=read_only,
        read_only_reason=reason,
        server_version=str(version),
        # From the server: a service profile names no database itself.
        database_name=str(current_db),
        migration=report,
        embedded=embedded,
        listen_allowed=not bool(in_recovery),
        tunnel=tunnel,
        tls=tls,
        _sslpassword=sslpassword,
        settings=replace_settings(base, read_only=read_only),
    )
    if profile.replica_targets:
        from console.db.replica import attach_router

        attach_router(db, password, base)
    return db


def _failed(profile: Profile, failure: ConnectionFailed) -> ConnectionFailed:
    """A refused key passphrase is forgotten, so the next attempt asks again."""
    if failure.kind == "tunnel-passphrase":
        passphrases.forget(passphrases.SSH, profile.name)
    elif failure.kind == "tls-passphrase":
        passphrases.forget(passphrases.TLS, profile.name)
    return failure


def _stop(embedded: EmbeddedServer | None, tunnel: SSHTunnel | None) -> None:
    """Undo a half-made connection: the embedded server and the tunnel it started."""
    if embedded is not None:
        embedded.stop()
    if tunnel is not None:
        tunnel.close()


def replace_settings(settings: EngineSettings, **changes: Any) -> EngineSettings:
    from dataclasses import replace

    return replace(settings, **changes)


def _migrate(
    engine: Engine,
    profile: Profile,
    confirm: ConfirmMigrations | None,
    progress: Progress | None = None,
) -> MigrationReport:
    ask_first = profile.asks_before_migrating
    try:
        return ensure_schema(engine, apply=not ask_first, progress=progress)
    except MigrationRefused as refused:
        if confirm is None or not confirm(refused.report):
            if refused.report.state is SchemaState.EMPTY:
                raise
            refused.report.declined = True  # reads work; writes wait for the confirmation
            return refused.report
        return ensure_schema(engine, apply=True, progress=progress)


__all__ = [
    "ConnectionFailed",
    "Database",
    "MigrationRefused",
    "SchemaState",
    "explain_connection_error",
    "open_database",
]
