"""Alembic environment.

Three ways in:
* the console passes an open connection in ``config.attributes["connection"]``
  (migrations on first connect, under an advisory lock held by the caller);
* ``alembic`` from the repository root with ``DATABASE_URL`` set;
* offline mode (``--sql``), which prints the SQL for a DBA.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from migrations import VERSION_TABLE
from models import metadata

config = context.config

if config.config_file_name is not None and not config.attributes.get("connection"):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    from console.db.urls import normalize_url

    raw = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not raw:
        raise SystemExit("set DATABASE_URL (for example postgresql://user@host/autopr_dev)")
    return normalize_url(raw).render_as_string(hide_password=False)


def _include_name(name: str | None, type_: str, parent_names) -> bool:
    """Autogenerate looks at the contract's and the console's tables, never at others'."""
    if type_ == "table":
        return name in metadata.tables
    return True


def _configure(connection: Connection | None = None, **kw) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_name=_include_name,
        compare_type=True,
        compare_server_default=True,
        transaction_per_migration=True,
        **kw,
    )


def run_offline() -> None:
    url = config.attributes.get("offline_url") or _url()
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return

    from console.db.engine import EngineSettings, make_engine

    engine = make_engine(_url(), EngineSettings(statement_timeout_ms=0, pool_size=1))
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
