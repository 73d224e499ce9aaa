"""``autopr-console`` (no command) or ``autopr-console gui``: open the window."""

from __future__ import annotations

import argparse


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("gui", parents=[common], help="open the console window (default)")
    p.set_defaults(func=run_gui)


def run_gui(args: argparse.Namespace) -> int:
    check_window_possible()
    from console.ui import pyside_sources

    pyside_sources.install()  # before the bulk of the imports (see the module)
    from console.app import run

    return run(
        profile=getattr(args, "profile", None),
        url=getattr(args, "url", None),
        environment=getattr(args, "environment", None),
        replica_urls=getattr(args, "replica_url", None),
    )


def check_window_possible() -> None:
    """Refuse in one line, before anything is started or written, where no window can open."""
    from console.cli import CommandError
    from console.ui.platform_check import window_problem

    problem = window_problem()
    if problem:
        raise CommandError(f"cannot open the window: {problem}", 3)
