"""Actions from the table pages' context menus, on the real pages and a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtWidgets import QMenu
from sqlalchemy import Engine

from console.actions.guard import WriteGuard
from console.db.connection import Database, open_database
from console.profiles import Profile
from console.ui.actions import menus
from console.ui.actions.dialogs import BulkSummaryDialog, ConfirmDialog
from console.ui.actions.editors import WorkflowActionsDialog
from console.ui.actions.json_editor import JsonEditorDialog
from console.ui.pages import PageContext
from console.ui.tasks import TaskRunner
from tests.actions_fixtures import ACT, EX, WF, action, execution, row, workflow


@pytest.fixture
def dev_db(db_url: str) -> Iterator[Database]:
    db = open_database(Profile("dev", environment="dev", url=db_url))
    yield db
    db.close()


@pytest.fixture
def runner(qtbot, dev_db: Database) -> Iterator[TaskRunner]:
    """Drained (answers delivered) while the pages and the database are still alive."""
    from PySide6.QtCore import QCoreApplication

    r = TaskRunner()
    yield r
    r.wait_idle()
    QCoreApplication.processEvents()


_open_pages: list = []


@pytest.fixture(autouse=True)
def _close_pages(runner) -> Iterator[None]:
    """Disconnect the pages before their database closes (no late answers to dead widgets)."""
    from PySide6.QtCore import QCoreApplication

    yield
    while _open_pages:
        page = _open_pages.pop()
        page.set_database(None)
        page.close()
    runner.wait_idle()
    QCoreApplication.processEvents()


def _page(qtbot, runner, db, module: str, cls: str):
    import importlib

    menus.install()
    page_cls = getattr(importlib.import_module(module), cls)
    ctx = PageContext(runner=runner, extras={"write_guard": WriteGuard("dev", "dev")})
    page = page_cls(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    page.set_database(db)
    _open_pages.append(page)
    return page


def _wait_rows(qtbot, page, n: int) -> None:
    qtbot.waitUntil(lambda: page.model.rowCount() == n and page.ctx.runner.in_flight() == 0)


def _menu_action(menu: QMenu, prefix: str):
    for act in menu.actions():
        if act.text().startswith(prefix):
            return act
    raise AssertionError(f"no {prefix!r} in {[a.text() for a in menu.actions()]}")


def test_cancel_selected_from_the_executions_menu(qtbot, runner, dev_db, engine: Engine):
    wf = workflow(engine)
    running = [execution(engine, wf["id"], "running") for _ in range(3)]
    execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC))
    page = _page(qtbot, runner, dev_db, "console.ui.tables.executions_page", "ExecutionsPage")
    _wait_rows(qtbot, page, 4)
    page.view.selectAll()
    menu = page.build_context_menu()
    cancel = _menu_action(menu, "Cancel 3 selected")
    retry = _menu_action(menu, "Retry 1 selected")
    assert cancel.isEnabled() and retry.isEnabled()
    cancel.trigger()
    controller = page._action_controller
    assert isinstance(controller.dialog, ConfirmDialog)
    assert controller.dialog.count == 3
    controller.dialog.ok_button.click()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, BulkSummaryDialog))
    assert len(controller.dialog.summary.done) == 3
    assert {row(engine, EX, r["id"])["status"] for r in running} == {"cancelled"}


def test_all_matching_the_filter_counts_only_eligible_rows(qtbot, runner, dev_db, engine):
    wf = workflow(engine)
    for _ in range(6):
        execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC))
    execution(engine, wf["id"], "running")
    page = _page(qtbot, runner, dev_db, "console.ui.tables.executions_page", "ExecutionsPage")
    _wait_rows(qtbot, page, 7)
    menu = page.build_context_menu()
    _menu_action(menu, "Retry all failed/timeout/cancelled matching").trigger()
    controller = page._action_controller
    qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog))
    assert controller.dialog.count == 6
    controller.dialog.ok_button.click()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, BulkSummaryDialog))
    assert len(controller.dialog.summary.done) == 6
    _wait_rows(qtbot, page, 13)  # the page refreshed and shows the 6 new pending retries


def test_workflow_menu_reorders_and_edits_config(qtbot, runner, dev_db, engine):
    wf = workflow(engine, "ship", config={"max_retries": 1})
    ids = [action(engine, wf["id"], i)["id"] for i in range(3)]
    page = _page(qtbot, runner, dev_db, "console.ui.tables.workflows_page", "WorkflowsPage")
    _wait_rows(qtbot, page, 1)
    page.view.selectRow(0)
    menu = page.build_context_menu()
    _menu_action(menu, "Actions and order").trigger()
    controller = page._action_controller
    dialog = controller.dialog
    assert isinstance(dialog, WorkflowActionsDialog)
    qtbot.waitUntil(lambda: dialog.list.count() == 3)
    dialog.list.setCurrentRow(2)
    dialog.move(-1)
    dialog.move(-1)  # last to first
    dialog.grab().save("/tmp/ui_actions_reorder.png")
    with qtbot.waitSignal(controller.done):
        dialog.save_order()
    with engine.connect() as conn:
        from sqlalchemy import select

        order = conn.execute(
            select(ACT.c.id).where(ACT.c.workflow_id == wf["id"]).order_by(ACT.c.order_index)
        ).scalars()
        assert list(order) == [ids[2], ids[0], ids[1]]

    menu = page.build_context_menu()
    _menu_action(menu, "Edit config").trigger()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, JsonEditorDialog))
    editor = controller.dialog
    editor.editor.setPlainText('{"max_retries": 4, "auto_rollback": true}')
    with qtbot.waitSignal(editor.saved):
        editor.try_save()
    assert row(engine, WF, wf["id"])["config"] == {"max_retries": 4, "auto_rollback": True}


def test_integration_editor_keeps_masked_secrets(qtbot, runner, dev_db, engine):
    from tests.actions_fixtures import INT, audit_rows, integration

    integ = integration(
        engine, "slack-ops", type="slack", config={"channel": "#a", "token": "s3cret"}
    )
    page = _page(qtbot, runner, dev_db, "console.ui.tables.integrations_page", "IntegrationsPage")
    _wait_rows(qtbot, page, 1)
    page.view.selectRow(0)
    menu = page.build_context_menu()
    _menu_action(menu, "Edit config").trigger()
    controller = page._action_controller
    qtbot.waitUntil(lambda: isinstance(controller.dialog, JsonEditorDialog))
    editor = controller.dialog
    assert "s3cret" not in editor.text() and "••••" in editor.text()
    editor.editor.setPlainText(editor.text().replace('"#a"', '"#b"'))
    with qtbot.waitSignal(editor.saved):
        editor.try_save()
    assert row(engine, INT, integ["id"])["config"] == {"channel": "#b", "token": "s3cret"}
    assert "s3cret" not in str(audit_rows(engine)[-1]["after"])
    # The page reloads after the change; acting on the old row would be refused as stale.
    qtbot.waitUntil(lambda: page.model.row_at(0).raw["updated_at"] != integ["updated_at"])
    page.view.selectRow(0)
    _menu_action(page.build_context_menu(), "Disable slack-ops").trigger()
    qtbot.waitUntil(lambda: row(engine, INT, integ["id"])["enabled"] is False)


def test_triggers_dialog(qtbot, runner, dev_db, engine):
    from console.ui.actions.editors import TriggersDialog
    from tests.actions_fixtures import TRG, trigger

    wf = workflow(engine, "ship")
    trg = trigger(engine, wf["id"], enabled=True, conditions={"branch": "main"})
    page = _page(qtbot, runner, dev_db, "console.ui.tables.workflows_page", "WorkflowsPage")
    _wait_rows(qtbot, page, 1)
    page.view.selectRow(0)
    _menu_action(page.build_context_menu(), "Triggers").trigger()
    controller = page._action_controller
    dialog = controller.dialog
    assert isinstance(dialog, TriggersDialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    dialog.table.selectRow(0)
    with qtbot.waitSignal(controller.done):
        dialog.toggle(False)
    assert row(engine, TRG, trg["id"])["enabled"] is False
    qtbot.waitUntil(lambda: dialog.table.item(0, 1).text() == "no")
    dialog.table.selectRow(0)
    dialog.edit_conditions()
    editor = controller.dialog
    assert isinstance(editor, JsonEditorDialog)
    editor.editor.setPlainText('{"branch": "release"')
    editor.try_save()
    assert "line 1, column 21" in editor.status.text()
    editor.editor.setPlainText('{"branch": "release"}')
    with qtbot.waitSignal(editor.saved):
        editor.try_save()
    assert row(engine, TRG, trg["id"])["conditions"] == {"branch": "release"}
