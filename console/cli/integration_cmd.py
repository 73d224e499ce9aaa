"""``integration show NAME`` and ``integration set-config NAME --file CONFIG.json``.

Both go through the secrets policy: ``show`` prints the config masked, and a
config given to ``set-config`` may keep the placeholders ``show`` printed; they
keep the stored secrets, matched by key path (see :mod:`console.secret_policy`).
``set-config`` is an action like the others: the same write guard (``--unlock``
on prod), the same audit row.  With ``--if-unchanged-since UPDATED_AT`` (the
``updated_at`` that ``show`` printed) it refuses, writing nothing, when the row
changed after the operator read it, as the window's editor does.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from console.cli import CommandError

FORMATS = ("text", "json")


def register_verbs(sub, acting: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add ``show`` and ``set-config`` to the ``integration`` noun (made by action_cmds)."""
    p = sub.add_parser("show", parents=[common], help="show an integration, secrets masked")
    p.add_argument("target", metavar="NAME", help="integration name or UUID")
    p.add_argument("--format", choices=FORMATS, default="text", help="text (default) or json")
    p.set_defaults(func=_show)
    p = sub.add_parser(
        "set-config",
        parents=[acting],
        help="replace an integration's config from a JSON file (masked values keep the secrets)",
    )
    p.add_argument("target", metavar="NAME", help="integration name or UUID")
    p.add_argument(
        "--file", required=True, metavar="CONFIG.json", help="the new config ('-': stdin)"
    )
    p.add_argument(
        "--if-unchanged-since",
        metavar="UPDATED_AT",
        help="refuse if the integration changed since this updated_at (as `show` printed it)",
    )
    p.set_defaults(func=_set_config)


def _show(args: argparse.Namespace) -> int:
    from console.actions.errors import ActionError
    from console.actions.integrations import show_integration
    from console.cli.common import open_from_args

    db = open_from_args(args, assume_yes=False)
    try:
        row = show_integration(db.engine, args.target)
    except ActionError as err:
        raise CommandError(str(err), 1) from None
    finally:
        db.close()
    doc = {key: _plain(value) for key, value in row.items()}
    if args.format == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return 0
    for key in ("name", "id", "type", "enabled", "health_status", "last_health_check"):
        print(f"{key + ':':<19}{doc[key] if doc[key] is not None else '—'}")
    print(f"{'updated_at:':<19}{doc['updated_at']}  (set-config --if-unchanged-since)")
    print("config:")
    print(json.dumps(doc["config"], indent=2, ensure_ascii=False))
    return 0


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _read_config(source: str) -> dict[str, Any]:
    """The JSON object of ``--file`` (one-line message on any problem, exit status 2)."""
    from console.actions.schemas import JsonProblem, parse_object

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {source}: {exc}", 2) from None
    try:
        value = parse_object(text)
    except JsonProblem as exc:
        raise CommandError(f"{source}: {exc}", 2) from None
    assert value is not None
    return value


def _seen(value: str | None) -> dict[str, Any] | None:
    """What the operator read (``--if-unchanged-since``), checked against the row at write time."""
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"--if-unchanged-since {value!r} is not a timestamp; give the updated_at"
            " that `integration show` printed",
            2,
        ) from None
    if when.tzinfo is None:
        raise CommandError(
            f"--if-unchanged-since {value!r} has no UTC offset; give the updated_at"
            " that `integration show` printed",
            2,
        )
    return {"updated_at": when}


def _set_config(args: argparse.Namespace) -> int:
    from console.actions.integrations import edit_integration_config
    from console.cli.action_cmds import _no_bulk, _run

    config = _read_config(args.file)
    seen = _seen(args.if_unchanged_since)
    return _run(
        args,
        [args.target],
        lambda ctx, target: edit_integration_config(ctx, target, config, seen=seen),
        _no_bulk,
        "set-config",
    )
