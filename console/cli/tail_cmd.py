"""``autopr-console tail (--execution ID | --running)``: print log lines as they commit.

With ``--execution`` it exits 0 by itself once the execution is terminal and
every committed line has been printed.  Ctrl+C exits 130, a closed pipe
(``| head``) exits quietly.  Status (mode, reconnecting, the end) goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import UTC, datetime, timedelta

from console import APP_ID
from console.cli import CommandError
from models.vocab import LOG_LEVELS, levels_at_least

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``90`` (seconds), ``30s``, ``10m``, ``2h``, ``1d``, ``1w``, or an ISO-8601 time."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text)
    if match:
        seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
        try:
            return now - timedelta(seconds=seconds)
        except OverflowError:  # longer ago than 0001-01-01: the whole log
            return datetime.min.replace(tzinfo=UTC)
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration (30s, 10m, 2h, 1d) or an ISO-8601 time"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "tail",
        parents=[common],
        help="follow execution logs as they commit",
        description=(
            "Print execution log lines as they commit, each exactly once. With --execution, "
            "print its log so far, follow it, and exit once it is terminal."
        ),
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--execution", "-e", metavar="ID", help="execution UUID or execution_id")
    which.add_argument(
        "--running", action="store_true", help="every running execution, merged (new lines)"
    )
    p.add_argument("--format", "-f", choices=("text", "jsonl"), default="text")
    p.add_argument("--level", "-l", type=str.upper, choices=LOG_LEVELS, help="minimum level")
    p.add_argument(
        "--since",
        type=parse_since,
        metavar="DURATION",
        help="history from this long ago (10m, 2h, 1d or ISO time); "
        "default: the whole log with --execution, none with --running",
    )
    p.add_argument(
        "--poll",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="polling interval where LISTEN is not available (default 1)",
    )
    p.add_argument("--no-listen", action="store_true", help="poll even where LISTEN works")
    p.add_argument(
        "--watch",
        action="store_true",
        help="also watch the execution (with --execution): kept in the profile's watches, so "
        "the console notifies when it fails, times out or looks stuck; the end is said here",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from console.cli.common import open_from_args

    if args.poll <= 0:
        raise CommandError("--poll must be positive", 2)
    if getattr(args, "watch", False) and not args.execution:
        raise CommandError("--watch needs --execution ID (the execution to watch)", 2)
    db = open_from_args(args)
    try:
        return _follow(args, db)
    except BrokenPipeError:
        _silence_stdout()
        return 0
    finally:
        db.close()


def _follow(args: argparse.Namespace, db) -> int:
    import psycopg

    from console.tail.engine import TailEngine, TailError, TailOptions, TailState
    from console.tail.lines import TailLine, format_jsonl, format_text
    from console.tail.resolve import ExecutionNotFound, resolve_execution

    conninfo = db.read_conninfo()
    source = db.read_source()
    if source is not None:
        print(f"{APP_ID} tail: {source.text()}", file=sys.stderr, flush=True)
    execution = None
    code = None
    if args.execution:
        try:
            with db.connect_raw("autopr-console-tail") as conn:
                ref = resolve_execution(conn, args.execution)
        except ExecutionNotFound as exc:
            raise CommandError(str(exc)) from exc
        except psycopg.Error as exc:
            from console.db.errors import first_line

            raise CommandError(f"could not look up the execution: {first_line(exc)}") from exc
        execution, code = ref.id, ref.code
        if getattr(args, "watch", False):
            _add_watch(db.profile.name, ref.code)
    options = TailOptions(
        execution=execution,
        levels=levels_at_least(args.level) if args.level else None,
        since=args.since,
        listen=not args.no_listen,
        poll_interval_s=args.poll,
        application_name=f"{APP_ID}-tail-cli",
    )
    out = sys.stdout
    merged = execution is None
    if args.format == "jsonl":

        def render(line: TailLine) -> str:
            return format_jsonl(line)
    else:

        def render(line: TailLine) -> str:
            return format_text(line, with_execution=merged)

    def on_lines(lines: list[TailLine]) -> None:
        out.write("".join(render(line) + "\n" for line in lines))
        out.flush()

    last_note = [""]

    def on_state(state: TailState) -> None:
        note = {
            "live": state.describe(),
            "reconnecting": state.describe(),
            "failed": state.message,
        }.get(state.phase)
        if note and note != last_note[0]:
            last_note[0] = note
            print(f"{APP_ID} tail: {note}", file=sys.stderr, flush=True)

    engine = TailEngine(conninfo, options, on_lines, on_state, listen_allowed=db.listen_allowed)
    try:
        finished = engine.run()
    except TailError as exc:
        raise CommandError(str(exc)) from exc
    if finished is not None:
        print(f"{APP_ID} tail: execution {finished.describe()}", file=sys.stderr, flush=True)
        if getattr(args, "watch", False) and finished.status in ("failed", "timeout"):
            print(
                f"{APP_ID} tail: WATCH: execution {code} {finished.status} on {db.profile.name}",
                file=sys.stderr,
                flush=True,
            )
    return 0


def _add_watch(profile: str, execution_code: str) -> None:
    """Keep the watch in the profile's watches (the console's settings file)."""
    from console import settings_store
    from console.watches import Watch

    watches = settings_store.load_watches(profile)
    watches.add(Watch("execution", execution_code))
    settings_store.save_watches(profile, watches)
    print(
        f"{APP_ID} tail: watching execution {execution_code} on {profile}",
        file=sys.stderr,
        flush=True,
    )


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
