"""Turning driver errors into one-line operator messages."""

from __future__ import annotations

import psycopg.errors as pg
from sqlalchemy.exc import DBAPIError

from console.actions.errors import CONFLICT, CONNECTION, DATABASE, GONE, ActionError
from console.secret_policy import redact_text

# What a constraint means, in words; unknown names fall back to the server's text.
CONSTRAINT_TEXT: dict[str, str] = {
    "chk_completed_at_after_started": "completed_at would be earlier than started_at",
    "chk_execution_status": "not a valid execution status",
    "chk_workflow_status": "not a valid workflow status",
    "chk_event_status": "not a valid event status",
    "chk_order_index_positive": "order_index must be 0 or more",
    "uq_workflow_action_order": "two actions of the workflow would share an order_index",
    "uq_execution_id": "that execution_id is taken",
    "uq_workflow_name": "a workflow with that name exists",
    "uq_integration_name": "an integration with that name exists",
    # The same constraints under the names of a database the engine made.
    "chk_health_status": "not a valid health status",
    "chk_integration_health": "not a valid health status",
    "workflow_actions_workflow_id_order_index_key": (
        "two actions of the workflow would share an order_index"
    ),
    "workflow_executions_execution_id_key": "that execution_id is taken",
    "workflows_name_key": "a workflow with that name exists",
    "integrations_name_key": "an integration with that name exists",
}


def is_connection_lost(exc: BaseException) -> bool:
    """True when the session is gone (network, server restart, terminated backend)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", exc)
    if isinstance(orig, pg.AdminShutdown | pg.CrashShutdown | pg.CannotConnectNow):
        return True
    sqlstate = getattr(orig, "sqlstate", None)
    return isinstance(orig, pg.OperationalError) and (sqlstate is None or sqlstate[:2] == "08")


def explain(exc: BaseException) -> ActionError:
    """One line for the operator; never a stack trace."""
    if is_connection_lost(exc):
        return ActionError(CONNECTION, "the connection to the server was lost; nothing was written")
    orig = getattr(exc, "orig", exc)
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None) if diag else None
    if isinstance(orig, pg.CheckViolation | pg.UniqueViolation):
        what = CONSTRAINT_TEXT.get(constraint or "", _first_line(orig))
        return ActionError(DATABASE, f"the database refused the change: {what} ({constraint})")
    if isinstance(orig, pg.ForeignKeyViolation):
        return ActionError(GONE, "a row this change refers to no longer exists; not written")
    if isinstance(orig, pg.ReadOnlySqlTransaction):
        return ActionError(DATABASE, "the server refuses writes on this connection (read-only)")
    if isinstance(orig, pg.LockNotAvailable):
        return ActionError(CONFLICT, "another writer holds this row right now; try again shortly")
    if isinstance(orig, pg.SerializationFailure | pg.DeadlockDetected):
        return ActionError(CONFLICT, "a concurrent change got in the way; try again")
    if isinstance(orig, pg.QueryCanceled):
        return ActionError(DATABASE, "the server cancelled the statement (timeout); not written")
    return ActionError(DATABASE, f"the database refused the change: {_first_line(orig)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return redact_text(text.splitlines()[0]) if text else type(exc).__name__
