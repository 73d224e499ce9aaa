"""Operator actions on the command line, through the same action layer and rules as the window.

``execution cancel|retry ID…``, ``workflow set-status NAME STATUS``,
``integration enable|disable NAME`` (``show``/``set-config``: console/cli/integration_cmd.py),
``trigger enable|disable ID``,
``event requeue|ignore ID…``.  prod writes only with ``--unlock <profile name>``;
staging (and prod) destructive or multi-row actions only with ``--yes``.

Exit status: 0 every item done; 1 some item refused (one line per item on
stdout, the first reason on stderr); 2 bad arguments; 3 refused by the safety
rules before anything was tried.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from console.actions import errors
from console.actions.context import ActionContext
from console.actions.errors import ActionError, ActionResult, BulkItem, BulkSummary
from console.cli import CommandError
from console.cli.common import open_from_args, profile_from_args
from console.cli.unlock import SAFETY_EXIT, unlocked_guard
from models.vocab import WORKFLOW_STATUSES

if TYPE_CHECKING:
    from console.db.connection import Database


def register(subparsers, common: argparse.ArgumentParser) -> None:
    acting = argparse.ArgumentParser(add_help=False, parents=[common])
    acting.add_argument(
        "--unlock",
        metavar="PROFILE",
        help="allow writing on a prod profile: type the profile's name",
    )
    acting.add_argument(
        "--yes", "-y", action="store_true", help="confirm destructive or multi-row actions"
    )

    ex = _noun(subparsers, "execution", "cancel or retry executions")
    p = ex.add_parser("cancel", parents=[acting], help="cancel pending/running executions")
    p.add_argument("ids", nargs="+", metavar="ID", help="UUID, execution_id, or the start of one")
    p.set_defaults(func=_execution_cancel)
    p = ex.add_parser("retry", parents=[acting], help="retry failed/timeout/cancelled executions")
    p.add_argument("ids", nargs="+", metavar="ID", help="UUID, execution_id, or the start of one")
    p.add_argument(
        "--override-max-retries",
        action="store_true",
        help="retry even when the workflow's max_retries is reached",
    )
    p.set_defaults(func=_execution_retry)

    wf = _noun(subparsers, "workflow", "change a workflow")
    p = wf.add_parser("set-status", parents=[acting], help="set a workflow's status")
    p.add_argument("name", metavar="NAME", help="workflow name or UUID")
    p.add_argument("status", choices=WORKFLOW_STATUSES)
    p.set_defaults(func=_workflow_set_status)

    for noun, what, target_help in (
        ("integration", "an integration", "integration name or UUID"),
        ("trigger", "a workflow trigger", "trigger UUID"),
    ):
        extra = ", show it or set its config" if noun == "integration" else ""
        sub = _noun(subparsers, noun, f"enable or disable {what}{extra}")
        for verb in ("enable", "disable"):
            p = sub.add_parser(verb, parents=[acting], help=f"{verb} {what}")
            p.add_argument(
                "target", metavar="NAME" if noun == "integration" else "ID", help=target_help
            )
            p.set_defaults(func=_toggle, noun=noun, enabled=verb == "enable")
        if noun == "integration":
            from console.cli import integration_cmd

            integration_cmd.register_verbs(sub, acting, common)  # show, set-config

    ev = _noun(subparsers, "event", "requeue or ignore integration events")
    for verb, help_text in (
        ("requeue", "put failed events back to pending (retry_count + 1)"),
        ("ignore", "mark pending/failed events ignored"),
    ):
        p = ev.add_parser(verb, parents=[acting], help=help_text)
        p.add_argument("ids", nargs="+", metavar="ID", help="event UUID")
        p.set_defaults(func=_event, verb=verb)


def _noun(subparsers, name: str, help_text: str):
    parser = subparsers.add_parser(name, help=help_text)
    sub = parser.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)
    return sub


def _context(args: argparse.Namespace) -> tuple[Database, ActionContext]:
    """Check the unlock before connecting, then open the database."""
    guard = unlocked_guard(args, profile_from_args(args))
    db = open_from_args(args, assume_yes=False)  # --yes confirms the action, not migrations
    return db, ActionContext.for_database(db, guard)


def _run(
    args: argparse.Namespace,
    targets: Sequence[str],
    single: Callable[[ActionContext, str], ActionResult],
    bulk: Callable[[ActionContext, list[BulkItem]], BulkSummary],
    action: str,
) -> int:
    db, ctx = _context(args)
    try:
        if len(targets) == 1:
            try:
                summary = BulkSummary(action, done=[single(ctx, targets[0])])
            except ActionError as err:
                _refuse_early(err, ctx)
                summary = BulkSummary(action, refused=[(targets[0], err)])
        else:
            try:
                summary = bulk(ctx, [BulkItem(t) for t in targets])
            except ActionError as err:
                _refuse_early(err, ctx)
                raise CommandError(str(err)) from None
    finally:
        db.close()  # type: ignore[attr-defined]
    return _report(summary, args)


def _refuse_early(err: ActionError, ctx: ActionContext) -> None:
    if err.kind == errors.CONFIRM:
        raise CommandError(
            f"{ctx.profile} is {ctx.environment}: this action needs confirmation; "
            "repeat with --yes",
            SAFETY_EXIT,
        )
    if err.kind == errors.LOCKED:
        raise CommandError(str(err), SAFETY_EXIT)


def _report(summary: BulkSummary, args: argparse.Namespace) -> int:
    for result in summary.done:
        note = f" ({result.note})" if result.note else ""
        print(f"done     {result.message}{note}")
    for target, err in summary.refused:
        print(f"refused  {target}: {err}")
    if not summary.refused:
        return 0
    _, first = summary.refused[0]
    hint = ""
    if first.kind == errors.MAX_RETRIES:
        hint = " (--override-max-retries)"
    raise CommandError(
        f"{len(summary.refused)} of {summary.total} refused: {first}{hint}",
        1,
    )


def _execution_cancel(args: argparse.Namespace) -> int:
    from console.actions.executions import bulk_cancel, cancel_execution

    return _run(
        args,
        args.ids,
        lambda ctx, t: cancel_execution(ctx, t, confirmed=args.yes),
        lambda ctx, items: bulk_cancel(ctx, items, confirmed=args.yes),
        "cancel",
    )


def _execution_retry(args: argparse.Namespace) -> int:
    from console.actions.executions import bulk_retry, retry_execution

    override = args.override_max_retries
    return _run(
        args,
        args.ids,
        lambda ctx, t: retry_execution(ctx, t, override_max_retries=override, confirmed=args.yes),
        lambda ctx, items: bulk_retry(
            ctx, items, confirmed=args.yes, override_max_retries=override
        ),
        "retry",
    )


def _workflow_set_status(args: argparse.Namespace) -> int:
    from console.actions.workflows import set_workflow_status

    return _run(
        args,
        [args.name],
        lambda ctx, t: set_workflow_status(ctx, t, args.status, confirmed=args.yes),
        _no_bulk,
        "set-status",
    )


def _toggle(args: argparse.Namespace) -> int:
    from console.actions.integrations import set_integration_enabled
    from console.actions.triggers import set_trigger_enabled

    toggle = set_integration_enabled if args.noun == "integration" else set_trigger_enabled
    return _run(
        args,
        [args.target],
        lambda ctx, t: toggle(ctx, t, args.enabled, confirmed=args.yes),
        _no_bulk,
        "enable" if args.enabled else "disable",
    )


def _event(args: argparse.Namespace) -> int:
    from console.actions import events

    if args.verb == "requeue":
        return _run(
            args,
            args.ids,
            lambda ctx, t: events.requeue_event(ctx, t),
            lambda ctx, items: events.bulk_requeue(ctx, items, confirmed=args.yes),
            "requeue",
        )
    return _run(
        args,
        args.ids,
        lambda ctx, t: events.ignore_event(ctx, t, confirmed=args.yes),
        lambda ctx, items: events.bulk_ignore(ctx, items, confirmed=args.yes),
        "ignore",
    )


def _no_bulk(ctx: ActionContext, items: list[BulkItem]) -> BulkSummary:  # pragma: no cover
    raise CommandError("this action takes one target", 2)
