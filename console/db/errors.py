"""Database and connection errors as one-line operator messages.

The one place that reads an error's class and SQLSTATE: the table pages, the
Overview, the live tail, the CLI and the actions all ask here, so the same
failure reads the same everywhere and never carries a password or a traceback.
Plain psycopg here (no SQLAlchemy import: the live tail uses it too); SQLAlchemy's
wrappers are read through their ``orig``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import psycopg
import psycopg.errors as pg

from console.secret_policy import redact_text

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

# What kind of trouble, so callers can react (the actions map these onto ActionError kinds).
ProblemKind = Literal["connection", "conflict", "gone", "database"]

# SQLSTATE classes: 08 connection exception, 57P0x operator intervention (shutdown).
CONNECTION_CLASS = "08"
QUERY_CANCELED = "57014"

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


@dataclass(frozen=True)
class Problem:
    """A failed write, in words."""

    kind: ProblemKind
    message: str


def driver_error(exc: BaseException) -> BaseException:
    """The psycopg error under a SQLAlchemy wrapper (or ``exc`` itself)."""
    orig = getattr(exc, "orig", None)
    return orig if isinstance(orig, BaseException) else exc


def sqlstate(exc: BaseException) -> str | None:
    """The server's SQLSTATE, or None (client-side failures carry none)."""
    code = getattr(driver_error(exc), "sqlstate", None)
    return code if isinstance(code, str) else None


def is_database_error(exc: BaseException) -> bool:
    """True for a driver error, bare or wrapped by SQLAlchemy (as opposed to a bug of ours)."""
    return isinstance(driver_error(exc), psycopg.Error)


def is_connection_lost(exc: BaseException) -> bool:
    """True when the session is gone (network, server restart, terminated backend)."""
    if getattr(exc, "connection_invalidated", False):  # SQLAlchemy's DBAPIError
        return True
    orig = driver_error(exc)
    if isinstance(orig, pg.AdminShutdown | pg.CrashShutdown | pg.CannotConnectNow):
        return True
    code = sqlstate(orig)
    return isinstance(orig, psycopg.OperationalError) and (
        code is None or code.startswith(CONNECTION_CLASS)
    )


def is_statement_timeout(exc: BaseException) -> bool:
    """A statement stopped by ``statement_timeout`` (57014; a cancel request is the other 57014).

    The server gives both the same SQLSTATE; its primary message tells them apart.
    """
    orig = driver_error(exc)
    if not isinstance(orig, pg.QueryCanceled):
        return False
    primary = getattr(getattr(orig, "diag", None), "message_primary", None) or str(orig)
    return "statement timeout" in primary


def first_line(exc: BaseException) -> str:
    """The first line of the driver's message, secrets redacted; the class name if empty."""
    orig = driver_error(exc)
    text = str(orig).strip()
    return redact_text(text.splitlines()[0]) if text else type(orig).__name__


def read_failure(exc: BaseException) -> str:
    """A failed read (a table page, its details pane): one sentence for the status area."""
    if is_statement_timeout(exc):
        return "The query took too long and was stopped; narrow the filters (e.g. a time range)."
    if isinstance(driver_error(exc), pg.QueryCanceled):
        return "The query was cancelled."
    if is_connection_lost(exc) or isinstance(driver_error(exc), ConnectionError):
        return "Lost the connection to the database; it will be retried on refresh."
    return f"The query failed: {first_line(exc)[:200]}"


def reason(exc: BaseException, url: URL | None = None) -> str:
    """A short clause for "Could not <do X>: <reason>" (the Overview, the connect path).

    Driver errors read as the connection code explains them (unreachable, timeout,
    wrong password, ...); anything else gives its first line.
    """
    if is_database_error(exc):
        from console.db.connection import explain_connection_error

        return str(explain_connection_error(exc, url))
    return first_line(exc)


def write_failure(exc: BaseException) -> Problem:
    """A failed write (an action): what happened and whether anything was written."""
    if is_connection_lost(exc):
        return Problem("connection", "the connection to the server was lost; nothing was written")
    orig = driver_error(exc)
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None) if diag else None
    if isinstance(orig, pg.CheckViolation | pg.UniqueViolation):
        what = CONSTRAINT_TEXT.get(constraint or "", first_line(orig))
        return Problem("database", f"the database refused the change: {what} ({constraint})")
    if isinstance(orig, pg.ForeignKeyViolation):
        return Problem("gone", "a row this change refers to no longer exists; not written")
    if isinstance(orig, pg.ReadOnlySqlTransaction):
        return Problem("database", "the server refuses writes on this connection (read-only)")
    if isinstance(orig, pg.LockNotAvailable):
        return Problem("conflict", "another writer holds this row right now; try again shortly")
    if isinstance(orig, pg.SerializationFailure | pg.DeadlockDetected):
        return Problem("conflict", "a concurrent change got in the way; try again")
    if isinstance(orig, pg.QueryCanceled):
        return Problem("database", "the server cancelled the statement (timeout); not written")
    return Problem("database", f"the database refused the change: {first_line(orig)}")
