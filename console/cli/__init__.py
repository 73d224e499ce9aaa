"""The ``autopr-console`` command line.

With no sub-command it opens the window.  Each sub-command lives in its own
module under ``console/cli/`` exposing ``register(subparsers, common)``;
``COMMAND_MODULES`` lists them (explicitly, so a frozen app finds them all).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from console import APP_ID, __version__
from console.environments import ENVIRONMENTS

COMMAND_MODULES: tuple[str, ...] = (
    "console.cli.gui_cmd",
    "console.cli.profile_cmd",
    "console.cli.migrate_cmd",
    "console.cli.demo_cmd",
    "console.cli.tail_cmd",
    "console.cli.screenshot_cmd",
    "console.cli.action_cmds",
    "console.cli.selftest_cmd",
    "console.cli.logs_cmd",
    "console.cli.status_cmd",
    "console.cli.open_cmd",
)


def common_parser(*, for_subcommand: bool = True) -> argparse.ArgumentParser:
    """Options every command takes: which database to use.

    They work before or after the sub-command: in a sub-command's parser the
    defaults are suppressed, so it does not overwrite a value the main parser
    already read.
    """
    default = argparse.SUPPRESS if for_subcommand else None
    common = argparse.ArgumentParser(add_help=False)
    target = common.add_mutually_exclusive_group()
    target.add_argument(
        "--profile", "-p", metavar="P", default=default, help="connection profile (default: local)"
    )
    target.add_argument(
        "--url", metavar="URL", default=default, help="database URL (overrides profiles)"
    )
    common.add_argument(
        "--replica-url",
        metavar="URL",
        default=default,
        action="append",
        help="a streaming replica that answers the reads (writes go to the primary); repeat "
        "for several",
    )
    common.add_argument(
        "--environment",
        choices=ENVIRONMENTS,
        default=default,
        help=(
            "declare what --url / DATABASE_URL is (also AUTOPR_ENVIRONMENT); undeclared, "
            "a server not on this machine is taken as prod"
        ),
    )
    return common


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    common = common_parser()
    parser = argparse.ArgumentParser(
        prog=APP_ID,
        description="Operator console for the AutoPR Engine database.",
        parents=[common_parser(for_subcommand=False)],
    )
    parser.add_argument("--version", action="version", version=f"{APP_ID} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(name).register(subparsers, common)
    return parser


def _opens_window(args: list[str]) -> bool:
    """True for the window's command lines (no command or ``gui``, with global options).

    They are parsed without importing the other commands, whose modules load the data
    layer (SQLAlchemy, Alembic: about half a second) before the window could show.
    """
    parser = common_parser(for_subcommand=False)

    def refuse(message: str):
        raise ValueError(message)

    parser.error = refuse  # type: ignore[method-assign]  # the full parser explains
    try:
        _known, rest = parser.parse_known_args(args)
    except ValueError:
        return False
    return rest in ([], ["gui"])


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in == ["--version"]:
        # Answered before the sub-commands (and the data layer they import) are loaded.
        print(f"{APP_ID} {__version__}")
        return 0
    if args_in and args_in[0].lower().startswith("autopr://"):
        args_in.insert(0, "open")  # a desktop's scheme handler passes the bare link
    window = _opens_window(args_in)
    parser = build_parser(("console.cli.gui_cmd",) if window else COMMAND_MODULES)
    args = parser.parse_args(args_in)
    func = getattr(args, "func", None)
    if func is None:
        from console.cli.gui_cmd import run_gui

        func = run_gui
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except CommandError as exc:
        print(f"{APP_ID}: {exc}", file=sys.stderr)
        return exc.exit_code


class CommandError(Exception):
    """A refusal or failure reported as one line on stderr with a non-zero exit status."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
