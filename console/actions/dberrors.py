"""Driver errors of an action as an :class:`ActionError` (the words: console.db.errors)."""

from __future__ import annotations

from console.actions.errors import ActionError
from console.db.errors import CONSTRAINT_TEXT, is_connection_lost, write_failure

__all__ = ["CONSTRAINT_TEXT", "explain", "is_connection_lost"]


def explain(exc: BaseException) -> ActionError:
    """One line for the operator; never a stack trace."""
    problem = write_failure(exc)
    return ActionError(problem.kind, problem.message)
