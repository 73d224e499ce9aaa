"""``autopr-console logs partition|retain``: month partitions and retention of ``execution_logs``.

Both go through the write guard of the action commands: prod only with
``--unlock <profile>``, staging and prod only with ``--yes`` (the plan is
printed either way, so a run without ``--yes`` shows what would happen).
"""

from __future__ import annotations

import argparse

from console.actions import errors
from console.actions.errors import ActionError, ActionResult
from console.actions.tx import Tx, perform
from console.cli import CommandError
from console.cli.action_cmds import SAFETY_EXIT, _context

AUDIT_TARGET = "execution_logs"


def register(subparsers, common: argparse.ArgumentParser) -> None:
    acting = argparse.ArgumentParser(add_help=False, parents=[common])
    acting.add_argument(
        "--unlock", metavar="PROFILE", help="allow writing on a prod profile: type its name"
    )
    acting.add_argument("--yes", "-y", action="store_true", help="confirm (staging and prod)")
    logs = subparsers.add_parser("logs", help="maintain execution_logs: partitions, retention")
    sub = logs.add_subparsers(dest="logs_command", metavar="ACTION", required=True)

    p = sub.add_parser(
        "partition",
        parents=[acting],
        help="partition execution_logs by month on created_at (online); rerun to add months",
    )
    p.add_argument(
        "--months-ahead", type=int, default=3, metavar="N", help="months to create ahead (3)"
    )
    p.set_defaults(func=_partition)

    p = sub.add_parser(
        "retain",
        parents=[acting],
        help="remove log lines older than a cut (partitions dropped, else batched deletes)",
    )
    p.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 90d, 12w, 36h")
    p.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    p.set_defaults(func=_retain)


def _guard(ctx, args: argparse.Namespace) -> None:
    try:
        ctx.check_may_write(needs_confirmation=True, confirmed=args.yes)
    except ActionError as err:
        if err.kind == errors.CONFIRM:
            raise CommandError(
                f"{ctx.profile} is {ctx.environment}: this needs confirmation; repeat with --yes",
                SAFETY_EXIT,
            ) from None
        raise CommandError(str(err), SAFETY_EXIT) from None


def _partition(args: argparse.Namespace) -> int:
    from console.logstore.partition import Partitioner, PartitionError

    db, ctx = _context(args)
    try:
        try:
            part = Partitioner(
                db.conninfo(),
                months_ahead=args.months_ahead,
                progress=lambda msg: print(msg, flush=True),
            )
            print(part.plan(), flush=True)
            _guard(ctx, args)
            report = part.run(ctx, confirmed=args.yes)
        except PartitionError as exc:
            raise CommandError(str(exc)) from None
        for step, seconds in report.steps.items():
            print(f"{step:<45} {seconds:8.2f} s")
        longest = report.longest_exclusive
        if longest is not None:
            print(
                f"longest exclusive lock held: {longest.held_s * 1000:.1f} ms ({longest.step}, "
                f"waited {longest.waited_s * 1000:.1f} ms for it)"
            )
        created = ", ".join(report.created) or "none"
        print(f"partitions created: {created}")
        _audit(
            ctx,
            "logs.partition",
            {
                "converted": report.converted,
                "created": report.created,
                "moved_rows": report.moved_rows,
                "longest_lock_ms": round(longest.held_s * 1000, 1) if longest else 0,
            },
        )
    finally:
        db.close()
    return 0


def _retain(args: argparse.Namespace) -> int:
    from console.logstore.retention import RetentionError, apply_plan, make_plan, parse_age

    try:
        age = parse_age(args.older_than)
    except RetentionError as exc:
        raise CommandError(str(exc), 2) from None
    db, ctx = _context(args)
    try:
        with db.engine.connect() as conn:
            plan = make_plan(conn, age)
        print(plan.summary(), flush=True)
        if args.dry_run or not plan.removals:
            return 0
        _guard(ctx, args)
        try:
            report = apply_plan(
                ctx, plan, confirmed=args.yes, progress=lambda msg: print(msg, flush=True)
            )
        except ActionError as exc:
            raise CommandError(str(exc), SAFETY_EXIT if exc.kind == errors.LOCKED else 1) from None
        about = "about " if report.estimated else ""
        print(
            f"removed {about}{report.dropped_rows + report.deleted_rows:,} lines: "
            f"{len(report.dropped)} partition(s) dropped ({about}{report.dropped_rows:,} lines), "
            f"{report.deleted_rows:,} deleted in batches; {report.audit_rows} audit rows"
        )
    finally:
        db.close()
    return 0


def _audit(ctx, action: str, after: dict) -> None:
    def step(tx: Tx) -> ActionResult:
        audit = tx.audit(action, AUDIT_TARGET, AUDIT_TARGET, None, after)
        return ActionResult(action, AUDIT_TARGET, AUDIT_TARGET, AUDIT_TARGET, action, audit)

    perform(ctx, step, needs_confirmation=False)
