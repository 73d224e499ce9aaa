"""Production safety and atomicity: locks, server-enforced read-only, lost connections."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.exc import DBAPIError

from console.actions import errors
from console.actions.context import ActionContext
from console.actions.errors import ActionError, BulkItem
from console.actions.executions import bulk_cancel, cancel_execution, cancel_step
from console.actions.guard import WriteGuard
from console.actions.tx import Tx, perform, verify_committed
from console.db.connection import Database, open_database
from console.db.engine import make_engine
from console.profiles import Profile
from tests.helpers.actions import EX, audit_rows, execution, make_ctx, row, workflow


@pytest.fixture
def prod_db(db_url: str) -> Iterator[Database]:
    db = open_database(Profile("prod", environment="prod", url=db_url))
    yield db
    db.close()


def test_prod_refuses_without_unlock_and_server_refuses_raw_writes(
    engine: Engine, prod_db: Database
) -> None:
    assert prod_db.read_only
    ex = execution(engine, workflow(engine)["id"], "running")
    ctx = ActionContext.for_database(prod_db)
    with pytest.raises(ActionError) as info:
        cancel_execution(ctx, ex["execution_id"], confirmed=True)
    assert info.value.kind == errors.LOCKED
    assert "unlock" in str(info.value)
    # A write that goes around the action layer still fails: the server enforces it.
    with pytest.raises(DBAPIError) as raw, prod_db.engine.begin() as conn:
        conn.execute(update(EX).where(EX.c.id == ex["id"]).values(status="cancelled"))
    assert "read-only transaction" in str(raw.value)
    assert row(engine, EX, ex["id"])["status"] == "running"
    assert audit_rows(engine) == []


def test_prod_unlock_by_typing_the_name_then_writes(engine: Engine, prod_db: Database) -> None:
    ex = execution(engine, workflow(engine)["id"], "running")
    guard = WriteGuard("prod", "prod")
    ctx = ActionContext.for_database(prod_db, guard)
    assert not guard.unlock("PROD ")
    assert guard.unlock("prod")
    with pytest.raises(ActionError) as info:  # prod also asks for confirmation
        cancel_execution(ctx, ex["execution_id"])
    assert info.value.kind == errors.CONFIRM
    cancel_execution(ctx, ex["execution_id"], confirmed=True)
    assert row(engine, EX, ex["id"])["status"] == "cancelled"
    assert audit_rows(engine)[0]["profile"] == "prod"


def test_unlock_lapses(engine: Engine) -> None:
    now = [1000.0]
    guard = WriteGuard("prod", "prod", unlock_seconds=300, clock=lambda: now[0])
    ctx = ActionContext(engine, "prod", "prod", guard)
    ex = execution(engine, workflow(engine)["id"], "running")
    assert guard.unlock("prod")
    now[0] += 301
    with pytest.raises(ActionError) as info:
        cancel_execution(ctx, ex["execution_id"], confirmed=True)
    assert info.value.kind == errors.LOCKED


def test_locked_refusal_never_touches_the_database() -> None:
    """An engine that cannot connect: the refusal comes first, not a connection error."""
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    ctx = ActionContext(dead, "prod", "prod", WriteGuard("prod", "prod"))
    with pytest.raises(ActionError) as info:
        bulk_cancel(ctx, [BulkItem("exec-1")], confirmed=True)
    assert info.value.kind == errors.LOCKED
    dead.dispose()


def test_read_only_reason_refuses(engine: Engine) -> None:
    ctx = make_ctx(engine)
    ctx.read_only_reason = "the database is at revision 0099, newer than this console"
    with pytest.raises(ActionError) as info:
        cancel_execution(ctx, "exec-x")
    assert "0099" in str(info.value)


def test_connection_lost_before_commit_is_not_done(engine: Engine, pg_address) -> None:
    ex = execution(engine, workflow(engine)["id"], "running")
    from tests.helpers.databases import admin_connect

    def cancel_then_lose_connection(tx: Tx):
        result = cancel_step(ex["execution_id"])(tx)
        pid = tx.conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin_connect(pg_address) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return result

    with pytest.raises(ActionError) as info:
        perform(make_ctx(engine), cancel_then_lose_connection)
    assert info.value.kind == errors.CONNECTION
    assert "not done" in str(info.value)
    assert row(engine, EX, ex["id"])["status"] == "running"
    assert audit_rows(engine) == []
    # The pool recovers: the next action works.
    cancel_execution(make_ctx(engine), ex["execution_id"])
    assert row(engine, EX, ex["id"])["status"] == "cancelled"


def test_verify_committed_reads_the_audit_row(engine: Engine) -> None:
    ex = execution(engine, workflow(engine)["id"], "running")
    result = cancel_execution(make_ctx(engine), ex["execution_id"])
    assert verify_committed(make_ctx(engine), [result.audit_id]) is True
    assert verify_committed(make_ctx(engine), [uuid.uuid4()]) is False
    dead = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    ctx = ActionContext(dead, "x", "local", WriteGuard("x", "local"))
    assert verify_committed(ctx, [result.audit_id], attempts=1) is None
    dead.dispose()


def test_connection_lost_after_the_server_committed_is_done(
    engine: Engine, db_url: str, pg_address
) -> None:
    """COMMIT reached the server, the answer never came back: re-reading says "done"."""
    from sqlalchemy.engine import make_url

    from tests.helpers.proxy import CommitCutter

    ex = execution(engine, workflow(engine)["id"], "running")
    socket_path = pg_address.socket_dir / f".s.PGSQL.{pg_address.port}"
    proxy = CommitCutter(socket_path)
    via_proxy = make_url(db_url).set(host="127.0.0.1", port=proxy.port, query={})
    proxied = make_engine(via_proxy)
    try:
        ctx = ActionContext(proxied, "local", "local", WriteGuard("local", "local"))
        proxy.arm()
        result = cancel_execution(ctx, ex["execution_id"])
        assert proxy.cut.is_set()  # the session really was cut at COMMIT
        assert result.note == "confirmed after the connection dropped while committing"
        assert row(engine, EX, ex["id"])["status"] == "cancelled"
        assert [a["id"] for a in audit_rows(engine)] == [result.audit_id]
    finally:
        proxied.dispose()
        proxy.close()
