"""Workflow, action, trigger, integration and event actions against a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import IntegrityError

from console.actions import errors
from console.actions.errors import ActionError, BulkItem
from console.actions.events import bulk_ignore, bulk_requeue, ignore_event, requeue_event
from console.actions.integrations import (
    edit_integration_config,
    load_masked_config,
    set_integration_enabled,
)
from console.actions.triggers import edit_trigger_conditions, set_trigger_enabled
from console.actions.workflows import (
    edit_action,
    edit_workflow,
    reorder_actions,
    set_workflow_status,
)
from console.secret_policy import MASK
from tests.helpers.actions import (
    ACT,
    EV,
    INT,
    TRG,
    WF,
    action,
    audit_rows,
    event,
    integration,
    make_ctx,
    row,
    trigger,
    workflow,
)


def _order(engine: Engine, workflow_id) -> list:
    with engine.connect() as conn:
        return [
            r.id
            for r in conn.execute(
                select(ACT.c.id).where(ACT.c.workflow_id == workflow_id).order_by(ACT.c.order_index)
            )
        ]


def test_set_status_and_audit(engine: Engine) -> None:
    wf = workflow(engine, "nightly", status="active")
    result = set_workflow_status(
        make_ctx(engine), "nightly", "archived", seen={"updated_at": wf["updated_at"]}
    )
    after = row(engine, WF, wf["id"])
    assert after["status"] == "archived"
    assert after["updated_at"] > wf["updated_at"]
    [audit] = audit_rows(engine)
    assert audit["id"] == result.audit_id
    assert (audit["action"], audit["target_table"]) == ("workflow.set_status", "workflows")
    assert audit["before"]["status"] == "active"
    assert audit["after"]["status"] == "archived"


def test_set_status_conflict_on_updated_at(engine: Engine) -> None:
    wf = workflow(engine, "nightly", status="active")
    with engine.begin() as other:
        other.execute(
            update(WF).where(WF.c.id == wf["id"]).values(description="x", updated_at=text("now()"))
        )
    with pytest.raises(ActionError) as info:
        set_workflow_status(
            make_ctx(engine),
            str(wf["id"]),
            "inactive",
            seen={"status": "active", "updated_at": wf["updated_at"]},
        )
    assert info.value.kind == errors.CONFLICT
    assert "updated_at is now" in str(info.value)
    assert row(engine, WF, wf["id"])["status"] == "active"
    assert audit_rows(engine) == []


def test_set_status_invalid_and_staging_confirmation(engine: Engine) -> None:
    workflow(engine, "nightly", status="active")
    with pytest.raises(ActionError) as info:
        set_workflow_status(make_ctx(engine), "nightly", "paused")
    assert info.value.kind == errors.INVALID
    with pytest.raises(ActionError) as info:
        set_workflow_status(make_ctx(engine, "staging"), "nightly", "archived")
    assert info.value.kind == errors.CONFIRM


def test_edit_config_validated_unknown_keys_kept(engine: Engine) -> None:
    wf = workflow(engine, "nightly")
    bad = {"max_retries": -1, "timeout_seconds": 0, "notification_channels": ["a", 3]}
    with pytest.raises(ActionError) as info:
        edit_workflow(make_ctx(engine), "nightly", config=bad)
    msg = str(info.value)
    assert "max_retries" in msg and "timeout_seconds" in msg and "notification_channels.1" in msg
    good = {"max_retries": 0, "timeout_seconds": 1.5, "auto_rollback": True, "owner": "ops"}
    edit_workflow(make_ctx(engine), "nightly", config=good, description="nightly build")
    after = row(engine, WF, wf["id"])
    assert after["config"] == good
    assert after["description"] == "nightly build"


def test_reorder_reverse_five_keeps_constraints(engine: Engine) -> None:
    wf = workflow(engine, "five")
    ids = [action(engine, wf["id"], i)["id"] for i in range(5)]
    # A single-statement permutation trips the non-deferrable unique constraint...
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE workflow_actions SET order_index = 4 - order_index WHERE workflow_id = :w"
            ),
            {"w": wf["id"]},
        )
    # ...the two-phase reorder does not, and keeps every index >= 0.
    wanted = list(reversed(ids))
    result = reorder_actions(make_ctx(engine), "five", [str(i) for i in wanted])
    assert _order(engine, wf["id"]) == wanted
    with engine.connect() as conn:
        indexes = sorted(
            conn.execute(select(ACT.c.order_index).where(ACT.c.workflow_id == wf["id"])).scalars()
        )
    assert indexes == [0, 1, 2, 3, 4]
    assert "reordered 4 of 5" in result.message  # the middle one stays put
    [audit] = audit_rows(engine)
    assert [e["id"] for e in audit["after"]["order"]] == [str(i) for i in wanted]


def test_reorder_move_last_to_first_keeps_gapped_slots(engine: Engine) -> None:
    wf = workflow(engine, "gaps")
    ids = [action(engine, wf["id"], i * 10)["id"] for i in range(5)]
    wanted = [ids[-1], *ids[:-1]]
    reorder_actions(make_ctx(engine), str(wf["id"]), [str(i) for i in wanted])
    assert _order(engine, wf["id"]) == wanted
    with engine.connect() as conn:
        got = conn.execute(
            select(ACT.c.id, ACT.c.order_index).where(ACT.c.workflow_id == wf["id"])
        ).all()
    assert sorted(i for _, i in got) == [0, 10, 20, 30, 40]


def test_reorder_refuses_when_actions_changed(engine: Engine) -> None:
    wf = workflow(engine, "w")
    ids = [action(engine, wf["id"], i)["id"] for i in range(3)]
    seen = {str(i): n for n, i in enumerate(ids)}
    action(engine, wf["id"], 3)  # someone added one meanwhile
    with pytest.raises(ActionError) as info:
        reorder_actions(make_ctx(engine), "w", [str(i) for i in reversed(ids)], seen_order=seen)
    assert info.value.kind == errors.CONFLICT
    assert _order(engine, wf["id"])[:3] == ids
    assert audit_rows(engine) == []


def test_edit_action_config_and_conditions(engine: Engine) -> None:
    wf = workflow(engine, "w")
    act = action(engine, wf["id"], 0)
    edit_action(make_ctx(engine), str(act["id"]), config={"image": "v2"}, conditions=None)
    after = row(engine, ACT, act["id"])
    assert after["config"] == {"image": "v2"} and after["conditions"] is None
    with pytest.raises(ActionError):
        edit_action(make_ctx(engine), str(act["id"]), conditions=[1, 2])


def test_trigger_enable_disable_and_conditions(engine: Engine) -> None:
    wf = workflow(engine, "w")
    trg = trigger(engine, wf["id"], enabled=True)
    set_trigger_enabled(make_ctx(engine), str(trg["id"]), False)
    assert row(engine, TRG, trg["id"])["enabled"] is False
    with pytest.raises(ActionError) as info:
        set_trigger_enabled(make_ctx(engine), str(trg["id"]), False)
    assert info.value.kind == errors.INELIGIBLE
    edit_trigger_conditions(make_ctx(engine), str(trg["id"]), {"branches": ["main"]})
    assert row(engine, TRG, trg["id"])["conditions"] == {"branches": ["main"]}
    assert [a["action"] for a in audit_rows(engine)] == [
        "trigger.disable",
        "trigger.edit_conditions",
    ]


def test_integration_enable_and_masked_config(engine: Engine) -> None:
    integ = integration(
        engine,
        "slack-prod",
        type="slack",
        enabled=True,
        config={"channel": "#ops", "webhook_url": "https://hooks/secret", "auth": {"token": "t0"}},
        credentials_encrypted="opaque",
    )
    set_integration_enabled(make_ctx(engine), "slack-prod", False)
    assert row(engine, INT, integ["id"])["enabled"] is False
    masked, seen = load_masked_config(engine, "slack-prod")
    assert masked == {"channel": "#ops", "webhook_url": MASK, "auth": MASK}  # masked whole
    masked["channel"] = "#deploys"
    masked["auth"] = {"token": "t1"}  # replaced; webhook_url left masked
    edit_integration_config(make_ctx(engine), "slack-prod", masked, seen=seen)
    stored = row(engine, INT, integ["id"])
    assert stored["config"] == {
        "channel": "#deploys",
        "webhook_url": "https://hooks/secret",
        "auth": {"token": "t1"},
    }
    assert stored["credentials_encrypted"] == "opaque"
    audit = audit_rows(engine)[-1]
    assert "secret" not in str(audit["before"]) + str(audit["after"])
    assert "t1" not in str(audit["after"])
    with pytest.raises(ActionError) as info:
        edit_integration_config(make_ctx(engine), "slack-prod", {"api_key": MASK})
    assert "api_key" in str(info.value)


def test_event_requeue_and_ignore(engine: Engine) -> None:
    integ = integration(engine)
    failed = event(
        engine,
        integ["id"],
        "failed",
        retry_count=2,
        error_message="boom",
        processed_at=datetime.now(UTC),
    )
    result = requeue_event(
        make_ctx(engine), str(failed["id"]), seen={"status": "failed", "retry_count": 2}
    )
    after = row(engine, EV, failed["id"])
    assert (after["status"], after["retry_count"], after["processed_at"]) == ("pending", 3, None)
    assert after["error_message"] == "boom"  # kept until the engine processes it again
    assert result.after["retry_count"] == 3
    ignore_event(make_ctx(engine), str(failed["id"]))
    assert row(engine, EV, failed["id"])["status"] == "ignored"
    with pytest.raises(ActionError) as info:
        requeue_event(make_ctx(engine), str(failed["id"]))
    assert info.value.kind == errors.INELIGIBLE


def test_event_bulk_mixed(engine: Engine) -> None:
    integ = integration(engine)
    failed = [event(engine, integ["id"], "failed") for _ in range(4)]
    done = event(engine, integ["id"], "completed")
    items = [BulkItem(str(e["id"])) for e in [*failed, done]] + [BulkItem("not-a-uuid")]
    summary = bulk_requeue(make_ctx(engine), items)
    assert len(summary.done) == 4
    assert summary.reasons() == {errors.INELIGIBLE: 1, errors.INVALID: 1}
    summary = bulk_ignore(make_ctx(engine), [BulkItem(str(e["id"])) for e in failed])
    assert len(summary.done) == 4
    assert len(audit_rows(engine)) == 8
