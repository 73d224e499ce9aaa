"""One module turns driver errors into operator messages, by class and SQLSTATE."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

import psycopg
import psycopg.errors as pg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from console.actions.dberrors import explain
from console.db import errors
from tests.helpers.databases import admin_connect


def _raised(engine, *statements: str) -> DBAPIError:
    with pytest.raises(DBAPIError) as caught, engine.connect() as conn:
        for sql in statements:
            conn.execute(text(sql))
    return caught.value


def test_statement_timeout_and_cancel_are_told_apart(engine):
    timeout = _raised(engine, "SET LOCAL statement_timeout = 50", "SELECT pg_sleep(2)")
    assert errors.sqlstate(timeout) == errors.QUERY_CANCELED
    assert errors.is_statement_timeout(timeout)
    assert errors.read_failure(timeout).startswith("The query took too long")
    assert explain(timeout).kind == "database"


def test_unique_violation_reads_as_words(engine):
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS t_uq (x int UNIQUE)"))
        conn.execute(text("INSERT INTO t_uq VALUES (1)"))
        with pytest.raises(DBAPIError) as caught:
            conn.execute(text("INSERT INTO t_uq VALUES (1)"))
    problem = errors.write_failure(caught.value)
    assert errors.sqlstate(caught.value) == "23505"
    assert problem.kind == "database"
    assert problem.message.startswith("the database refused the change")
    assert errors.read_failure(caught.value).startswith("The query failed: duplicate key")


def test_lost_connection_is_a_connection_problem(pg_address):
    with psycopg.connect(pg_address.conninfo("postgres")) as victim:
        pid = victim.info.backend_pid
        with admin_connect(pg_address) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(psycopg.Error) as caught:
            victim.execute("SELECT 1")
    assert errors.is_connection_lost(caught.value)
    assert errors.read_failure(caught.value).startswith("Lost the connection")
    assert errors.write_failure(caught.value).kind == "connection"


def test_non_driver_errors_keep_their_first_line_without_secrets():
    exc = RuntimeError("boom at postgresql://ops:hunter2@db/x\nmore")
    assert not errors.is_database_error(exc)
    assert "hunter2" not in errors.reason(exc)
    assert errors.reason(exc).startswith("boom")


# --------------------------------------------------------------------------- connecting
def _connect_error(conninfo: str) -> psycopg.OperationalError:
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(conninfo, connect_timeout=5).close()
    return caught.value


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_start_up_is_told_by_what_the_server_refused(pg_address):
    """libpq gives no SQLSTATE here: the cause comes from the server's FATAL, mapped to the
    SQLSTATE it carries on the server."""
    where = f"host={pg_address.socket_dir} port={pg_address.port}"
    missing_db = _connect_error(f"{where} dbname=autopr_nowhere user=postgres")
    assert missing_db.sqlstate is None  # why the text is read at all
    failed = errors.explain_connection_error(missing_db)
    assert (failed.kind, failed.cause) == ("missing-db", "database")
    assert str(failed) == "the database does not exist on that server"

    missing_role = _connect_error(f"{where} dbname=postgres user=autopr_nobody")
    failed = errors.explain_connection_error(missing_role)
    assert (failed.kind, failed.cause) == ("auth", "role")


def test_a_server_never_reached_is_unreachable(tmp_path):
    refused = _connect_error(f"host=127.0.0.1 port={_closed_port()} dbname=x user=u")
    assert errors.connection_cause(refused) == "unreachable"
    no_socket = _connect_error(f"host={tmp_path} port=5 dbname=x user=u")
    assert errors.connection_cause(no_socket) == "unreachable"
    failed = errors.explain_connection_error(no_socket)
    assert failed.kind == "unreachable" and str(failed) == "the server cannot be reached"


def test_an_unknown_host_name_is_found_by_resolving_it():
    url = make_url("postgresql+psycopg://u:Pw-in-url-77@no-such-host.invalid:5432/x")
    exc = _connect_error("host=no-such-host.invalid port=5432 dbname=x user=u")
    assert getattr(exc, "pgconn", None) is None  # psycopg resolved it first: no attempt
    failed = errors.explain_connection_error(exc, url)
    assert (failed.kind, failed.cause) == ("unreachable", "host-name")
    assert "does not resolve" in str(failed) and "Pw-in-url-77" not in str(failed)


def test_classes_and_sqlstates_come_before_any_text():
    # Errors built here: these carry their class and SQLSTATE and no telling text.
    assert errors.connection_cause(pg.ConnectionTimeout("")) == "timeout"
    assert errors.connection_cause(pg.InvalidPassword("")) == "password"
    assert errors.connection_cause(pg.TooManyConnections("")) == "slots"
    assert errors.connection_cause(pg.CannotConnectNow("")) == "starting"
    assert errors.connection_cause(pg.InvalidCatalogName("")) == "database"
    assert errors.connection_cause(RuntimeError("database x does not exist")) is None


def test_the_platform_strerror_is_matched_not_an_english_phrase():
    text = (
        f'connection to server at "10.0.0.9", port 5432 failed: {os.strerror(errno.EHOSTUNREACH)}'
    )
    assert errors.connection_cause(psycopg.OperationalError(text)) == "unreachable"
    timed_out = psycopg.OperationalError(f"failed: {os.strerror(errno.ETIMEDOUT)}")
    assert errors.connection_cause(timed_out) == "timeout"


def test_a_server_speaking_another_language_is_not_given_a_wrong_cause():
    german = psycopg.OperationalError(
        "connection failed: FATAL:  Passwort-Authentifizierung für Benutzer »ops« fehlgeschlagen"
    )
    failed = errors.explain_connection_error(german)
    assert (failed.kind, failed.cause) == ("error", None)
    assert str(failed).startswith("could not connect: connection failed: FATAL:  Passwort")


def test_every_connection_message_is_built_in_the_errors_module():
    """The words for a failed connection come from console.db.errors only (ssh's own output,
    which is no database error, is read by console.db.ssh_errors)."""
    root = Path(__file__).resolve().parent.parent / "console"
    phrases = ("password authentication failed", 'does not exist" in', "connection refused")
    readers = {"db/errors.py", "db/ssh_errors.py"}
    found = [
        f"{path.relative_to(root)}: {phrase}"
        for path in root.rglob("*.py")
        if path.relative_to(root).as_posix() not in readers
        for phrase in phrases
        if phrase in path.read_text(encoding="utf-8").lower()
    ]
    assert found == []


def test_a_reason_clause_tells_a_refused_connection_from_a_failed_read(engine, pg_address):
    where = f"host={pg_address.socket_dir} port={pg_address.port}"
    missing_db = _connect_error(f"{where} dbname=autopr_nowhere user=postgres")
    assert errors.reason(missing_db) == "the database does not exist on that server"
    timeout = _raised(engine, "SET LOCAL statement_timeout = 50", "SELECT pg_sleep(2)")
    assert errors.reason(timeout).startswith("the query took too long and was stopped")
