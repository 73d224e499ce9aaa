"""Actions from the table pages' context menus, on the real pages and a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtWidgets import QMenu
from sqlalchemy import Engine

from console.actions.guard import WriteGuard
from console.db.connection import Database
from console.ui.actions import menus
from console.ui.actions.dialogs import BulkSummaryDialog, ConfirmDialog
from console.ui.actions.editors import WorkflowActionsDialog
from console.ui.actions.json_editor import JsonEditorDialog
from console.ui.pages import PageContext
from console.ui.tasks import TaskRunner
from tests.helpers.actions import ACT, EX, WF, action, execution, row, workflow


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
        if act.text().replace("&", "").startswith(prefix):
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
    controller = menus.controller_for(page)
    qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog))
    assert controller.dialog.count == 3
    # the already finished one is named as refused before confirming
    assert "1 will be refused (1 already finished)" in controller.dialog.refusals_label.text()
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
    # without a filter "matching the filter" would mean every row: not offered, and says why
    unfiltered = _menu_action(page.build_context_menu(), "Retry all failed/timeout/cancelled")
    assert not unfiltered.isEnabled() and "set a filter first" in unfiltered.text()
    page.apply_filters({"workflow_id": str(wf["id"])})
    _wait_rows(qtbot, page, 7)
    menu = page.build_context_menu()
    _menu_action(menu, "Retry all failed/timeout/cancelled matching").trigger()
    controller = menus.controller_for(page)
    qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog))
    assert controller.dialog.count == 6
    controller.dialog.ok_button.click()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, BulkSummaryDialog))
    assert len(controller.dialog.summary.done) == 6
    _wait_rows(qtbot, page, 13)  # the page refreshed and shows the 6 new pending retries
    assert controller.dialog.open_button.text() == "Show the 6 new executions"


def test_workflow_menu_reorders_and_edits_config(qtbot, runner, dev_db, engine, tmp_path):
    wf = workflow(engine, "ship", config={"max_retries": 1})
    ids = [action(engine, wf["id"], i)["id"] for i in range(3)]
    page = _page(qtbot, runner, dev_db, "console.ui.tables.workflows_page", "WorkflowsPage")
    _wait_rows(qtbot, page, 1)
    page.view.selectRow(0)
    menu = page.build_context_menu()
    _menu_action(menu, "Actions and order").trigger()
    controller = menus.controller_for(page)
    dialog = controller.dialog
    assert isinstance(dialog, WorkflowActionsDialog)
    qtbot.waitUntil(lambda: dialog.list.count() == 3)
    dialog.list.setCurrentRow(2)
    dialog.move_current(-1)
    dialog.move_current(-1)  # last to first
    dialog.grab().save(str(tmp_path / "ui_actions_reorder.png"))
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
    from tests.helpers.actions import INT, audit_rows, integration

    integ = integration(
        engine, "slack-ops", type="slack", config={"channel": "#a", "token": "s3cret"}
    )
    page = _page(qtbot, runner, dev_db, "console.ui.tables.integrations_page", "IntegrationsPage")
    _wait_rows(qtbot, page, 1)
    page.view.selectRow(0)
    menu = page.build_context_menu()
    _menu_action(menu, "Edit config").trigger()
    controller = menus.controller_for(page)
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
    from tests.helpers.actions import TRG, trigger

    wf = workflow(engine, "ship")
    trg = trigger(engine, wf["id"], enabled=True, conditions={"branch": "main"})
    page = _page(qtbot, runner, dev_db, "console.ui.tables.workflows_page", "WorkflowsPage")
    _wait_rows(qtbot, page, 1)
    page.view.selectRow(0)
    _menu_action(page.build_context_menu(), "Triggers").trigger()
    controller = menus.controller_for(page)
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


def _popup(qtbot, page, key, modifier=None):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    page.activateWindow()
    page.view.setFocus()
    qtbot.waitUntil(page.view.hasFocus)
    before = page.context_menu
    QTest.keyClick(page.view, key, modifier or Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: page.context_menu is not None and page.context_menu is not before)
    qtbot.waitUntil(page.context_menu.isVisible)
    return page.context_menu


def _four_failed_executions(qtbot, runner, dev_db, engine):
    """The Executions page showing four failed executions of a workflow that may retry."""
    wf = workflow(engine, "ship", config={"max_retries": 5})
    for _ in range(4):
        execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC))
    page = _page(qtbot, runner, dev_db, "console.ui.tables.executions_page", "ExecutionsPage")
    _wait_rows(qtbot, page, 4)
    return page


@pytest.mark.parametrize("keys", ["menu", "shift+f10"])
def test_keyboard_context_menu_acts_on_the_current_row(qtbot, runner, dev_db, engine, keys):
    """The Menu key and Shift+F10 open the current row's menu; the selection is untouched."""
    from PySide6.QtCore import Qt

    page = _four_failed_executions(qtbot, runner, dev_db, engine)
    # (not selectRow: it follows whatever modifier keys an earlier test left pressed)
    sel = page.view.selectionModel()
    sel.select(page.model.index(1, 0), sel.SelectionFlag.ClearAndSelect | sel.SelectionFlag.Rows)
    sel.setCurrentIndex(page.model.index(1, 0), sel.SelectionFlag.NoUpdate)
    chosen = page.model.row_at(1).raw
    key, mod = (
        (Qt.Key.Key_Menu, None)
        if keys == "menu"
        else (Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    )
    menu = _popup(qtbot, page, key, mod)
    assert page.selected_ids() == [str(chosen["id"])]  # not the row below
    assert page.view.currentIndex().row() == 1
    _menu_action(menu, "Retry 1 selected").trigger()
    menu.close()
    controller = menus.controller_for(page)
    qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog))
    confirm = controller.dialog
    assert [t.label for t in confirm.targets] == [chosen["execution_id"]]
    assert confirm.table is None  # one target, eligible: named in the question itself
    assert chosen["execution_id"] in confirm.question.text()
    confirm.ok_button.click()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, BulkSummaryDialog))
    [done] = controller.dialog.summary.done
    assert done.target_id == str(chosen["id"])
    with engine.connect() as conn:
        from sqlalchemy import text

        parents = conn.execute(
            text("SELECT parent_execution_id FROM workflow_executions WHERE retry_count = 1")
        ).scalars()
        assert list(parents) == [chosen["id"]]


def test_keyboard_menu_outside_the_selection_acts_on_the_current_row(qtbot, runner, dev_db, engine):
    """Ctrl+arrows moved the current row away from the selection: the Menu key's menu acts
    on the row it opens at (it becomes the selection, as a right-click would), never on
    the rows selected elsewhere."""
    from PySide6.QtCore import Qt

    page = _four_failed_executions(qtbot, runner, dev_db, engine)
    sel = page.view.selectionModel()
    flags = sel.SelectionFlag
    sel.select(page.model.index(0, 0), flags.ClearAndSelect | flags.Rows)
    sel.select(page.model.index(1, 0), flags.Select | flags.Rows)
    sel.setCurrentIndex(page.model.index(3, 0), flags.NoUpdate)  # what Ctrl+Down leaves
    current = page.model.row_at(3).raw
    menu = _popup(qtbot, page, Qt.Key.Key_Menu)
    assert page.selected_ids() == [str(current["id"])]
    _menu_action(menu, "Retry 1 selected").trigger()
    menu.close()
    controller = menus.controller_for(page)
    qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog))
    assert [t.label for t in controller.dialog.targets] == [current["execution_id"]]
    controller.dialog.reject()
    # A selection holding the current row is what the menu acts on, whole.
    sel.select(page.model.index(2, 0), flags.Select | flags.Rows)
    menu = _popup(qtbot, page, Qt.Key.Key_Menu)
    assert sorted(page.selected_ids()) == sorted(
        str(page.model.row_at(r).raw["id"]) for r in (2, 3)
    )
    assert _menu_action(menu, "Retry 2 selected").isEnabled()
    menu.close()


def test_confirmation_names_targets_refusals_and_override(qtbot, runner, dev_db, engine, tmp_path):
    """Up to 20 named with their workflow, the rest counted with the filter; refusals first."""
    wf = workflow(engine, "deploy", config={"max_retries": 1})
    spent = [
        execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC), retry_count=1)
        for _ in range(2)
    ]
    for _ in range(22):
        execution(engine, wf["id"], "timeout", completed_at=datetime.now(UTC))
    page = _page(qtbot, runner, dev_db, "console.ui.tables.executions_page", "ExecutionsPage")
    _wait_rows(qtbot, page, 24)
    page.apply_filters({"workflow_id": str(wf["id"])})
    _wait_rows(qtbot, page, 24)
    qtbot.waitUntil(lambda: "deploy" in page.title_suffix(), timeout=5000)  # names load later
    _menu_action(page.build_context_menu(), "Retry all failed/timeout/cancelled").trigger()
    controller = menus.controller_for(page)
    qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog))
    confirm = controller.dialog
    confirm.grab().save(str(tmp_path / "ui_actions_confirm_targets.png"))
    assert confirm.table.rowCount() == 20
    labels = {confirm.table.item(i, 0).text() for i in range(20)}
    assert {confirm.table.item(i, 1).text() for i in range(20)} == {"deploy"}
    assert "…and 4 more matching the filter: Workflow: deploy" in confirm.more_label.text()
    assert "2 will be refused (2 max retries reached)" in confirm.refusals_label.text()
    refused_rows = [
        confirm.table.item(i, 2).text()
        for i in range(20)
        if confirm.table.item(i, 0).text() in {s["execution_id"] for s in spent}
    ]
    assert all(r == "refused: max retries reached (1 of 1)" for r in refused_rows)
    assert len(labels) == 20
    assert confirm.ok_button.text() == "Retry 22 executions"
    confirm.override_box.setChecked(True)  # the override lives in the same dialog
    assert confirm.ok_button.text() == "Retry 24 executions"
    confirm.ok_button.click()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, BulkSummaryDialog))
    assert (len(controller.dialog.summary.done), len(controller.dialog.summary.refused)) == (24, 0)
    assert {row(engine, EX, s["id"])["status"] for s in spent} == {"failed"}
    with engine.connect() as conn:
        from sqlalchemy import text

        overridden = conn.execute(
            text(
                "SELECT count(*) FROM workflow_executions "
                "WHERE (trigger_data ->> 'max_retries_override')::boolean"
            )
        ).scalar()
    assert overridden == 2


def test_retry_offers_to_open_the_new_execution(qtbot, runner, dev_db, engine):
    wf = workflow(engine, "ship")
    ex = execution(engine, wf["id"], "failed", completed_at=datetime.now(UTC))
    opened: list = []
    page = _page(qtbot, runner, dev_db, "console.ui.tables.executions_page", "ExecutionsPage")
    page.ctx.open_page = lambda key, filters: opened.append((key, filters))
    _wait_rows(qtbot, page, 1)
    page.view.selectRow(0)
    _menu_action(page.build_context_menu(), "Retry 1 selected").trigger()
    controller = menus.controller_for(page)
    qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog))
    controller.dialog.ok_button.click()
    qtbot.waitUntil(lambda: isinstance(controller.dialog, BulkSummaryDialog))
    summary = controller.dialog
    assert summary.open_button.text() == "Open the new execution"
    summary.open_button.click()
    [(key, filters)] = opened
    with engine.connect() as conn:
        from sqlalchemy import text

        child = conn.execute(
            text("SELECT id FROM workflow_executions WHERE parent_execution_id = :p"),
            {"p": ex["id"]},
        ).scalar()
    assert (key, filters) == ("executions", {"execution_id": str(child)})
