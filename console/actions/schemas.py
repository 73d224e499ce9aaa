"""Checking operator JSON before anything is written.

:func:`parse_object` reports syntax errors with line and column; the pydantic
models (:mod:`console.actions.config_models`, imported only when a shape is
checked: pydantic costs ~5 MiB that a console which never edits JSON does not
need) check the shapes the engine relies on while keeping unknown keys (the text
the operator typed is what gets written, not a re-serialised model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.jsonsafe import JsonInputError, loads_for_postgres


@dataclass
class JsonProblem(Exception):
    """Why the text cannot be saved; ``line``/``column`` are 1-based when known."""

    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"line {self.line}, column {self.column}: {self.message}"
        return self.message


def parse_object(text: str, *, allow_null: bool = False) -> dict[str, Any] | None:
    """The JSON object in ``text``; :class:`JsonProblem` with a position otherwise."""
    try:
        value = loads_for_postgres(text)
    except JsonInputError as exc:
        raise JsonProblem(exc.message, exc.line, exc.column) from None
    if value is None and allow_null:
        return None
    if not isinstance(value, dict):
        expected = "a JSON object {...} or null" if allow_null else "a JSON object {...}"
        raise JsonProblem(f"expected {expected}, got {type(value).__name__}")
    return value


def check_workflow_config(value: dict[str, Any]) -> None:
    from console.actions.config_models import problems

    found = problems("WorkflowConfig", value)
    if found:
        raise JsonProblem("; ".join(found))


# What each editable JSON column must hold: a model of console.actions.config_models.
SHAPES: dict[str, str | None] = {
    "workflow.config": "WorkflowConfig",
    "action.config": None,
    "action.conditions": None,
    "trigger.conditions": None,
    "integration.config": None,
}
NULLABLE = {"action.conditions"}


def parse_and_check(kind: str, text: str) -> dict[str, Any] | None:
    """Parse ``text`` for the column ``kind`` (a key of :data:`SHAPES`) and check its shape."""
    value = parse_object(text, allow_null=kind in NULLABLE)
    model = SHAPES.get(kind)
    if model is not None and value is not None:
        from console.actions.config_models import problems

        found = problems(model, value)
        if found:
            raise JsonProblem("; ".join(found))
    return value
