"""The integration config editor in the window: secrets kept by identity, ambiguity refused."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMenu

from console.actions.guard import WriteGuard
from console.db.connection import Database
from console.secret_policy import MASK
from console.ui.actions import menus
from console.ui.actions.json_editor import JsonEditorDialog
from console.ui.pages import PageContext
from console.ui.tables.integrations_page import IntegrationsPage
from console.ui.tasks import TaskRunner
from tests.helpers.actions import INT, audit_rows, integration, row


@pytest.fixture
def page(qtbot, dev_db: Database) -> Iterator[IntegrationsPage]:
    menus.install()
    runner = TaskRunner()
    ctx = PageContext(runner=runner, extras={"write_guard": WriteGuard("dev", "dev")})
    widget = IntegrationsPage(ctx)
    qtbot.addWidget(widget)
    widget.resize(1100, 600)
    widget.show()
    widget.set_database(dev_db)
    yield widget
    widget.set_database(None)
    runner.wait_idle()
    QCoreApplication.processEvents()


def _open_editor(qtbot, page: IntegrationsPage) -> JsonEditorDialog:
    page.refresh()  # the row was inserted after the page first loaded
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.ctx.runner.in_flight() == 0)
    page.view.selectRow(0)
    menu: QMenu = page.build_context_menu()
    [edit] = [a for a in menu.actions() if a.text().startswith("Edit config")]
    edit.trigger()
    controller = menus.controller_for(page)
    qtbot.waitUntil(lambda: isinstance(controller.dialog, JsonEditorDialog))
    return controller.dialog


def test_editor_refuses_an_ambiguous_list_and_keeps_secrets_by_identity(
    qtbot, page, engine
) -> None:
    stored = {
        "hooks": [{"token": "t-one"}, {"token": "t-two"}],
        "endpoints": [
            {"url": "https://a.example.com", "token": "tok-A"},
            {"url": "https://b.example.com", "token": "tok-B"},
        ],
    }
    integ = integration(engine, "slack-ops", type="slack", config=stored)
    editor = _open_editor(qtbot, page)
    shown = json.loads(editor.text())
    assert shown["hooks"] == [{"token": MASK}, {"token": MASK}]
    assert not any(s in editor.text() for s in ("t-one", "t-two", "tok-A", "tok-B"))

    shown["hooks"].pop()  # which of the two look-alike secrets stays? nobody can tell
    editor.editor.setPlainText(json.dumps(shown, ensure_ascii=False))
    editor.try_save()
    qtbot.waitUntil(lambda: "not saved" in editor.status.text())
    print(editor.status.text())
    assert "hooks[0]" in editor.status.text() and "secret itself" in editor.status.text()
    assert editor.isVisible()  # the text is kept for the operator to fix
    assert row(engine, INT, integ["id"])["config"] == stored

    shown["hooks"] = [{"token": "t-new"}]  # re-entered: saved as typed
    del shown["endpoints"][0]  # endpoint B keeps its own token, not A's
    editor.editor.setPlainText(json.dumps(shown, ensure_ascii=False))
    with qtbot.waitSignal(editor.saved):
        editor.try_save()
    assert row(engine, INT, integ["id"])["config"] == {
        "hooks": [{"token": "t-new"}],
        "endpoints": [{"url": "https://b.example.com", "token": "tok-B"}],
    }
    audit = json.dumps([audit_rows(engine)[-1]["before"], audit_rows(engine)[-1]["after"]])
    assert not any(s in audit for s in ("t-one", "t-two", "t-new", "tok-A", "tok-B"))
