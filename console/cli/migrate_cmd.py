"""``autopr-console migrate [--sql] [--yes] [--unlock NAME]``.

The pending work and its SQL are shown before anything runs.  local/dev apply by
themselves; staging needs ``--yes``; prod needs ``--unlock`` with the profile's
name (the same unlock as every other prod write).  DDL waits a few seconds for a
table lock at a time and says how many sessions hold it (see the migrator).
"""

from __future__ import annotations

import argparse
import sys

from console.cli import CommandError
from console.cli.common import open_from_args, profile_from_args
from console.db.migrator import MigrationReport, SchemaState, schema_summary
from console.profiles import Profile


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "migrate",
        parents=[common],
        help="apply pending schema migrations",
        description=(
            "Show and apply the console's pending migrations. staging needs --yes; prod needs "
            "--unlock with the profile's name."
        ),
    )
    p.add_argument(
        "--sql",
        action="store_true",
        help="print the SQL of pending revisions for a DBA instead of applying them",
    )
    p.add_argument("--yes", "-y", action="store_true", help="apply on staging without asking")
    p.add_argument(
        "--unlock",
        metavar="PROFILE_NAME",
        help="unlock prod for this migration by typing the profile's name",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    profile = profile_from_args(args)
    report = _inspect(profile)
    if not args.sql:
        for line in schema_summary(report):
            print(f"-- {line}")
    if report.read_only_reason:
        raise CommandError(report.read_only_reason)
    if args.sql:
        return _print_sql(profile, report)
    if not report.needs_upgrade:
        print(f"{profile.name}: up to date at {report.head}")
        return 0
    _show(profile, report)
    _guard(args, profile, report)
    args.yes = True
    db = open_from_args(args, assume_yes=True, progress=_progress)
    try:
        if db.read_only_reason and not profile.is_prod:
            raise CommandError(db.read_only_reason)
        applied = db.migration.applied
        if applied:
            print(f"applied {', '.join(applied)}; {db.database_name} is at {db.migration.head}")
        else:
            print(f"{db.database_name} is up to date at {db.migration.head}")
    finally:
        db.close()
    return 0


def _guard(args: argparse.Namespace, profile: Profile, report: MigrationReport) -> None:
    """The write guard of every other command: prod needs ``--unlock NAME`` (typing the
    name is the confirmation), staging ``--yes``; refused with exit 3, nothing applied."""
    from console.actions.errors import ActionError
    from console.cli.unlock import SAFETY_EXIT, unlocked_guard

    guard = unlocked_guard(args, profile)
    try:
        guard.check(needs_confirmation=True, confirmed=args.yes or guard.needs_unlock)
    except ActionError:
        raise CommandError(
            f"profile {profile.name!r} ({profile.environment_label}) has pending migrations "
            f"{', '.join(report.pending) or '(history move)'}; read the SQL above and apply "
            "with --yes",
            SAFETY_EXIT,
        ) from None


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _show(profile: Profile, report: MigrationReport) -> None:
    """What will run, and its SQL, before anything runs."""
    print(f"-- {profile.name} ({profile.environment}): pending work")
    for step in report.steps:
        print(f"--   {step}")
    print(report.sql(), end="")


def _print_sql(profile: Profile, report: MigrationReport) -> int:
    """Offline SQL from the database's current state to head."""
    if report.state is SchemaState.CURRENT:
        print(f"-- {profile.name}: up to date at {report.head}; nothing to apply")
        return 0
    print(report.sql(), end="")
    return 0


def _inspect(profile: Profile) -> MigrationReport:
    """The schema state of the profile's database, changing nothing."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from console import paths, secrets
    from console.db.embedded import EmbeddedServer, EmbeddedServerError
    from console.db.engine import make_engine
    from console.db.errors import explain_connection_error
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
