"""Database and connection errors as one-line operator messages.

The one place that reads an error's class and SQLSTATE: the table pages, the
Overview, the live tail, the CLI, the connect path and the actions all ask here, so
the same failure reads the same everywhere and never carries a password or a
traceback.  Plain psycopg here (no SQLAlchemy import: the live tail uses it too);
SQLAlchemy's wrappers are read through their ``orig``.

Connection failures are the exception to "class and SQLSTATE": libpq reports a
failed connection attempt without a SQLSTATE (there is no PGresult, so psycopg's
``sqlstate`` and ``diag`` are empty), whether the server refused it (wrong password,
unknown role or database, pg_hba.conf) or the client never got there (refused,
unreachable, no socket).  :func:`connection_cause` therefore reads, in this order,
what is structured and only then the text:

1. the class: ``TunnelFailed``, ``psycopg.errors.ConnectionTimeout``, and the
   SQLSTATE of an error that has one (a session that was open, the engine's pool);
2. the failed connection psycopg attaches (``exc.pgconn``): ``needs_password``;
3. the host name: psycopg resolves it before libpq runs; when no connection was
   attempted and the URL's host does not resolve (``socket.gaierror``), that is why;
4. the text, here only: the server's primary FATAL messages mapped to the SQLSTATE
   they carry on the server (:data:`SERVER_FATALS`), the platform's own ``strerror``
   texts mapped to their errno (:data:`ERRNO_CAUSES`, from ``os.strerror``), and
   libpq's and OpenSSL's TLS phrases (:func:`explain_tls_error`).

A server that speaks another language (``lc_messages``) is not matched in step 4 and
reads as "could not connect: <its first line>", never as a wrong cause.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import psycopg
import psycopg.errors as pg

from console.db.ssh_errors import TunnelFailed
from console.secret_policy import redact_text

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from console.db.tls import ServerCertificate
    from console.db.tunnel import SSHTunnel

log = logging.getLogger(__name__)

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
    """A short clause for "Could not <do X>: <reason>" (the Overview, opening a link).

    A connection that could not be made reads as :func:`explain_connection_error` says
    (unreachable, timeout, wrong password, ...); a session lost or a statement refused
    as :func:`read_failure` says; anything else gives its first line.
    """
    if not is_database_error(exc):
        return first_line(exc)
    if connection_cause(exc, url) is not None:
        return str(explain_connection_error(exc, url))
    sentence = read_failure(exc).rstrip(".")
    return sentence[:1].lower() + sentence[1:]


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


# --------------------------------------------------------------------------- connecting
TunnelKind = Literal[
    "tunnel-unreachable",
    "tunnel-auth",
    "tunnel-hostkey",
    "tunnel-passphrase",
    "tunnel-client",
    "tunnel",
]
TlsKind = Literal[
    "tls-name", "tls-expired", "tls-ca", "tls-files", "tls-passphrase", "tls-clientcert", "tls-off"
]
# Why connecting failed, for callers that react (retry, ask for a password, try a replica).
FailureKind = (
    Literal[
        "unreachable", "auth", "missing-db", "timeout", "embedded", "refused", "migration", "error"
    ]
    | TunnelKind
    | TlsKind
)
# What stopped a connection attempt, before it is put in words.
Cause = Literal[
    "password",  # 28P01, or no password to give (PQconnectionNeedsPassword)
    "role",  # 28000: the role does not exist
    "hba",  # 28000: pg_hba.conf has no entry or rejects it
    "database",  # 3D000
    "starting",  # 57P03: starting up, shutting down, in recovery without hot standby
    "slots",  # 53300: no free connection slots
    "timeout",  # connect_timeout expired
    "unreachable",  # refused, no route, no socket
    "host-name",  # the host name does not resolve
]

_CAUSE_TEXT: dict[Cause, tuple[str, FailureKind]] = {
    "password": ("wrong or missing password for this profile", "auth"),
    "role": ("the user does not exist on that server", "auth"),
    "hba": ("the server refuses this connection (pg_hba.conf)", "refused"),
    "database": ("the database does not exist on that server", "missing-db"),
    "starting": ("the server is starting up or shutting down; try again shortly", "unreachable"),
    "slots": ("the server has no free connection slots (max_connections)", "refused"),
    "timeout": ("the server did not answer in time", "timeout"),
    "unreachable": ("the server cannot be reached", "unreachable"),
    "host-name": ("the server cannot be reached: its host name does not resolve", "unreachable"),
}

CAUSE_BY_SQLSTATE: dict[str, Cause] = {
    "28P01": "password",  # invalid_password
    "3D000": "database",  # invalid_catalog_name
    "57P03": "starting",  # cannot_connect_now
    "53300": "slots",  # too_many_connections
}

# The server's primary messages for the FATALs of a refused start-up (PostgreSQL's
# src/backend/libpq/auth.c, utils/init/postinit.c), in English, and the SQLSTATE
# each carries on the server; libpq passes them on as text only.
SERVER_FATALS: tuple[tuple[re.Pattern[str], str, Cause], ...] = (
    (re.compile(r"password authentication failed for user"), "28P01", "password"),
    (re.compile(r'role ".*" does not exist'), "28000", "role"),
    (re.compile(r'database ".*" does not exist'), "3D000", "database"),
    (re.compile(r"no pg_hba\.conf entry for|pg_hba\.conf rejects connection"), "28000", "hba"),
    (
        re.compile(r"the database system is (starting up|shutting down|in recovery)"),
        "57P03",
        "starting",
    ),
    (re.compile(r"sorry, too many clients already|remaining connection slots"), "53300", "slots"),
)

# The client's own failures come as the platform's strerror(errno): matched by the
# text os.strerror gives for each errno on this machine, not by a fixed English phrase.
ERRNO_CAUSES: dict[int, Cause] = {
    errno.ECONNREFUSED: "unreachable",
    errno.ENOENT: "unreachable",  # no Unix socket there: no server on that directory/port
    errno.EHOSTUNREACH: "unreachable",
    errno.ENETUNREACH: "unreachable",
    errno.ETIMEDOUT: "timeout",
}

# libpq's own phrases (not the server's, not strerror): its connect_timeout, its own
# host name lookup (a hostaddr-less conninfo it resolves itself), a missing password.
_LIBPQ_PHRASES: tuple[tuple[str, Cause], ...] = (
    ("timeout expired", "timeout"),
    ("could not translate host name", "host-name"),
    ("failed to resolve host", "host-name"),  # psycopg's own resolution, when no URL says more
    ("no password supplied", "password"),
)
_SERVER_CLOSED = "server closed the connection unexpectedly"  # libpq: the peer hung up


class ConnectionFailed(RuntimeError):
    """Connecting failed; ``str()`` is a one-line reason fit for an operator (no password).

    ``kind`` is what callers react to; ``cause`` (when known) says exactly what stopped
    the attempt, e.g. "password" where ``kind`` "auth" also covers an unknown role.
    """

    def __init__(self, reason: str, kind: FailureKind = "error", cause: Cause | None = None):
        super().__init__(reason)
        self.kind: FailureKind = kind
        self.cause: Cause | None = cause


def connection_cause(exc: BaseException, url: URL | None = None) -> Cause | None:
    """Why a connection attempt failed, from the most structured information there is."""
    orig = driver_error(exc)
    if isinstance(orig, pg.ConnectionTimeout):
        return "timeout"
    code = sqlstate(orig)
    if code is not None and code in CAUSE_BY_SQLSTATE:
        return CAUSE_BY_SQLSTATE[code]
    if not isinstance(orig, psycopg.OperationalError):
        return None
    text = str(orig)
    pgconn = getattr(orig, "pgconn", None)
    if pgconn is not None and pgconn.needs_password:
        return "password"
    if pgconn is None and url is not None and not _resolves(url):
        return "host-name"
    for pattern, _code, cause in SERVER_FATALS:
        if pattern.search(text):
            return cause
    if code == "28000":
        return "hba"
    for number, cause in ERRNO_CAUSES.items():
        if os.strerror(number) in text:
            return cause
    low = text.lower()
    for phrase, cause in _LIBPQ_PHRASES:
        if phrase in low:
            return cause
    return None


def _resolves(url: URL) -> bool:
    """False when the URL names a TCP host that the resolver does not know."""
    host = url.host or ""
    if not host or host.startswith("/") or "," in host:
        return True  # a socket directory, several hosts, or libpq's default
    try:
        socket.getaddrinfo(host, url.port or 5432, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    except OSError:
        return True
    return True


def explain_connection_error(
    exc: BaseException, url: URL | None = None, tunnel: SSHTunnel | None = None
) -> ConnectionFailed:
    """Turn a failed connection attempt into a short reason; never echoes a password."""
    if isinstance(exc, ConnectionFailed):
        return exc
    if isinstance(exc, TunnelFailed):
        return ConnectionFailed(str(exc), exc.kind)
    raw = str(driver_error(exc))
    where = ""
    if url is not None:
        from console.db.urls import redact

        where = f" ({redact(url)})"
    tls_reason = explain_tls_error(raw, _certificate_for(raw, url))
    if tls_reason is not None:
        return ConnectionFailed(*tls_reason)
    if tunnel is not None and _SERVER_CLOSED in raw.lower():
        return ConnectionFailed(
            f"the bastion {tunnel.bastion.bare_host} cannot reach the database at "
            f"{tunnel.remote_host}:{tunnel.remote_port}",
            "unreachable",
        )
    cause = connection_cause(exc, url)
    if cause is not None:
        text, kind = _CAUSE_TEXT[cause]
        return ConnectionFailed(f"{text}{where}", kind, cause)
    line = raw.strip().splitlines()[0] if raw.strip() else type(exc).__name__
    if url is not None and url.password:
        line = line.replace(url.password, "***")
    return ConnectionFailed(f"could not connect: {redact_text(line)}", "error")


def _certificate_for(raw: str, url: URL | None) -> ServerCertificate | None:
    """The server's certificate, read only to explain a refused verification."""
    if url is None or "certificate verify failed" not in raw.lower():
        return None
    from console.db.tls import server_certificate

    query = url.query.get("hostaddr")
    host = (query if isinstance(query, str) else None) or url.host or "localhost"
    try:
        return server_certificate(host, url.port or 5432)
    except Exception as exc:  # only an explanation: the refusal stands regardless
        log.info("could not read the server certificate: %s", exc)
        return None


def explain_tls_error(
    raw: str, certificate: ServerCertificate | None = None
) -> tuple[str, TlsKind] | None:
    """(one-line reason, kind) for a libpq TLS error, or None when it is not about TLS."""
    low = raw.lower()
    name = re.search(r'server certificate for "([^"]+)".*does not match host name "([^"]+)"', raw)
    if name:
        return (
            f"TLS refused: the server's certificate is for {name[1]!r}, not {name[2]!r} "
            "(sslmode=verify-full checks the name; connect with the name it was issued for)",
            "tls-name",
        )
    if "certificate verify failed" in low or "certificate has expired" in low:
        if certificate is not None and certificate.not_after < datetime.now(UTC):
            return (
                f"TLS refused: the server's certificate {certificate.expiry_text()} "
                f"({certificate.subject})",
                "tls-expired",
            )
        issuer = f" (issued by {certificate.issuer})" if certificate is not None else ""
        return (
            f"TLS refused: the server's certificate is not signed by the CA in sslrootcert{issuer}",
            "tls-ca",
        )
    missing = re.search(
        r'(root certificate|certificate|private key) file "([^"]+)".*(does not exist|no such file)',
        low,
    )
    if (
        missing
        or "could not open certificate file" in low
        or "could not read root certificate" in low
    ):
        path = re.search(r'file "([^"]+)"', raw)
        return (f"TLS: cannot read {path[1] if path else 'a certificate file'}", "tls-files")
    if "has group or world access" in low:
        path = re.search(r'file "([^"]+)"', raw)
        return (
            f"TLS: the key file {path[1] if path else ''} must be private to you (chmod 600)",
            "tls-files",
        )
    if "private key" in low and any(
        word in low for word in ("bad decrypt", "passphrase", "password", "processing error")
    ):
        return (
            "TLS: the client key needs its passphrase (or the one given is wrong)",
            "tls-passphrase",
        )
    if "certificate authentication failed" in low:
        return (
            "TLS: the server refuses the client certificate for this user (its CN must be the "
            "database user)",
            "tls-clientcert",
        )
    if (
        "requires a valid client certificate" in low
        or "certificate required" in low
        or "alert certificate" in low
        or "alert unknown ca" in low
    ):
        return (
            "TLS: the server requires a client certificate it trusts (set sslcert and sslkey)",
            "tls-clientcert",
        )
    if "server does not support ssl" in low:
        return ("TLS: the server does not offer TLS but the profile requires it", "tls-off")
    return None
