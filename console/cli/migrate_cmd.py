"""``autopr-console migrate [--sql] [--yes]``."""

from __future__ import annotations

import argparse

from console.cli import CommandError
from console.cli.common import open_from_args, profile_from_args
from console.db.migrator import MigrationReport
from console.profiles import Profile


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
    from console.db.migrator import SchemaState, pending_sql

    profile = profile_from_args(args)
    report = _inspect(profile)
    if report.state in (SchemaState.AHEAD, SchemaState.UNMANAGED):
        raise CommandError(report.read_only_reason or "schema not managed by this console")
    if report.state is SchemaState.CURRENT:
        print(f"-- {profile.name}: up to date at {report.head}; nothing to apply")
        return 0
    start = report.current[0] if report.current else None
    print(pending_sql(start), end="")
    return 0


def _inspect(profile: Profile) -> MigrationReport:
    """The schema state of the profile's database, changing nothing."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from console import paths, secrets
    from console.db.connection import explain_connection_error
    from console.db.embedded import EmbeddedServer, EmbeddedServerError
    from console.db.engine import make_engine
    from console.db.migrator import inspect_schema
    from console.profiles import RESERVED_NAMES

    server = None
    if profile.embedded:
        server = EmbeddedServer(paths.embedded_root())
        try:
            address = server.start()
            server.ensure_database(profile.database_name())
        except (EmbeddedServerError, OSError) as exc:
            server.stop()
            raise CommandError(f"the embedded server could not start: {exc}") from exc
        url = make_url(address.url(profile.database_name()))
    else:
        stored = None
        if profile.name.lower() not in RESERVED_NAMES:
            stored = secrets.get_password(profile.name)
        url = profile.sqlalchemy_url(stored)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return inspect_schema(conn)
    except SQLAlchemyError as exc:
        raise CommandError(str(explain_connection_error(exc, url))) from exc
    finally:
        engine.dispose()
        if server is not None:
            server.stop()
