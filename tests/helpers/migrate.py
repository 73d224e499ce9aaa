"""Run one Alembic command (upgrade/downgrade to a revision) on a database, in-process."""

from __future__ import annotations

from console.db.engine import EngineSettings, make_engine


def migrate(url: str, command_name: str, target: str) -> None:
    """``alembic COMMAND TARGET`` as the console runs it (its connection, its version table)."""
    from alembic import command

    from console.db.migrator import alembic_config

    engine = make_engine(url, EngineSettings(statement_timeout_ms=0))
    try:
        with engine.connect() as conn:
            getattr(command, command_name)(alembic_config(conn), target)
            conn.commit()
    finally:
        engine.dispose()
