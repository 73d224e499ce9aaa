"""The command palette (Ctrl+K): pages, profiles, every menu action, and rows as you type.

Typed text filters the window's own entries (pages, profiles, each action of the
menu bar with its shortcut, which includes the Actions menu's cancel / retry /
requeue on the selection) and, off the GUI thread, asks the database for
executions, workflows and integrations starting with it (one indexed statement,
:mod:`console.queries.palette`; a newer keystroke supersedes an older read).
Enter runs the chosen entry; a row opens like its ``autopr://`` link.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from console.links import Link, format_link, identity_of
from console.ui import theme
from console.ui.plain import plain_tip

if TYPE_CHECKING:
    from console.ui.links_ui import LinkOpener
    from console.ui.main_window import MainWindow

MAX_STATIC = 30
DB_LIMIT = 8


EntryKind = Literal["action", "page", "profile", "execution", "workflow", "integration"]


@dataclass
class Entry:
    text: str
    hint: str  # shortcut, kind or status
    run: Callable[[], object]  # what it returns is not used
    kind: EntryKind = "action"


def plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def menu_entries(window: MainWindow) -> list[Entry]:
    """Every action of the menu bar (sub-menus walked), with its shortcut."""
    out: list[Entry] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(sub, f"{path} › {plain(action.text())}")
            elif not action.isSeparator() and action.text():
                out.append(entry_for(action, path))

    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(menu, plain(top.text()))
    return out


def entry_for(action: QAction, path: str) -> Entry:
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    hint = f"{keys}  ·  {path}" if keys else path
    return Entry(plain(action.text()).rstrip("…"), hint, action.trigger)


def matches(entry_text: str, typed: str) -> bool:
    words = typed.lower().split()
    low = entry_text.lower()
    return all(w in low for w in words)


class Palette(QDialog):
    """The Ctrl+K popup of one main window."""

    def __init__(self, window: MainWindow, opener: LinkOpener) -> None:
        super().__init__(window)
        self.window_ = window
        self.opener = opener
        self.setObjectName("commandPalette")
        self.setWindowTitle("Command palette")
        self.setModal(False)
        self.resize(620, 420)
        col = QVBoxLayout(self)
        self.input = QLineEdit(self)
        self.input.setObjectName("paletteInput")
        self.input.setPlaceholderText(
            "Execution id, workflow or integration name, page, profile or action…"
        )
        self.input.setAccessibleName("Command palette search")
        self.list = QTreeWidget(self)  # two columns: what, and its shortcut / kind
        self.list.setObjectName("paletteList")
        self.list.setColumnCount(2)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.header().setStretchLastSection(False)
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.list.setAccessibleName("Command palette results")
        self.note = QLabel(self)
        self.note.setObjectName("paletteNote")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        col.addWidget(self.input)
        col.addWidget(self.list, 1)
        col.addWidget(self.note)
        self.static: list[Entry] = []
        self.db_entries: list[Entry] = []
        self.shown: list[Entry] = []
        self.last_query_ms: float | None = None
        self.answered_for: str | None = None  # the text the database entries are for
        self._enter_waiting = False  # Enter came before the rows of the typed text
        self.input.textChanged.connect(self._typed)
        self.input.installEventFilter(self)
        self.list.itemActivated.connect(lambda _item, _col: self.run_current())

    # ------------------------------------------------------------ opening

    def popup(self) -> None:
        self._enter_waiting = False
        self.static = self._static_entries()
        self.db_entries = []
        self.answered_for = None
        self.input.clear()
        self._fill()
        self.show()
        self.raise_()
        self.activateWindow()
        self.input.setFocus()

    def _static_entries(self) -> list[Entry]:
        w = self.window_
        out: list[Entry] = []
        for spec in w.specs:
            shortcut = w.page_shortcuts.get(spec.key)
            keys = shortcut.key().toString() if shortcut is not None else ""
            out.append(
                Entry(
                    f"Go to {spec.title}",
                    keys or "page",
                    partial(w.show_page, spec.key),
                    "page",
                )
            )
        for name, profile in w.switcher.profiles().items():
            out.append(
                Entry(
                    f"Switch to profile {name}",
                    profile.environment_label,
                    partial(w.switch_profile, name),
                    "profile",
                )
            )
        out.extend(menu_entries(w))
        return out

    # ------------------------------------------------------------ typing

    def _typed(self, typed: str) -> None:
        self._fill()
        self._ask_database(typed)

    def _ask_database(self, typed: str) -> None:
        w = self.window_
        db = w.db
        if db is None or not typed.strip():
            self.db_entries = []
            self.answered_for = typed
            self._fill()
            return
        engine = db.reader

        def work():
            from console.queries.palette import search

            start = time.perf_counter()
            with engine.connect() as conn:
                found = search(conn, typed, DB_LIMIT)
            return found, (time.perf_counter() - start) * 1000

        def done(result) -> None:
            found, ms = result
            if db is not w.db:
                return
            self.last_query_ms = ms
            self.db_entries = [self._row_entry(m) for m in found]
            self.answered_for = typed
            self.note.setText(f"{len(found)} from the database in {ms:.1f} ms")
            self._fill()
            if self._enter_waiting and typed == self.input.text():
                self._enter_waiting = False
                self.run_current()

        def failed(exc: BaseException) -> None:
            self.answered_for = typed
            self._enter_waiting = False
            from console.db.errors import read_failure

            self.note.setText(f"Search failed. {read_failure(exc)[:160]}")

        w.runner.submit(work, done, failed, owner=self, key="palette:search")

    def _row_entry(self, match) -> Entry:
        db = self.window_.db
        ident = identity_of(db.profile) if db is not None else None
        link = None
        if ident is not None:
            link = format_link(Link(ident.name, match.kind, match.label))

        def run() -> None:
            if link is not None:
                self.opener.open(link)

        return Entry(match.label, f"{match.kind} · {match.detail}", run, match.kind)

    def _fill(self) -> None:
        typed = self.input.text()
        static = [e for e in self.static if matches(e.text, typed)][:MAX_STATIC]
        rows = self.db_entries if typed.strip() else []
        self.shown = rows + static
        self.list.clear()
        muted = theme.muted_color()
        for entry in self.shown:
            item = QTreeWidgetItem([entry.text, entry.hint])
            item.setData(0, Qt.ItemDataRole.UserRole, entry.kind)
            item.setToolTip(0, plain_tip(entry.text))  # row names from the database
            item.setForeground(1, muted)
            self.list.addTopLevelItem(item)
        first = self.list.topLevelItem(0)
        if self.shown and first is not None:
            self.list.setCurrentItem(first)

    # ------------------------------------------------------------ running

    def run_current(self) -> bool:
        item = self.list.currentItem()
        row = self.list.indexOfTopLevelItem(item) if item is not None else -1
        if not 0 <= row < len(self.shown):
            return False
        entry = self.shown[row]
        self.hide()
        entry.run()
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.input
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
        ):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                self.list.keyPressEvent(event)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                typed = self.input.text()
                if typed.strip() and self.answered_for != typed and self.window_.db is not None:
                    self._enter_waiting = True  # run the first entry once its rows are in
                else:
                    self.run_current()
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(watched, event)
