"""The Actions menu, its shortcuts, and Help > Keyboard shortcuts (made from the actions).

Every operator action lives in the table pages' context menus (see
:mod:`console.ui.actions.menus`), each menu entry tagged with a command key
(``QAction.data()``).  The window's Actions menu holds one action per command
with its shortcut; triggering it asks the current page to run that command,
which builds the page's menu for the selected rows (or the current row) and
triggers the entry with that key: one code path for the mouse, the Menu key,
the Actions menu, a shortcut and the buttons in the detail headers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class Command:
    key: str  # the tag of the context-menu entries that carry it out
    title: str  # with its mnemonic
    shortcut: str = ""
    acts: bool = True  # False: the shortcut belongs to the table (shown here, handled there)


COMMANDS: tuple[Command, ...] = (
    Command("cancel", "&Cancel selected executions…", "Ctrl+Shift+K"),
    Command("retry", "&Retry selected executions…", "Ctrl+Shift+R"),
    Command("requeue", "Re&queue selected events…", "Ctrl+Shift+Q"),
    Command("ignore", "&Ignore selected events…", "Ctrl+Shift+I"),
    Command("toggle-enabled", "&Enable or disable the integration…", "Ctrl+Shift+E"),
    Command("follow-live", "&Follow live", "Ctrl+L"),
    Command("export", "E&xport the rows matching the filter…", "Ctrl+Shift+S"),
    Command("open-details", "Open &details", "Return", acts=False),
    Command("toggle-details", "Show or hide the detail &pane", "Ctrl+D", acts=False),
    Command("next-tab", "&Next detail tab", "Ctrl+PgDown", acts=False),
    Command("previous-tab", "Previous detail &tab", "Ctrl+PgUp", acts=False),
    Command("context-menu", "Context &menu of the current row", "Shift+F10", acts=False),
    Command("clear-filters", "C&lear the filters (in a filter bar)", "Esc", acts=False),
    Command("copy-tsv", "Copy rows with &headers", "Ctrl+C", acts=False),
    Command("copy-json", "Copy rows as &JSON", "Ctrl+Alt+C", acts=False),
    Command("copy-link", "Copy &link of the row", "Ctrl+Shift+C", acts=False),
)


def plain(text: str) -> str:
    """A menu text without its mnemonic marker."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def build_actions_menu(
    window: QMainWindow, menu: QMenu, run: Callable[[str], None]
) -> dict[str, QAction]:
    """Fill ``menu`` with one action per command; ``run(key)`` carries one out."""
    actions: dict[str, QAction] = {}
    for command in COMMANDS:
        action = QAction(command.title, window)
        action.setObjectName(f"command_{command.key}")
        action.setData(command.key)
        if command.shortcut:
            action.setShortcut(QKeySequence(command.shortcut))
        if not command.acts:  # shown for reference; the table's own shortcut acts
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(lambda _=False, key=command.key: run(key))
        if command.key in ("open-details", "copy-tsv"):
            menu.addSeparator()
        menu.addAction(action)
        actions[command.key] = action
    return actions


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(shortcut, action, menu) of every action with a shortcut in the window's menus."""
    rows: list[tuple[str, str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, f"{path} › {plain(action.text())}")
            elif not action.isSeparator():
                for seq in action.shortcuts():
                    text = seq.toString(QKeySequence.SequenceFormat.NativeText)
                    if text:
                        rows.append((text, plain(action.text()), path))

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, plain(top.text()))
    return rows


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: the window's actions and their keys, as they are now."""

    def __init__(self, window: QMainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setWindowTitle("Keyboard shortcuts")
        self.setObjectName("shortcutsDialog")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setObjectName("shortcutsTable")
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Keys", "Action", "Menu"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                self.table.setItem(i, j, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addWidget(self.table, 1)
        col.addWidget(buttons)
        self.resize(620, 560)
