"""The window by keyboard, with the real pages on a copy of the demo data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from console.ui import commands
from console.ui.actions import menus
from console.ui.actions.dialogs import ConfirmDialog
from console.ui.main_window import MainWindow
from tests.helpers.windows import TIMEOUT_MS, connected_window, settle_window


@pytest.fixture
def win(qtbot, demo_db_url) -> Iterator[MainWindow]:
    with connected_window(qtbot, demo_db_url, "demo-k", activate=True) as window:
        yield window


def _key(qtbot, widget, key, mod=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(widget, key, mod)


def test_menus_mnemonics_shortcuts_help_and_navigation_order(qtbot, win):
    # every menu entry has a mnemonic
    missing = []

    def walk(menu, path):
        for action in menu.actions():
            if action.isSeparator():
                continue
            if "&" not in action.text():
                missing.append(f"{path} › {action.text()}")
            if action.menu() is not None:
                walk(action.menu(), f"{path} › {action.text()}")

    for top in win.menuBar().actions():
        assert "&" in top.text(), top.text()
        walk(top.menu(), top.text())
    assert missing == []
    # Help > Keyboard shortcuts is made from the actions themselves
    rows = commands.shortcut_rows(win)
    keys = {(r[0], r[1]) for r in rows}
    for command in commands.COMMANDS:
        assert any(title == commands.plain(command.title) for _, title in keys), command
    assert ("Ctrl+Shift+R", "Retry selected executions…") in keys
    assert ("F5", "Refresh") in keys
    order = [commands.plain(a.text()) for a in win.pages_menu.actions()]
    assert [t for _, t, m in rows if m == "View › Go to"] == order
    win.show_shortcuts()
    assert win.shortcuts_dialog.table.rowCount() == len(rows)
    win.shortcuts_dialog.close()
    # page shortcuts follow the navigation order
    titles = [win.nav.item(i).text() for i in range(win.nav.count())]
    assert titles[:3] == ["Overview", "Workflows", "Executions"]
    _key(qtbot, win, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert win.current_key() == "overview"
    _key(qtbot, win, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert win.current_key() == "executions"


def test_tab_leaves_tables_detail_tabs_esc_scope_and_follow_live(qtbot, win):
    win.open_page("executions", {"status": ["running"]})
    settle_window(qtbot, win)
    page = win.pages["executions"]
    assert page.model.rows
    page.view.setFocus()
    page.view.setCurrentIndex(page.model.index(page.model.start, 0))
    _key(qtbot, page.view, Qt.Key.Key_Down)
    assert page.view.hasFocus()  # arrows move inside the table
    _key(qtbot, page.view, Qt.Key.Key_Tab)
    assert not page.view.hasFocus()  # Tab leaves it
    assert win.focus_ring.isVisible() and win.focus_ring.target is QApplication.focusWidget()
    # Enter opens the pane; Ctrl+PgDown walks its tabs from the table
    page.view.setFocus()
    page.view.setCurrentIndex(page.model.index(page.model.start, 0))
    _key(qtbot, page.view, Qt.Key.Key_Return)
    settle_window(qtbot, win)
    assert page.details_shown()
    tabs = page.detail.tabs
    first = tabs.currentIndex()
    _key(qtbot, page.view, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == (first + 1) % tabs.count()
    _key(qtbot, page.view, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert tabs.currentIndex() == first
    # Esc in the table leaves the filter alone; in the filter bar it clears it
    _key(qtbot, page.view, Qt.Key.Key_Escape)
    assert page.current_filters() == {"status": ["running"]}
    edit = page.filter_bar.text_edit("text")
    edit.setFocus()
    _key(qtbot, edit, Qt.Key.Key_Escape)
    settle_window(qtbot, win)
    assert page.current_filters() == {}
    # Ctrl+L: follow the current running execution live
    page.apply_filters({"status": ["running"]})
    settle_window(qtbot, win)
    page.view.setFocus()
    page.view.selectRow(page.model.start)
    chosen = page.model.row_at(page.model.start).raw
    _key(qtbot, page.view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert win.current_key() == "tail"
    assert win.pages["tail"].target.currentData() == str(chosen["id"])


def test_actions_by_shortcut_and_from_the_detail_header(qtbot, win):
    win.open_page("executions", {"status": ["failed"]})
    settle_window(qtbot, win)
    page = win.pages["executions"]
    page.view.setFocus()
    page.view.selectRow(page.model.start + 1)
    chosen = page.model.row_at(page.model.start + 1).raw
    _key(
        qtbot,
        page.view,
        Qt.Key.Key_R,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    controller = menus.controller_for(page)
    qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog), timeout=TIMEOUT_MS)
    assert [t.label for t in controller.dialog.targets] == [chosen["execution_id"]]
    controller.dialog.reject()
    # the header button acts on the row the pane shows
    page.apply_filters({"status": ["running"]})
    settle_window(qtbot, win)
    page.view.setCurrentIndex(page.model.index(page.model.start, 0))
    page.open_details()
    settle_window(qtbot, win)
    shown = page.detail.title.text()
    button = page.detail.command_buttons["cancel"]
    assert button.isEnabled() and not page.detail.command_buttons["retry"].isEnabled()
    button.click()
    qtbot.waitUntil(
        lambda: isinstance(controller.dialog, ConfirmDialog) and controller.dialog.isVisible(),
        timeout=TIMEOUT_MS,
    )
    assert [t.label for t in controller.dialog.targets] == [shown]
    controller.dialog.reject()
    # on a page without the command the status bar says so
    win.show_page("workflows")
    win.command_actions["retry"].trigger()
    assert "not" in win.statusBar().currentMessage().lower()
