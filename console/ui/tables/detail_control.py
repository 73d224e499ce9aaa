"""The detail pane of a table page: which row it shows, reading it, showing and hiding it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QObject, QTimer

from console.ui import settings
from console.ui.tables.controller import user_message

if TYPE_CHECKING:
    from console.ui.tables.base import TablePage

DETAIL_MIN, DETAIL_MAX_DEFAULT = 280, 460  # the pane's width until the operator drags it
FOLLOW_MS = 120  # the pane follows the current row after it rests this long
NO_ROW = "Select a row to see its details."


class DetailControl(QObject):
    """Reads the row shown in the page's detail pane (off the GUI thread) and places the
    pane: it follows the current row while open, and its width is remembered per page."""

    def __init__(self, page: TablePage) -> None:
        super().__init__(page)
        self._page = page
        self.pane = page.detail
        self.row_id: str | None = None  # the row shown (or being read)
        self.data: Any = None  # what the last read returned
        self._key = f"{page.key}:detail:{id(self)}"
        self._follow = QTimer(self)
        self._follow.setSingleShot(True)
        self._follow.setInterval(FOLLOW_MS)
        self._follow.timeout.connect(self._load_current)
        page.splitter.splitterMoved.connect(lambda *_: self.remember_width())
        self.pane.show_id.connect(self.show_row)
        self.pane.copy_link_requested.connect(lambda: page.copy_link(self.row_id))

    def reset(self, engine: Any) -> None:
        """A new database (or none): nothing shown, a read under way is forgotten."""
        self._page.ctx.runner.invalidate(self._key)
        self.pane.set_engine(engine)
        self.pane.show_message(NO_ROW)

    def forget(self) -> None:
        """The rows changed under new filters: the pane no longer shows one of them."""
        if self.row_id is not None:
            self._page.ctx.runner.invalidate(self._key)
            self.row_id = None
            self.pane.show_message(NO_ROW)

    def reload(self) -> None:
        """Read the row shown again (after a refresh, a failure, a time-format change)."""
        if self.row_id:
            self.load(self.row_id)

    def current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._page.restoring_selection and self.pane.isVisible():
            self._follow.start()

    def _load_current(self) -> None:
        row_id = self._page.current_id()
        if row_id is not None and row_id != self.row_id:
            self.load(row_id)

    def open(self, index: QModelIndex | None = None) -> None:
        """Enter or double-click: show the pane for the row."""
        page = self._page
        index = index if index is not None and index.isValid() else page.view.currentIndex()
        row = page.model.row_at(index.row()) if index.isValid() else None
        if row is None:
            return
        self._follow.stop()
        self.show(True)
        self.load(row.id)

    def shown(self) -> bool:
        return not self.pane.isHidden()

    def show(self, on: bool) -> None:
        """Show or hide the pane; its width is remembered per page."""
        if on == self.shown():
            return
        page = self._page
        if not on:
            self.remember_width()
            self.pane.hide()
            page.view.setFocus()
            return
        total = max(1, sum(page.splitter.sizes()))
        saved = settings.DETAIL_WIDTH.get(page.key)
        default = min(DETAIL_MAX_DEFAULT, max(DETAIL_MIN, total * 2 // 5))
        width = saved if DETAIL_MIN <= saved <= total - 200 else default
        self.pane.show()
        page.splitter.setSizes([max(1, total - width), width])

    def toggle(self) -> None:
        """Ctrl+D: the pane of the current row, or the table alone."""
        if self.shown():
            self.show(False)
        elif self._page.view.currentIndex().isValid():
            self.open()
        else:
            self.show(True)

    def remember_width(self) -> None:
        sizes = self._page.splitter.sizes()
        if self.shown() and len(sizes) == 2 and sizes[1] > 0:
            settings.DETAIL_WIDTH.put(sizes[1], self._page.key)

    def show_row(self, row_id: str) -> None:
        self._follow.stop()
        self.load(row_id)

    def step_tab(self, step: int) -> None:
        """The pane's next / previous tab."""
        tabs = getattr(self.pane, "tabs", None)
        if tabs is None or not self.shown() or tabs.count() == 0:
            return
        tabs.setCurrentIndex((tabs.currentIndex() + step) % tabs.count())

    def row_shown(self) -> Any:
        """The row of the pane as the table has it (or as the pane read it); None if none."""
        data = self.data
        if not isinstance(data, dict) or "id" not in data:
            return None
        model = self._page.model
        r = model.view_row_of(str(data["id"]))
        row = model.row_at(r) if r is not None else None
        return row.raw if row is not None else data

    def load(self, row_id: str) -> None:
        page = self._page
        if page.db is None:
            return
        self.row_id = row_id
        engine, fetch = page.db.reader, type(page).detail_fetch

        def work() -> Any:
            with engine.connect() as conn:
                return fetch(conn, row_id)

        def done(data: Any) -> None:
            self.data = data
            if data is None:
                self.pane.show_message("This row is gone (deleted meanwhile).")
            else:
                self.pane.show_data(data)

        def failed(exc: BaseException) -> None:
            self.pane.show_message(user_message(exc))

        page.ctx.runner.submit(work, done, failed, owner=self, key=self._key)
