"""Execution actions against a real database: cancel, retry, max_retries, bulk, conflicts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text, update

from console.actions import errors
from console.actions.errors import ActionError, BulkItem
from console.actions.executions import bulk_cancel, bulk_retry, cancel_execution, retry_execution
from tests.helpers.actions import EX, audit_rows, execution, make_ctx, row, workflow


@pytest.fixture
def wf(engine: Engine) -> dict:
    return workflow(engine, config={"max_retries": 2})


def test_cancel_running_sets_status_completed_at_and_audit(engine: Engine, wf: dict) -> None:
    ex = execution(engine, wf["id"], "running")
    seen = {k: ex[k] for k in ("status", "completed_at", "retry_count")}
    result = cancel_execution(make_ctx(engine), ex["execution_id"], seen=seen)
    after = row(engine, EX, ex["id"])
    assert after["status"] == "cancelled"
    assert after["completed_at"] is not None
    assert "cancelled" in result.message
    [audit] = audit_rows(engine)
    assert audit["id"] == result.audit_id
    assert audit["action"] == "execution.cancel"
    assert audit["target_table"] == "workflow_executions"
    assert audit["target_id"] == str(ex["id"])
    assert audit["profile"] == "local"
    assert audit["actor"] and audit["actor_host"]
    assert audit["before"]["status"] == "running"
    assert audit["after"]["status"] == "cancelled"
    assert audit["after"]["completed_at"] is not None


def test_cancel_by_uuid_and_refuses_terminal(engine: Engine, wf: dict) -> None:
    ex = execution(engine, wf["id"], "completed", completed_at=datetime.now(UTC))
    with pytest.raises(ActionError) as info:
        cancel_execution(make_ctx(engine), str(ex["id"]))
    assert info.value.kind == errors.INELIGIBLE
    assert "is completed" in str(info.value)
    assert audit_rows(engine) == []


def test_concurrent_change_refused_with_what_changed(engine: Engine, wf: dict) -> None:
    ex = execution(engine, wf["id"], "running")
    seen = {k: ex[k] for k in ("status", "completed_at", "retry_count")}
    # Another writer (the engine) completes it after the operator looked.
    with engine.begin() as other:
        other.execute(
            update(EX)
            .where(EX.c.id == ex["id"])
            .values(status="completed", completed_at=datetime.now(UTC))
        )
    with pytest.raises(ActionError) as info:
        cancel_execution(make_ctx(engine), ex["execution_id"], seen=seen)
    assert info.value.kind == errors.CONFLICT
    assert "status is now completed, was running when you looked" in str(info.value)
    assert row(engine, EX, ex["id"])["status"] == "completed"
    assert audit_rows(engine) == []


def test_vanished_row(engine: Engine, wf: dict) -> None:
    ex = execution(engine, wf["id"], "running")
    with engine.begin() as other:
        other.execute(EX.delete().where(EX.c.id == ex["id"]))
    with pytest.raises(ActionError) as info:
        cancel_execution(make_ctx(engine), ex["execution_id"])
    assert info.value.kind == errors.GONE
    assert "no longer exists" in str(info.value)


def test_a_skewed_engine_clock_never_blocks_a_cancel(engine: Engine, wf: dict) -> None:
    future = datetime.now(UTC) + timedelta(minutes=10)  # the engine host's clock is ahead
    ex = execution(engine, wf["id"], "running", started_at=future)
    cancel_execution(make_ctx(engine), ex["execution_id"])
    after = row(engine, EX, ex["id"])
    # completed_at = greatest(now(), started_at): chk_completed_at_after_started holds.
    assert after["status"] == "cancelled" and after["completed_at"] == after["started_at"]
    [audit] = audit_rows(engine)
    clocks = audit["after"]
    assert datetime.fromisoformat(clocks["started_at"]) == future
    assert datetime.fromisoformat(clocks["server_now"]) < future  # both clocks recorded


def test_retry_creates_child_row(engine: Engine, wf: dict) -> None:
    ex = execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC), retry_count=1)
    result = retry_execution(make_ctx(engine), ex["execution_id"])
    child = row(engine, EX, result.created_id)
    assert re.fullmatch(r"exec-\d{8}-\d{6}-[0-9a-f]{6}", child["execution_id"])
    assert child["parent_execution_id"] == ex["id"]
    assert child["retry_count"] == 2
    assert child["status"] == "pending"
    assert child["trigger_type"] == "manual"
    assert child["trigger_data"]["requested_by"] == make_ctx(engine).actor
    assert child["trigger_data"]["retry_of"] == ex["execution_id"]
    [audit] = audit_rows(engine)
    assert audit["action"] == "execution.retry"
    assert audit["after"]["execution_id"] == child["execution_id"]
    # The parent is untouched and cannot be retried twice.
    assert row(engine, EX, ex["id"])["status"] == "failed"
    with pytest.raises(ActionError) as info:
        retry_execution(make_ctx(engine), ex["execution_id"])
    assert child["execution_id"] in str(info.value)


def test_retry_refuses_running(engine: Engine, wf: dict) -> None:
    ex = execution(engine, wf["id"], "running")
    with pytest.raises(ActionError) as info:
        retry_execution(make_ctx(engine), ex["execution_id"])
    assert info.value.kind == errors.INELIGIBLE


def test_max_retries_needs_override(engine: Engine, wf: dict) -> None:
    ex = execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC), retry_count=2)
    with pytest.raises(ActionError) as info:
        retry_execution(make_ctx(engine), ex["execution_id"])
    assert info.value.kind == errors.MAX_RETRIES
    assert "max_retries = 2" in str(info.value)
    with engine.connect() as conn:
        assert conn.execute(select(EX.c.id).where(EX.c.parent_execution_id == ex["id"])).all() == []
    result = retry_execution(make_ctx(engine), ex["execution_id"], override_max_retries=True)
    child = row(engine, EX, result.created_id)
    assert child["retry_count"] == 3
    assert child["trigger_data"]["max_retries_override"] is True


def test_bulk_mixed_summary(engine: Engine, wf: dict) -> None:
    running = [execution(engine, wf["id"], "running") for _ in range(3)]
    pending = execution(engine, wf["id"], "pending")
    done = execution(engine, wf["id"], "completed", completed_at=datetime.now(UTC))
    changed = execution(engine, wf["id"], "running")
    items = [BulkItem(r["execution_id"]) for r in [*running, pending, done]]
    items.append(BulkItem(changed["execution_id"], seen={"status": "pending"}))
    items.append(BulkItem("exec-nope"))
    summary = bulk_cancel(make_ctx(engine), items, batch_size=2)
    assert len(summary.done) == 4
    assert summary.reasons() == {errors.INELIGIBLE: 1, errors.CONFLICT: 1, errors.GONE: 1}
    assert summary.headline().startswith("cancel: 4 done, 3 refused")
    assert {r.label for r in summary.done} == {r["execution_id"] for r in [*running, pending]}
    assert len(audit_rows(engine)) == 4
    assert row(engine, EX, changed["id"])["status"] == "running"


def test_bulk_retry(engine: Engine, wf: dict) -> None:
    failed = [
        execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC)) for _ in range(3)
    ]
    at_limit = execution(engine, wf["id"], "timeout", completed_at=datetime.now(UTC), retry_count=2)
    items = [BulkItem(str(r["id"])) for r in [*failed, at_limit]]
    summary = bulk_retry(make_ctx(engine), items)
    assert len(summary.done) == 3
    assert summary.reasons() == {errors.MAX_RETRIES: 1}


def test_staging_needs_confirmation(engine: Engine, wf: dict) -> None:
    ex = execution(engine, wf["id"], "running")
    ctx = make_ctx(engine, "staging")
    with pytest.raises(ActionError) as info:
        cancel_execution(ctx, ex["execution_id"])
    assert info.value.kind == errors.CONFIRM
    with pytest.raises(ActionError):
        bulk_cancel(ctx, [BulkItem(ex["execution_id"])])
    assert row(engine, EX, ex["id"])["status"] == "running"
    cancel_execution(ctx, ex["execution_id"], confirmed=True)
    assert row(engine, EX, ex["id"])["status"] == "cancelled"
    assert audit_rows(engine)[0]["profile"] == "staging"


def test_audit_failure_rolls_back_the_change(engine: Engine, wf: dict) -> None:
    """A failure after the change statement (the audit insert) leaves neither behind."""
    ex = execution(engine, wf["id"], "running")
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION t_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$BEGIN RAISE EXCEPTION 'audit store unavailable'; END$$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER t_refuse BEFORE INSERT ON audit_log "
                "FOR EACH ROW EXECUTE FUNCTION t_refuse()"
            )
        )
    with pytest.raises(ActionError) as info:
        cancel_execution(make_ctx(engine), ex["execution_id"])
    assert "audit store unavailable" in str(info.value)
    assert row(engine, EX, ex["id"])["status"] == "running"
    assert row(engine, EX, ex["id"])["completed_at"] is None
    assert audit_rows(engine) == []


def test_bulk_by_filter_counts_and_acts_on_every_match(engine: Engine, wf: dict) -> None:
    from console.actions.selection import matching_items

    other = workflow(engine, "other")
    mine = [execution(engine, wf["id"], "running") for _ in range(7)]
    execution(engine, other["id"], "running")
    execution(engine, wf["id"], "completed", completed_at=datetime.now(UTC))
    filters = {"status": ["running", "pending"], "workflow_id": str(wf["id"])}
    items = matching_items(engine, "executions", filters)
    assert len(items) == 7  # the exact count the confirmation states
    assert {i.target for i in items} == {str(r["id"]) for r in mine}
    # One of them finishes between the count and the action: refused, with the reason.
    with engine.begin() as conn:
        conn.execute(
            update(EX)
            .where(EX.c.id == mine[0]["id"])
            .values(status="completed", completed_at=datetime.now(UTC))
        )
    summary = bulk_cancel(make_ctx(engine), items, batch_size=3)
    assert len(summary.done) == 6
    [(target, err)] = summary.refused
    assert target == str(mine[0]["id"]) and err.kind == errors.CONFLICT


def test_bulk_by_filter_bad_filter(engine: Engine) -> None:
    from console.actions.selection import matching_items

    with pytest.raises(ActionError) as info:
        matching_items(engine, "executions", {"status": ["exploded"]})
    assert info.value.kind == errors.INVALID
    assert "exploded" in str(info.value)
