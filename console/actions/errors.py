"""What an action answers: a result per target, or an operator-facing refusal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Final, Literal

# Kinds of ActionError, so the UI can react (ask to unlock, to confirm, to override).
ActionErrorKind = Literal[
    "locked",
    "confirm",
    "conflict",
    "gone",
    "ineligible",
    "max-retries",
    "invalid",
    "database",
    "connection",
    "unverified",
]
LOCKED: Final = "locked"  # prod without an unlock, or a database opened read-only
CONFIRM: Final = "confirm"  # staging/prod destructive or bulk action without confirmation
CONFLICT: Final = "conflict"  # the row changed since the operator looked
GONE: Final = "gone"  # the row vanished
INELIGIBLE: Final = "ineligible"  # the row is in a state the action does not apply to
MAX_RETRIES: Final = "max-retries"  # retry beyond the workflow's max_retries without an override
INVALID: Final = "invalid"  # the operator's input does not validate
DATABASE: Final = "database"  # the server refused (CHECK, unique, read-only, timeout, ...)
CONNECTION: Final = "connection"  # the connection was lost; nothing was written
UNVERIFIED: Final = "unverified"  # lost while committing and the server could not be asked


class ActionError(Exception):
    """A refusal or failure; ``str()`` is one line fit for an operator."""

    def __init__(self, kind: ActionErrorKind, message: str, *, target: str | None = None) -> None:
        super().__init__(message)
        self.kind: ActionErrorKind = kind
        self.message = message
        self.target = target

    def __str__(self) -> str:
        return self.message


@dataclass
class ActionResult:
    """One change that was committed, with the audit row that records it."""

    action: str
    target_table: str
    target_id: str
    label: str  # what the operator knows the row by (execution_id, name, ...)
    message: str  # one line: "cancelled exec-..."
    audit_id: uuid.UUID
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    created_id: str | None = None  # id of a row the action created (retry)
    note: str | None = None  # e.g. "confirmed after the connection dropped"


@dataclass
class BulkItem:
    """A target of a bulk action and, when known, what the operator saw of it."""

    target: str
    seen: dict[str, Any] | None = None


@dataclass
class BulkSummary:
    """Outcome of a bulk action: what was done and what was refused, and why."""

    action: str
    done: list[ActionResult] = field(default_factory=list)
    refused: list[tuple[str, ActionError]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.done) + len(self.refused)

    def reasons(self) -> dict[str, int]:
        """Refusals grouped by reason (kind), for the summary dialog."""
        counts: dict[str, int] = {}
        for _, err in self.refused:
            counts[err.kind] = counts.get(err.kind, 0) + 1
        return counts

    def headline(self) -> str:
        text = f"{self.action}: {len(self.done)} done, {len(self.refused)} refused"
        if self.refused:
            parts = ", ".join(f"{n} {kind}" for kind, n in sorted(self.reasons().items()))
            text += f" ({parts})"
        return text
