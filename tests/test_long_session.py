"""A long session does not pile up Qt objects: what is done with is deleted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from console.actions.errors import ActionError
from console.db.connection import Database, open_database
from console.profiles import Profile
from console.ui.actions.controller import ActionController
from console.ui.actions.menus import controller_for
from console.ui.pages import PageContext
from console.ui.tail.page import TailPage
from console.ui.tail.session import TailSession
from console.ui.tasks import TaskRunner
from tests.helpers.ui_tables import make_page


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(Profile("dev", environment="dev", url=db_url))
    yield database
    database.close()


def _deleted_later() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    QCoreApplication.processEvents()


def test_action_dialogs_are_deleted_once_closed(qtbot, runner, db):
    parent = QWidget()
    qtbot.addWidget(parent)
    controller = ActionController(parent, runner, db)
    for _ in range(5):
        controller.confirm_then("cancel", 1, "execution", lambda: None)
        assert isinstance(controller.dialog, QDialog)
        controller.dialog.reject()
        assert controller.dialog is None
        controller.refuse(ActionError("database", "the server went away"))
        box = controller.dialog
        assert isinstance(box, QMessageBox)
        box.done(0)
        _deleted_later()
    assert parent.findChildren(QDialog) == []


class _Page(QWidget):
    """What ``controller_for`` needs of a table page."""

    def __init__(self, runner: TaskRunner) -> None:
        super().__init__()
        self.ctx = PageContext(runner=runner)
        self.db: Database | None = None

    def refresh(self) -> None:
        pass


def test_one_action_controller_per_page_across_reconnects(qtbot, runner, db_url):
    page = _Page(runner)
    qtbot.addWidget(page)
    for _ in range(4):  # each reconnect hands the page a new Database
        page.db = open_database(Profile("dev", environment="dev", url=db_url))
        assert controller_for(page) is controller_for(page)
        _deleted_later()
        page.db.close()
    assert len(page.findChildren(ActionController)) == 1


def test_a_restarted_tail_leaves_no_stopped_session_behind(qtbot, runner, db):
    page = TailPage(PageContext(runner=runner))
    qtbot.addWidget(page)
    page.show()
    page.set_database(db)
    for _ in range(5):
        page.follow_execution("")  # every restart makes a new session
        _deleted_later()
    sessions = page.findChildren(TailSession)
    assert sessions == [page.session]
    page.set_database(None)
    _deleted_later()
    assert page.findChildren(TailSession) == []
    assert not [o for o in page.findChildren(QObject) if type(o).__name__ == "TailSession"]


def test_opening_the_row_menu_again_and_again_leaves_no_menus_behind(qtbot, runner, db):
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMenu

    page = make_page(qtbot, PageContext(runner=runner), "executions", db)
    page.view.selectRow(0)

    def opened() -> tuple[int, int]:
        page.keyboard_context_menu()
        page.context_menu.close()
        _deleted_later()
        return len(page.findChildren(QMenu)), len(page.findChildren(QAction))

    first = opened()
    assert [opened() for _ in range(6)] == [first] * 6  # the columns submenu went too
