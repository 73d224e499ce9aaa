"""Action dialogs, the controller flows and the Audit page, driven as real widgets."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from PySide6.QtWidgets import QMessageBox
from sqlalchemy import Engine, text

from console.actions.errors import BulkItem, BulkSummary
from console.actions.executions import (
    bulk_cancel,
    bulk_retry,
    cancel_execution,
    retry_execution,
)
from console.actions.selection import matching_items
from console.actions.workflows import edit_workflow
from console.db.connection import Database, open_database
from console.profiles import Profile
from console.ui.actions.controller import ActionController
from console.ui.actions.dialogs import BulkSummaryDialog, ConfirmDialog
from console.ui.actions.json_editor import JsonEditorDialog
from tests.helpers.actions import EX, WF, audit_rows, execution, make_ctx, row, workflow


def _db(db_url: str, env: str) -> Database:
    return open_database(Profile(env, environment=env, url=db_url))


def _editor(qtbot, runner, engine, wf, text_value: str, seen=None) -> JsonEditorDialog:
    dialog = JsonEditorDialog(
        "Edit config",
        "workflow.config",
        text_value,
        lambda value: edit_workflow(make_ctx(engine), wf["name"], config=value, seen=seen),
        runner,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_json_editor_reports_line_and_column_and_keeps_text(
    qtbot, runner, engine: Engine, tmp_path
):
    wf = workflow(engine, "w1")
    broken = '{\n  "max_retries": 3,\n  "timeout_seconds": ,\n}'
    dialog = _editor(qtbot, runner, engine, wf, broken)
    dialog.try_save()
    assert dialog.status.text().startswith("not saved: line 3, column 22")
    assert dialog.text() == broken
    assert dialog.editor.textCursor().blockNumber() == 2  # the cursor sits on the bad line
    assert dialog.isVisible()
    dialog.grab().save(str(tmp_path / "ui_actions_json_error.png"))
    assert row(engine, WF, wf["id"])["config"] == wf["config"]


def test_json_editor_pydantic_messages(qtbot, runner, engine: Engine):
    wf = workflow(engine, "w1")
    bad = json.dumps({"max_retries": -1, "notification_channels": "slack", "owner": "x"})
    dialog = _editor(qtbot, runner, engine, wf, bad)
    dialog.try_save()
    status = dialog.status.text()
    assert "max_retries: Input should be greater than or equal to 0" in status
    assert "notification_channels" in status
    assert dialog.text() == bad


def test_json_editor_refused_by_the_layer_keeps_text(qtbot, runner, engine: Engine):
    wf = workflow(engine, "w1")
    stale = {"updated_at": datetime(2000, 1, 1, tzinfo=UTC)}
    edited = json.dumps({"max_retries": 5, "custom": [1, 2]}, indent=2)
    dialog = _editor(qtbot, runner, engine, wf, edited, seen=stale)
    dialog.try_save()
    qtbot.waitUntil(lambda: "changed meanwhile" in dialog.status.text())
    assert dialog.text() == edited
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    assert audit_rows(engine) == []


def test_json_editor_saves(qtbot, runner, engine: Engine):
    wf = workflow(engine, "w1")
    dialog = _editor(qtbot, runner, engine, wf, '{"max_retries": 1, "owner": "ops"}')
    with qtbot.waitSignal(dialog.saved):
        dialog.try_save()
    assert row(engine, WF, wf["id"])["config"] == {"max_retries": 1, "owner": "ops"}
    assert not dialog.isVisible()


def test_confirm_and_summary_dialogs(qtbot):
    dialog = ConfirmDialog("cancel", 1234, "execution", "staging", "staging")
    qtbot.addWidget(dialog)
    assert "Cancel 1,234 executions" in dialog.question.text()
    assert dialog.ok_button.text() == "Cancel 1,234 executions"
    assert dialog.back_button.isDefault()
    from console.actions.errors import ActionError

    summary = BulkSummary("cancel")
    summary.refused.append(("exec-1", ActionError("conflict", "status is now completed")))
    summary_dialog = BulkSummaryDialog(summary)
    qtbot.addWidget(summary_dialog)
    assert "0 done" in summary_dialog.headline.text()
    assert summary_dialog.table.item(0, 1).text() == "status is now completed"


def _click_ok(qtbot, controller: ActionController, kind) -> None:
    qtbot.waitUntil(lambda: isinstance(controller.dialog, kind) and controller.dialog.isVisible())
    dialog = controller.dialog
    dialog.ok_button.click() if hasattr(dialog, "ok_button") else dialog.accept()


def test_bulk_by_filter_flow_on_staging(qtbot, runner, db_url: str, engine: Engine, tmp_path):
    db = _db(db_url, "staging")
    try:
        wf = workflow(engine)
        running = [execution(engine, wf["id"], "running") for _ in range(5)]
        execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC))
        from PySide6.QtWidgets import QWidget

        host = QWidget()
        qtbot.addWidget(host)
        controller = ActionController(host, runner, db)
        filters = {"status": ["running"]}
        controller.bulk(
            "cancel",
            "execution",
            lambda: matching_items(db.engine, "executions", filters),
            lambda ctx, items, ok: bulk_cancel(ctx, items, confirmed=ok),
        )
        qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog))
        confirm = controller.dialog
        assert "Cancel 5 executions" in confirm.question.text()
        assert "staging" in confirm.question.text()
        confirm.grab().save(str(tmp_path / "ui_actions_confirm.png"))
        # One finishes between the count and the click: refused in the summary.
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE workflow_executions SET status='completed', completed_at=now() "
                    "WHERE id = :i"
                ),
                {"i": running[0]["id"]},
            )
        confirm.ok_button.click()
        qtbot.waitUntil(lambda: isinstance(controller.dialog, BulkSummaryDialog))
        summary = controller.dialog.summary
        assert (len(summary.done), len(summary.refused)) == (4, 1)
        assert "status is now completed" in controller.dialog.table.item(0, 1).text()
        controller.dialog.grab().save(str(tmp_path / "ui_actions_summary.png"))
        assert [row(engine, EX, r["id"])["status"] for r in running[1:]] == ["cancelled"] * 4
    finally:
        db.close()


def test_prod_flow_asks_unlock_then_confirm(qtbot, runner, db_url: str, engine: Engine):
    from PySide6.QtWidgets import QWidget

    from console.ui.banner import UnlockDialog

    db = _db(db_url, "prod")
    try:
        ex = execution(engine, workflow(engine)["id"], "running")
        host = QWidget()
        qtbot.addWidget(host)
        controller = ActionController(host, runner, db)
        controller.single(
            "cancel",
            ex["execution_id"],
            lambda ctx, ok: cancel_execution(ctx, ex["execution_id"], confirmed=ok),
            destructive=True,
        )
        assert isinstance(controller.dialog, UnlockDialog)
        controller.dialog.name_edit.setText("prod")
        controller.dialog.try_unlock()
        assert isinstance(controller.dialog, ConfirmDialog)
        with qtbot.waitSignal(controller.done):
            controller.dialog.ok_button.click()
        assert row(engine, EX, ex["id"])["status"] == "cancelled"
    finally:
        db.close()


def test_retry_max_retries_asks_override(qtbot, runner, dev_db: Database, engine: Engine):
    from PySide6.QtWidgets import QWidget

    wf = workflow(engine, config={"max_retries": 0})
    ex = execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC))
    host = QWidget()
    qtbot.addWidget(host)
    controller = ActionController(host, runner, dev_db)
    controller.single(
        "retry",
        ex["execution_id"],
        lambda ctx, ok: retry_execution(ctx, ex["execution_id"]),
        override=lambda ctx, ok: retry_execution(
            ctx, ex["execution_id"], override_max_retries=True
        ),
    )
    qtbot.waitUntil(lambda: isinstance(controller.dialog, QMessageBox))
    box = controller.dialog
    assert "max_retries = 0" in box.text()
    [anyway] = [b for b in box.buttons() if b.text() == "Retry anyway"]
    with qtbot.waitSignal(controller.done):
        anyway.click()
    with engine.connect() as conn:
        child = conn.execute(
            text("SELECT retry_count FROM workflow_executions WHERE parent_execution_id = :p"),
            {"p": ex["id"]},
        ).scalar()
    assert child == 1


def test_bulk_retry_summary_offers_override(qtbot, runner, dev_db: Database, engine: Engine):
    from PySide6.QtWidgets import QWidget

    wf = workflow(engine, config={"max_retries": 1})
    fresh = execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC))
    spent = execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC), retry_count=1)
    host = QWidget()
    qtbot.addWidget(host)
    controller = ActionController(host, runner, dev_db)
    items = [BulkItem(str(fresh["id"])), BulkItem(str(spent["id"]))]
    controller.bulk(
        "retry",
        "execution",
        items,
        lambda ctx, its, ok: bulk_retry(ctx, its, confirmed=ok),
        override=lambda ctx, its, ok: bulk_retry(ctx, its, confirmed=ok, override_max_retries=True),
    )
    qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog))
    controller.dialog.ok_button.click()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, BulkSummaryDialog))
    summary_dialog = controller.dialog
    assert summary_dialog.extra_button is not None
    assert summary_dialog.extra_button.text() == "Retry 1 anyway…"
    summary_dialog.extra_button.click()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog))
    controller.dialog.ok_button.click()
    qtbot.waitUntil(
        lambda: (
            isinstance(controller.dialog, BulkSummaryDialog)
            and controller.dialog is not summary_dialog
        )
    )
    assert len(controller.dialog.summary.done) == 1
    assert len(audit_rows(engine)) == 2
