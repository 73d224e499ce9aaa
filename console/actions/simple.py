"""The common shape of most actions: lock one row, check it, update it, audit it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, func, update

from console.actions.errors import ActionResult
from console.actions.rows import check_seen, lock_row
from console.actions.tx import Step, Tx
from console.secret_policy import changed_secrets, mask

Values = Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]


def update_step(
    *,
    action: str,
    table: Table,
    where: ColumnElement[bool],
    what: str,
    columns: Sequence[Column[Any]],
    label_key: str,
    values: Values,
    seen: Mapping[str, Any] | None,
    check: Callable[[dict[str, Any]], None] | None = None,
    shown: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    verb: str = "updated",
) -> Step:
    """A step that updates one row; ``shown`` picks what the audit row keeps (masked)."""

    def step(tx: Tx) -> ActionResult:
        row = lock_row(tx, table, columns, where, what)
        name = f"{what.split(' ')[0]} {row[label_key]}"
        check_seen(row, seen, name)
        if check is not None:
            check(row)
        new_values = dict(values(row) if callable(values) else values)
        if "updated_at" in table.c:
            new_values["updated_at"] = func.now()
        after = (
            tx.conn.execute(
                update(table)
                .where(table.c.id == row["id"])
                .values(**new_values)
                .returning(*columns)
            )
            .mappings()
            .one()
        )
        pick = shown or (lambda r: {k: r[k] for k in new_values if k in r})
        before_s, after_s = mask(pick(row)), mask(pick(dict(after)))
        secrets = [
            f"{key}.{path}" if path else key
            for key in new_values
            if isinstance(row.get(key), dict | list) or isinstance(after.get(key), dict | list)
            for path in changed_secrets(row.get(key), after.get(key))
        ]
        if secrets:  # masked, a replaced secret would look unchanged: name what changed
            after_s["masked_changes"] = secrets
        audit_id = tx.audit(action, table.name, row["id"], before_s, after_s)
        return ActionResult(
            action,
            table.name,
            str(row["id"]),
            str(row[label_key]),
            f"{verb} {name}",
            audit_id,
            before_s,
            after_s,
        )

    return step


def enabled_step(
    *,
    noun: str,
    table: Table,
    where: ColumnElement[bool],
    target: str,
    columns: Sequence[Column[Any]],
    label_key: str,
    enabled: bool,
    seen: Mapping[str, Any] | None,
) -> Step:
    """Enable or disable one row (integrations, triggers); refuses a no-op."""
    from console.actions.errors import INELIGIBLE, ActionError

    word = "enabled" if enabled else "disabled"

    def check(row: dict[str, Any]) -> None:
        if row["enabled"] == enabled:
            raise ActionError(INELIGIBLE, f"{noun} {row[label_key]} is already {word}")

    return update_step(
        action=f"{noun}.{'enable' if enabled else 'disable'}",
        table=table,
        where=where,
        what=f"{noun} {target}",
        columns=columns,
        label_key=label_key,
        values={"enabled": enabled},
        seen=seen,
        check=check,
        verb=word,
    )
