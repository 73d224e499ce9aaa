"""``autopr-console status [--since 24h] [--format text|json]``: the Overview's figures.

Reads only; exits 0 whenever the figures were read (a monitor judges them).
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d{1,7})\s*([smhdw])\s*$", re.IGNORECASE)
MAX_SINCE = timedelta(days=366)


def parse_window(text: str) -> timedelta:
    """``30m``, ``24h``, ``7d``, ``2w`` (at most a year)."""
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30m, 24h, 7d or 2w")
    span = timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])
    if not timedelta(0) < span <= MAX_SINCE:
        raise argparse.ArgumentTypeError(f"--since must be between 1s and {MAX_SINCE.days} days")
    return span


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "status",
        parents=[common],
        help="the Overview's figures for scripts and monitors",
        description=(
            "Executions by status in the window, failure and timeout rates, running now, "
            "what looks stuck, the event queue and integration health. Reads only."
        ),
    )
    p.add_argument(
        "--since",
        type=parse_window,
        default=timedelta(hours=24),
        metavar="DURATION",
        help="the window: 30m, 24h (default), 7d, 2w",
    )
    p.add_argument("--format", "-f", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from console.cli import CommandError
    from console.cli.common import open_from_args
    from console.db.errors import explain_connection_error
    from console.queries.status import load_status, render_text

    db = open_from_args(args, assume_yes=False)
    try:
        with db.reader.connect() as conn:
            report = load_status(conn, args.since)
    except SQLAlchemyError as exc:
        raise CommandError(str(explain_connection_error(exc))) from exc
    finally:
        db.close()
    source = db.read_source()  # with a replica: which server answered, and why
    if args.format == "json":
        doc = report.as_dict() | {"profile": db.profile.name, "database": db.database_name}
        if source is not None:
            doc["reads"] = {"server": source.server, "lag_s": source.lag_s, "why": source.reason}
        print(json.dumps(doc, indent=2))
    else:
        print(render_text(report, f"{db.profile.name} ({db.database_name})"))
        if source is not None:
            print(source.text())
        if db.read_only_reason:
            print(f"read-only: {db.read_only_reason}")
    return 0
