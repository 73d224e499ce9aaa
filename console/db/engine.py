"""Creating SQLAlchemy engines with the console's connection settings."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL

from console.db.urls import normalize_url

if TYPE_CHECKING:
    import psycopg

APPLICATION_NAME = "autopr-console"


@dataclass(frozen=True)
class EngineSettings:
    """Per-profile connection behaviour."""

    read_only: bool = False
    connect_timeout_s: int = 5
    statement_timeout_ms: int = 30_000
    lock_timeout_ms: int = 3_000
    idle_in_transaction_timeout_ms: int = 60_000
    pool_size: int = 3
    max_overflow: int = 2
    application_name: str = APPLICATION_NAME


def server_options(settings: EngineSettings) -> str:
    """The libpq ``options`` string applied to every session the console opens."""
    opts = [
        f"-c statement_timeout={settings.statement_timeout_ms}",
        f"-c lock_timeout={settings.lock_timeout_ms}",
        f"-c idle_in_transaction_session_timeout={settings.idle_in_transaction_timeout_ms}",
    ]
    if settings.read_only:
        opts.append("-c default_transaction_read_only=on")
    return " ".join(opts)


def make_engine(
    url: str | URL,
    settings: EngineSettings | None = None,
    connect_args: dict[str, Any] | None = None,
) -> Engine:
    """An engine with a small pool, pre-ping, keepalives and server-side timeouts.

    ``connect_args``: more libpq parameters kept out of the URL (``sslpassword``).
    """
    settings = settings or EngineSettings()
    url = normalize_url(url)
    connect_args = {**(connect_args or {}), **session_parameters(settings)}
    engine = create_engine(
        url,
        connect_args=connect_args,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
    )
    return engine


def session_parameters(settings: EngineSettings) -> dict[str, str | int]:
    """The libpq parameters every console session gets (engine pool or raw connection)."""
    return {
        "connect_timeout": settings.connect_timeout_s,
        "application_name": settings.application_name,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "options": server_options(settings),
    }


def raw_connect(
    conninfo: str,
    settings: EngineSettings,
    application_name: str | None = None,
    *,
    autocommit: bool = False,
) -> psycopg.Connection[tuple[Any, ...]]:
    """A plain psycopg connection with the same timeouts and read-only default as the engine.

    For what streams or listens outside SQLAlchemy (log pages, exports, the live tail);
    ``conninfo`` comes from :meth:`console.db.connection.Database.read_conninfo`.  The
    one place the console calls ``psycopg.connect`` (tests/test_shape.py checks it).
    """
    import psycopg

    params = session_parameters(settings)
    if application_name:
        params["application_name"] = application_name
    return psycopg.connect(conninfo, autocommit=autocommit, **params)  # type: ignore[arg-type]


def raw_engine(conninfo: str, settings: EngineSettings, application_name: str) -> Engine:
    """An engine over :func:`raw_connect` connections to ``conninfo`` (one at a time): for
    a process of its own that reads what the window would (a table export)."""
    return create_engine(
        "postgresql+psycopg://",
        creator=lambda: raw_connect(conninfo, settings, application_name),
        pool_size=1,
        max_overflow=0,
    )


# Maintenance work (partitioning, retention's index builds, demo loads and the demo
# simulator): read-write whatever the environment (its write guard was passed before),
# and no server-side timeouts, since a partition copy or an index build runs for minutes
# and waits its turn for locks.  Connect timeout and keepalives stay.
MAINTENANCE = EngineSettings(
    read_only=False,
    statement_timeout_ms=0,
    lock_timeout_ms=0,
    idle_in_transaction_timeout_ms=0,
)


def maintenance_connect(
    conninfo: str,
    application_name: str,
    *,
    connect_timeout_s: int | None = None,
    read_only: bool = False,
) -> psycopg.Connection[tuple[Any, ...]]:
    """An autocommit connection without statement/lock timeouts (``MAINTENANCE``):
    read-write, or ``read_only`` for what reads before the write guard is asked (a plan).

    Only modules whose writes stand behind a named guard call it
    (tests/test_write_guard_entry_points.py checks the callers)."""
    settings = replace(MAINTENANCE, read_only=read_only)
    if connect_timeout_s is not None:
        settings = replace(settings, connect_timeout_s=connect_timeout_s)
    return raw_connect(conninfo, settings, application_name, autocommit=True)
