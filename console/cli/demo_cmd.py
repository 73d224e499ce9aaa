"""``autopr-console demo``: fill a database with demo data and keep it moving.

autopr-console demo [--profile P | --url URL] [--seed N] [--reset]
                    [--no-simulate] [--open]
autopr-console demo --scale [--scale-factor F] [--workers N] [--keep-indexes]

Demo data goes to local and dev databases only: staging and prod (declared, or
assumed because an ad-hoc URL's server is not on this machine) are refused
outright, by the same write guard as every other write.
"""

from __future__ import annotations

import argparse
import time

from console.actions.guard import WriteGuard
from console.cli import CommandError
from console.cli.common import open_from_args, profile_from_args
from console.cli.gui_cmd import check_window_possible
from console.cli.unlock import demo_guard
from console.db.connection import Database
from console.db.engine import EngineSettings, make_engine
from console.profiles import RESERVED_NAMES


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "demo",
        parents=[common],
        help="fill the database with demo data and run a live simulator",
        description=(
            "Fill the database with realistic demo data (a no-op when it is already there), "
            "then simulate the engine until Ctrl+C. --scale loads benchmark volumes instead."
        ),
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (same seed, same data)")
    p.add_argument("--reset", action="store_true", help="empty the seven tables first")
    p.add_argument("--yes", "-y", action="store_true", help="confirm migrations")
    p.add_argument("--no-simulate", action="store_true", help="fill only, do not simulate")
    p.add_argument("--open", action="store_true", help="open the console window while simulating")
    scale = p.add_argument_group("benchmark volumes")
    scale.add_argument(
        "--scale",
        action="store_true",
        help="load 10K workflows, 1M executions, 10M log lines, 1M events (empty tables only)",
    )
    scale.add_argument(
        "--scale-factor", type=float, default=1.0, metavar="F", help="multiply the volumes by F"
    )
    scale.add_argument("--workers", type=int, default=2, help="parallel loader connections")
    scale.add_argument(
        "--keep-indexes",
        action="store_true",
        help="load with every index in place (slower; for comparison)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.open:  # before the demo data is written and the embedded server starts
        check_window_possible()
    profile = profile_from_args(args)
    guard = demo_guard(profile)  # before connecting: staging and prod are refused outright
    db = open_from_args(args)
    try:
        if db.read_only_reason:
            raise CommandError(db.read_only_reason)
        if args.scale:
            return _scale(args, db)
        _fill(args, db)
        if args.open:
            return _open_with_simulator(args, db, guard)
        if not args.no_simulate:
            _simulate(db, guard)
        return 0
    finally:
        db.close()


def _fill(args: argparse.Namespace, db: Database) -> None:
    from console.demo.dataset import DEFAULT_SEED, fill_demo

    engine = make_engine(db.url, EngineSettings(statement_timeout_ms=0))
    try:
        seed = DEFAULT_SEED if args.seed is None else args.seed
        result = fill_demo(engine, seed=seed, reset=args.reset)
    finally:
        engine.dispose()
    counts = ", ".join(f"{n:,} {t}" for t, n in result.counts.items())
    if result.inserted:
        print(f"demo data written to {db.database_name}: {counts}")
    else:
        print(f"demo data already present in {db.database_name} (use --reset to refill)")


def _simulator(db: Database, guard: WriteGuard):
    from console.demo.simulator import DemoSimulator, SimulatorError

    sim = DemoSimulator(db.conninfo(), guard=guard)
    try:
        sim.start()
    except SimulatorError as exc:
        raise CommandError(str(exc)) from exc
    return sim


def _simulate(db: Database, guard: WriteGuard) -> None:
    sim = _simulator(db, guard)
    print("simulating the engine (executions, logs, events); Ctrl+C to stop")
    try:
        while sim.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    s = sim.stats
    if s.last_error:
        print(f"last simulator error: {s.last_error}")
    print(
        f"simulator stopped: {s.started} executions started, {s.finished} finished, "
        f"{s.retried} retried, {s.log_lines} log lines, {s.events_created} events"
    )


def _open_with_simulator(args: argparse.Namespace, db: Database, guard: WriteGuard) -> int:
    """The window on the database being simulated; on close the simulator stops first.

    Order matters on the embedded server: the window's own handle goes, then the
    simulator cancels what it left running, then ``run`` closes ``db`` (and with
    it the server, when nobody else uses it).
    """
    sim = _simulator(db, guard) if not args.no_simulate else None
    try:
        from console.app import run as run_app

        profile = db.profile
        adhoc = profile.url if profile.name.lower() in RESERVED_NAMES else None
        return int(
            run_app(
                profile=None if adhoc else profile.name,
                url=adhoc,
                environment=None if profile.environment_assumed else profile.environment,
            )
            or 0
        )
    finally:
        if sim is not None:
            sim.stop()


def _scale(args: argparse.Namespace, db: Database) -> int:
    import psycopg

    from console.demo.dataset import truncate_all
    from console.demo.scale import ScaleLoader, ScaleRefused, ScaleSize

    if args.reset:
        engine = make_engine(db.url, EngineSettings(statement_timeout_ms=0))
        try:
            with engine.begin() as conn:
                truncate_all(conn)
        finally:
            engine.dispose()
    size = ScaleSize()
    if args.scale_factor != 1.0:
        size = size.scaled(args.scale_factor)
    print(
        f"loading {size.workflows:,} workflows, {size.executions:,} executions, "
        f"{size.logs:,} log lines, {size.events:,} events into {db.database_name}"
    )
    loader = ScaleLoader(
        db.conninfo(),
        size,
        seed=1 if args.seed is None else args.seed,
        workers=args.workers,
        drop_indexes=not args.keep_indexes,
        progress=lambda msg: print(msg, flush=True),
    )
    try:
        report = loader.run()
    except ScaleRefused as exc:
        raise CommandError(f"{exc} (add --reset to empty them first)") from exc
    except psycopg.Error as exc:
        from console.db.errors import first_line

        raise CommandError(f"scale load failed: {first_line(exc)}") from exc
    print(report.summary())
    return 0
