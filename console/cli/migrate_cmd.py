"""``autopr-console migrate [--sql] [--yes]``."""

from __future__ import annotations

import argparse

from console.cli import CommandError
from console.cli.common import open_from_args, profile_from_args


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "migrate",
        parents=[common],
        help="apply pending schema migrations",
        description="Apply pending migrations. staging and prod refuse unless --yes is given.",
    )
    p.add_argument(
        "--sql",
        action="store_true",
        help="print the SQL of pending revisions for a DBA instead of applying them",
    )
    p.add_argument("--yes", "-y", action="store_true", help="apply on staging/prod without asking")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.sql:
        return _print_sql(args)
    db = open_from_args(args)
    try:
        report = db.migration
        if db.read_only_reason:
            raise CommandError(db.read_only_reason)
        if report.applied:
            print(f"applied {', '.join(report.applied)}; {db.database_name} is at {report.head}")
        else:
            print(f"{db.database_name} is up to date at {report.head}")
    finally:
        db.close()
    return 0


def _print_sql(args: argparse.Namespace) -> int:
    """Offline SQL from the database's current revision (or from scratch) to head."""
    from sqlalchemy.exc import SQLAlchemyError

    from console.db.connection import explain_connection_error
    from console.db.engine import make_engine
    from console.db.migrator import SchemaState, inspect_schema, pending_sql

    profile = profile_from_args(args)
    start = None
    if not profile.embedded:
        from console import secrets

        url = profile.sqlalchemy_url(secrets.get_password(profile.name))
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                report = inspect_schema(conn)
        except SQLAlchemyError as exc:
            raise CommandError(str(explain_connection_error(exc, url))) from exc
        finally:
            engine.dispose()
        if report.state in (SchemaState.AHEAD, SchemaState.UNMANAGED):
            raise CommandError(report.read_only_reason or "schema not managed by this console")
        if report.state is SchemaState.CURRENT:
            print(f"-- {profile.name}: up to date at {report.head}; nothing to apply")
            return 0
        start = report.current[0] if report.current else None
    print(pending_sql(start), end="")
    return 0
