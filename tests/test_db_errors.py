"""One module turns driver errors into operator messages, by class and SQLSTATE."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
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
