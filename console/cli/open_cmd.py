"""``autopr-console open LINK``: show an ``autopr://`` link in the running console, or a new one."""

from __future__ import annotations

import argparse
import sys


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "open",
        parents=[common],
        help="open an autopr:// link (in the running console when there is one)",
        description=(
            "Open an autopr://PROFILE/KIND/… link: the console already running for this user "
            "shows it and comes to the front; without one a console starts on it."
        ),
    )
    p.add_argument("link", metavar="LINK", help="autopr://PROFILE/execution/ID and the like")
    p.add_argument(
        "--new-window",
        action="store_true",
        help="start a new console even when one is running",
    )
    p.set_defaults(func=run_open)


def run_open(args: argparse.Namespace) -> int:
    from console.cli import CommandError
    from console.links import LinkError, parse_link

    try:
        parse_link(args.link)
    except LinkError as exc:
        raise CommandError(str(exc), 2) from None
    if not args.new_window:
        from console.ui.single_instance import send

        answer = send({"open": args.link})
        if answer is not None:
            message = str(answer.get("message") or "")
            if message:
                print(message, file=sys.stderr if not answer.get("ok") else sys.stdout)
            return 0 if answer.get("ok") else 1
    from console.cli.gui_cmd import check_window_possible

    check_window_possible()
    from console.app import run

    return run(link=args.link)
