"""Right after a profile connects, the table page's later reads (its filter choices
arriving, an auto-refresh tick, F5) keep the row the operator selected, even one
selected while such a read was in flight."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from console.profiles import Profile
from console.ui.main_window import MainWindow
from console.ui.tables.base import TablePage
from tests.helpers.windows import shown_window

TIMEOUT_MS = 60_000


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:
    win = shown_window(qtbot, remember=False)
    win.activateWindow()  # the focus (and so the selection) belongs to this window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=TIMEOUT_MS)
    yield win
    win.close()


def connect_and_wait(qtbot, win: MainWindow, url: str, key: str) -> TablePage:
    win.show_page(key)
    page = win.pages[key]
    win.connect_profile(Profile("settle", environment="dev", url=url))
    qtbot.waitUntil(lambda: win.state == "connected", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: len(page.model.rows) > 3, timeout=TIMEOUT_MS)
    return page


def select(page: TablePage, offset: int) -> str:
    row = page.model.start + offset
    page.view.setFocus()
    # Through the selection model: selectRow() reads the keyboard modifiers Qt believes
    # are held, which earlier tests' synthetic key events can leave set (Ctrl adds rows).
    sel = page.view.selectionModel()
    flags = sel.SelectionFlag.ClearAndSelect | sel.SelectionFlag.Rows
    sel.setCurrentIndex(page.model.index(row, 0), flags)
    return page.model.row_at(row).id


def settled(qtbot, win: MainWindow) -> None:
    qtbot.wait(1500)  # past the filter choices read (0.8 s after the first rows)
    qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=TIMEOUT_MS)


@pytest.mark.parametrize("key", ["executions", "logs"])
def test_selection_made_right_after_connect_survives_the_page_settling(
    qtbot, window, demo_db_url, key
) -> None:
    page = connect_and_wait(qtbot, window, demo_db_url, key)
    chosen = select(page, 2)
    settled(qtbot, window)
    page.refresh()  # and an auto-refresh tick after it
    settled(qtbot, window)
    assert page.selected_ids() == [chosen]
    assert page.current_id() == chosen


def test_selection_made_while_a_reread_is_in_flight_is_kept(qtbot, window, demo_db_url) -> None:
    page = connect_and_wait(qtbot, window, demo_db_url, "executions")
    window.pause_action.setChecked(True)  # only the read started below is in flight
    settled(qtbot, window)
    select(page, 1)
    page.refresh()  # the read starts with row 1 selected...
    assert page.controller.loading or window.runner.busy(page)
    chosen = select(page, 4)  # ...the operator moves on before it answers
    settled(qtbot, window)
    assert page.selected_ids() == [chosen]
    assert page.current_id() == chosen
