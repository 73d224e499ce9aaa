"""``autopr-console self-test``: check this installation end to end in a throw-away home."""

from __future__ import annotations

import argparse

from console.cli import CommandError


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "self-test",
        help="start a private server, migrate, load demo data, open every page, follow a tail",
        description=(
            "Runs against a temporary embedded server in a temporary directory; your profiles "
            "and data are not touched. Exits 0 when every step passes."
        ),
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="only build and paint the window, print the time since process start",
    )
    p.add_argument(
        "--keep", action="store_true", help="keep the temporary directory (logs, data) afterwards"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from console.selftest import SelfTestFailed, run_quick, run_selftest

    try:
        if args.quick:
            run_quick()
        else:
            run_selftest(keep=args.keep)
            print("self-test passed")
    except SelfTestFailed as exc:
        where = f" (logs kept in {exc.home})" if exc.home else ""
        raise CommandError(f"{exc}{where}") from exc
    return 0
