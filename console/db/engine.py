"""Creating SQLAlchemy engines with the console's connection settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL

from console.db.urls import normalize_url

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
    url: str | URL, settings: EngineSettings | None = None, connect_args: dict | None = None
) -> Engine:
    """An engine with a small pool, pre-ping, keepalives and server-side timeouts.

    ``connect_args``: more libpq parameters kept out of the URL (``sslpassword``).
    """
    settings = settings or EngineSettings()
    url = normalize_url(url)
    connect_args = {
        **(connect_args or {}),
        "connect_timeout": settings.connect_timeout_s,
        "application_name": settings.application_name,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "options": server_options(settings),
    }
    engine = create_engine(
        url,
        connect_args=connect_args,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
    )
    return engine
