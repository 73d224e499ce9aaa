"""Locking the target row and checking it is still what the operator saw."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, select

from console.actions.errors import CONFLICT, GONE, INELIGIBLE, ActionError
from console.actions.tx import Tx


def as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def lock_row(
    tx: Tx, table: Table, columns: Sequence[Column[Any]], where: ColumnElement[bool], what: str
) -> dict[str, Any]:
    """``SELECT … FOR UPDATE`` of one row; :data:`GONE` when it is not there."""
    row = tx.conn.execute(select(*columns).where(where).with_for_update()).mappings().first()
    if row is None:
        raise ActionError(GONE, f"{what} no longer exists", target=what)
    return dict(row)


def check_seen(current: Mapping[str, Any], seen: Mapping[str, Any] | None, what: str) -> None:
    """Refuse with what changed when the row differs from what the operator saw."""
    if not seen:
        return
    changes = [
        f"{key} is now {_show(current.get(key))}, was {_show(value)} when you looked"
        for key, value in seen.items()
        if key in current and not _same(current[key], value)
    ]
    if changes:
        raise ActionError(CONFLICT, f"{what} changed meanwhile: {'; '.join(changes)}", target=what)


def require_status(
    current: Mapping[str, Any], allowed: Sequence[str], what: str, verb: str
) -> None:
    status = current.get("status")
    if status not in allowed:
        raise ActionError(
            INELIGIBLE,
            f"{what} is {status}; only {'/'.join(allowed)} can be {verb}",
            target=what,
        )


def _same(current: Any, seen: Any) -> bool:
    if isinstance(current, datetime) and isinstance(seen, str):
        try:
            return current == datetime.fromisoformat(seen)
        except ValueError:
            return False
    if isinstance(current, uuid.UUID) and isinstance(seen, str):
        return str(current) == seen
    return bool(current == seen)


def _show(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)
