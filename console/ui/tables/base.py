"""TablePage: the common body of the five table pages.

A filter bar and chip bar over a table view (a windowed keyset model) with a
detail pane beside it, a status line with the row total (an estimate unless the
operator asks for the exact count), copy as TSV/JSON, a context menu that
operator actions can extend through :data:`context_menu_providers`, and the
page state remembered in QSettings (filters per profile, column widths, sort).

The page lays these out and keeps the filters; its collaborators do the rest:
:class:`~console.ui.tables.detail_control.DetailControl` (the detail pane),
:class:`~console.ui.tables.row_actions.RowActions` (context menu, commands, copy),
:class:`~console.ui.tables.header_state.HeaderState` (sort, widths, column chooser),
:class:`~console.ui.tables.views_menu.SavedViews`,
:class:`~console.ui.tables.export_ui.TableExport` and
:class:`~console.ui.tables.table_status.TableStatus`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.queries.details import DetailFetch
from console.queries.filters import TableFilters, normalized
from console.queries.keyset import Sort
from console.queries.specs import TableSpec
from console.ui import timefmt
from console.ui.context_menus import (  # noqa: F401  (the pages' public names)
    ContextMenuProvider,
    context_menu_providers,
)
from console.ui.pages import PageContext
from console.ui.tables.columns import Column
from console.ui.tables.controller import WindowController
from console.ui.tables.detail_control import DetailControl
from console.ui.tables.export_ui import TableExport
from console.ui.tables.filter_control import FilterControl
from console.ui.tables.filterbar import ChipBar, Field, FilterBar
from console.ui.tables.header_state import HeaderState
from console.ui.tables.row_actions import (  # noqa: F401  (the pages' public names)
    COPY_JSON,
    COPY_LINK,
    DETAIL_TOGGLE,
    RowActions,
)
from console.ui.tables.table_status import TableStatus
from console.ui.tables.view_setup import (  # noqa: F401  (the detail panes' tables use them)
    ROW_HEIGHT,
    MiddleElide,
    apply_columns,
    configure_view,
)
from console.ui.tables.views_menu import SavedViews

if TYPE_CHECKING:
    from console.db.connection import Database

log = logging.getLogger(__name__)

SHOWN_FRESH_S = 2.0  # a page shown again within this of its last read is not read again


class DetailPane(QWidget):
    """Base of the detail panes: ``show_data`` gets what ``fetch`` returned."""

    open_page = Signal(str, dict)  # page key, filters
    show_id = Signal(str)  # show another row of this page's table in the pane
    copy_link_requested = Signal()  # the pane's "Copy link" button
    command = Signal(str)  # a header button: run this command on the row shown

    def add_command_buttons(self, layout: QHBoxLayout, buttons: list[tuple[str, str]]) -> None:
        """Buttons for commands (:mod:`console.ui.commands`) on the row shown in the pane."""
        self.command_buttons: dict[str, QPushButton] = {}
        for key, label in buttons:
            button = QPushButton(label, self)
            button.setObjectName(f"detail_{key}")
            button.clicked.connect(lambda _=False, k=key: self.command.emit(k))
            layout.addWidget(button)
            self.command_buttons[key] = button
        layout.addStretch(1)

    def set_engine(self, engine: Any) -> None:
        """For panes with windowed sub-tables (an execution's logs, an integration's events)."""

    def name_tabs(self) -> None:
        """Each tab's widget is announced by its tab's title (e.g. "Trigger data")."""
        tabs = getattr(self, "tabs", None)
        if tabs is None:
            return
        for i in range(tabs.count()):
            widget = tabs.widget(i)
            if not widget.accessibleName():
                widget.setAccessibleName(tabs.tabText(i).replace("&", ""))

    def show_data(self, data: Any) -> None:
        raise NotImplementedError

    def show_message(self, message: str) -> None:
        raise NotImplementedError


class TablePage(QWidget):
    """A page of the main window over one big table."""

    key: ClassVar[str] = ""
    noun: ClassVar[str] = "rows"
    spec: ClassVar[TableSpec]
    columns: ClassVar[tuple[Column, ...]]
    fields: ClassVar[tuple[Field, ...]] = ()
    empty_hint: ClassVar[str] = ""
    detail_fetch: ClassVar[DetailFetch]

    title_changed = Signal(str)
    rows_changed = Signal()

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"page_{self.key}")
        self.ctx = ctx
        self.db: Database | None = None
        self.controller = WindowController(ctx.runner, self.spec, self.columns, parent=self)
        self.model = self.controller.model
        self._error: str | None = None
        self.restoring_selection = False  # the detail pane does not follow meanwhile

        self.filter_bar = FilterBar(self.fields, self)
        self.chips = ChipBar(self)
        self.view = QTableView(self)
        self.view.setObjectName(f"{self.key}_table")
        self.view.setAccessibleName(f"{self.noun.capitalize()} table")
        configure_view(self.view)
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.detail = self.make_detail()
        self.detail.name_tabs()
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.detail.hide()  # until a row is opened (Enter, double-click, Ctrl+D)

        self.details = DetailControl(self)
        self.filters = FilterControl(self)
        self.header_state = HeaderState(
            self, resort=lambda: self.filters.apply(self.current_filters(), remember=False)
        )
        self.row_actions = RowActions(self)
        self.saved_views = SavedViews(self)
        self.exporter = TableExport(self)
        self.status = TableStatus(self)
        # The parts tests and the operator actions reach, under the page's names.
        self.empty, self.freshness = self.status.empty, self.status.freshness
        self.count_label, self.exact_button = self.status.count_label, self.status.exact_button
        self.notes_label = self.status.notes_label
        self.export_progress, self.export_cancel = (
            self.exporter.progress,
            self.exporter.cancel_button,
        )
        self.views_button, self.views_menu = self.saved_views.button, self.saved_views.menu

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(4)
        self.filter_bar.add_trailing(self.views_button)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.chips)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(self.status.layout(self.export_progress, self.export_cancel))
        self.chips.set_chips([])

        self.controller.loaded.connect(self._loaded)
        self.controller.failed.connect(self._failed)
        self.controller.total_changed.connect(self._update_status)
        self.model.window_changed.connect(self._update_status)
        self.view.activated.connect(self.open_details)
        self.view.doubleClicked.connect(self.open_details)
        self.view.selectionModel().currentRowChanged.connect(self.details.current_changed)
        self.detail.open_page.connect(lambda key, f: self.ctx.open_page(key, f))
        self.detail.command.connect(self._detail_command)
        timefmt.time_events().utc_changed.connect(self._reformat)
        self.header_state.restore()
        self._update_status()

    # ------------------------------------------------------------ subclass hooks

    def make_detail(self) -> DetailPane:
        raise NotImplementedError

    # ------------------------------------------------------------ Page protocol

    def set_database(self, db: Database | None) -> None:
        self.db = db
        self.controller.set_engine(db.reader if db is not None else None)
        self.controller.json_columns = set(db.migration.schema.json_columns) if db else set()
        self.details.reset(db.reader if db is not None else None)
        self._error = None
        self.freshness.clear()
        if db is None:
            self._update_status()
            return
        self.filters.restore()

    def refresh(self) -> None:
        """Re-read the window; selection (by id), current row and scroll position survive."""
        if self.db is None or self.controller.query is None:
            return
        kept: dict[str, Any] = {}

        def keep() -> None:  # when the rows land: what was selected while the read ran
            kept.update(
                ids=set(self.selected_ids()),
                current=self.current_id(),
                vpos=self.view.verticalScrollBar().value(),
                hpos=self.view.horizontalScrollBar().value(),
            )

        def restore() -> None:
            if kept:
                self._restore_selection(kept["ids"], kept["current"])
                self.view.verticalScrollBar().setValue(kept["vpos"])
                self.view.horizontalScrollBar().setValue(kept["hpos"])
            self.details.reload()
            self.rows_changed.emit()

        self.controller.refresh(on_done=restore, before_apply=keep)

    def shown(self) -> None:
        """The page became visible: re-read unless a read is under way or just answered."""
        age = self.freshness.age()
        if self.controller.loading or (age is not None and age < SHOWN_FRESH_S):
            return
        self.refresh()

    def apply_filters(self, filters: dict[str, Any]) -> None:
        self.filters.show(normalized(filters))

    # ------------------------------------------------------------ API for other pages/actions

    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        out = []
        for r in rows:
            row = self.model.row_at(r)
            if row is not None:
                out.append(row.id)
        return out

    def selected_rows(self) -> list[int]:
        """View rows of the selection (else the current row) that hold a loaded row."""
        rows = sorted({i.row() for i in self.view.selectionModel().selectedIndexes()})
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        return [r for r in rows if self.model.row_at(r) is not None]

    def current_id(self) -> str | None:
        """The id of the current row, if it is loaded."""
        idx = self.view.currentIndex()
        row = self.model.row_at(idx.row()) if idx.isValid() else None
        return row.id if row is not None else None

    def current_filters(self) -> TableFilters:
        return self.filters.current()

    def clear_filters(self) -> None:
        self.filters.show({})

    def focus_filter(self) -> None:
        self.filter_bar.focus_text()

    def filter_scope(self) -> list[QWidget]:
        """Where Esc clears this page's filters (the window asks; nowhere else)."""
        return [self.filter_bar, self.chips]

    def title_suffix(self) -> str:
        return " · ".join(label for _, label in self.filters.chips())

    def current_sort(self) -> Sort:
        return self.header_state.sort

    def last_error(self) -> str | None:
        """Why the last read failed; None once one succeeds."""
        return self._error

    def profile_name(self) -> str | None:
        return self.db.profile.name if self.db is not None else None

    def screenshot_states(self) -> list[tuple[str, Callable[[], None]]]:
        def first_row_details() -> None:
            if self.model.rows:
                self.view.selectRow(self.model.start)
                self.open_details(self.model.index(self.model.start, 0))

        return [("detail", first_row_details)]

    # ------------------------------------------------------------ collaborators' entry points

    def action_rows(self) -> list[Any]:
        """The rows an action acts on: a detail header's row, else the selected (or current)."""
        return self.row_actions.action_rows()

    def run_command(self, key: str, rows: list[Any] | None = None) -> bool:
        """Carry out the context-menu entry tagged ``key``; says so when there is none."""
        return self.row_actions.run_command(key, rows)

    def _detail_command(self, key: str) -> None:
        row = self.details.row_shown()
        if row is not None:
            self.run_command(key, [row])

    def build_context_menu(self) -> QMenu:
        return self.row_actions.build_menu()

    @property
    def context_menu(self) -> QMenu | None:
        """The context menu shown last."""
        return self.row_actions.menu

    def keyboard_context_menu(self) -> None:
        self.row_actions.keyboard_menu()

    def selection_tsv(self) -> str:
        return self.row_actions.selection_tsv()

    def selection_json(self) -> str:
        return self.row_actions.selection_json()

    def copy_tsv(self) -> None:
        self.row_actions.copy_tsv()

    def copy_json(self) -> None:
        self.row_actions.copy_json()

    def copy_cell(self) -> None:
        self.row_actions.copy_cell()

    def copy_link(self, row_id: str | None = None) -> None:
        from console.ui.links_ui import copy_link

        copy_link(self, row_id)

    def open_details(self, index: QModelIndex | None = None) -> None:
        """Enter or double-click: show the detail pane for the row."""
        self.details.open(index)

    def detail_id(self) -> str | None:
        """The id of the row the detail pane shows (or is reading)."""
        return self.details.row_id

    def details_shown(self) -> bool:
        return self.details.shown()

    def show_details(self, on: bool) -> None:
        self.details.show(on)

    def toggle_details(self) -> None:
        self.details.toggle()

    def show_detail_for(self, row_id: str) -> None:
        self.details.show_row(row_id)

    def step_detail_tab(self, step: int) -> None:
        """Ctrl+PgDown / Ctrl+PgUp from the table: the detail pane's next / previous tab."""
        self.details.step_tab(step)

    def columns_menu(self) -> QMenu:
        """Check boxes to show or hide columns (remembered with the widths)."""
        return self.header_state.columns_menu()

    def show_column(self, index: int, on: bool) -> None:
        self.header_state.show_column(index, on)

    def view_names(self) -> list[str]:
        return self.saved_views.names()

    def save_view(self, name: str) -> bool:
        """Save the current filters as ``name``; False (and a message) when refused."""
        return self.saved_views.save(name)

    def apply_view(self, name: str) -> None:
        self.saved_views.apply(name)

    def delete_view(self, name: str) -> None:
        self.saved_views.delete(name)

    def ask_export(self, selection: bool = False) -> None:
        """Ask where, then export the selected rows or every row matching the filter."""
        self.exporter.ask(selection)

    def export_to(self, path: Path, fmt: str, *, selection: bool = False) -> None:
        """Stream the rows to ``path`` off the GUI thread, with progress and Cancel."""
        self.exporter.export_to(path, fmt, selection=selection)

    def cancel_export(self) -> None:
        self.exporter.cancel()

    @property
    def last_export(self) -> tuple[Path, int] | None:
        """Path and rows written of the last export (-1: not written); None to wait anew."""
        return self.exporter.last

    @last_export.setter
    def last_export(self, value: tuple[Path, int] | None) -> None:
        self.exporter.last = value

    # ------------------------------------------------------------ reads

    def read_started(self) -> None:
        """A read under new filters or sort began: no error, no detail row, status anew."""
        self._error = None
        self.details.forget()
        self._update_status()

    # ------------------------------------------------------------ reads landing, status

    def _loaded(self) -> None:
        self.freshness.mark()
        self.filters.rows_landed()
        self.header_state.show_sort_indicator()
        self._update_status()
        self.rows_changed.emit()

    def _failed(self, message: str) -> None:
        self._error = message
        self.ctx.show_status(message)
        self._update_status()
        if self.details.row_id and self.details_shown():
            # The open pane says why as well (read again, it fails with the same cause),
            # instead of showing data that may have changed; it is read again on success.
            self.details.reload()

    def _update_status(self) -> None:
        self.status.update()

    def empty_text(self) -> str:
        if self.db is None:
            return "Not connected — choose a profile in the toolbar."
        if self._error:
            return f"{self._error}\nPress F5 to try again."
        if self.controller.loading:
            return "Loading…"
        if self.current_filters():
            return f"No {self.noun} match these filters — press Esc to clear them."
        return f"No {self.noun} yet. {self.empty_hint}".strip()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.status.fit_empty()

    def _reformat(self, *_: Any) -> None:
        self.controller.reformat()
        self.details.reload()

    # ------------------------------------------------------------ selection

    def _restore_selection(self, ids: set[str], current: str | None) -> None:
        self.restoring_selection = True
        try:
            self._select_ids(ids, current)
        finally:
            self.restoring_selection = False

    def _select_ids(self, ids: set[str], current: str | None) -> None:
        sel = self.view.selectionModel()
        sel.clearSelection()
        flags = sel.SelectionFlag.Select | sel.SelectionFlag.Rows
        for i, row in enumerate(self.model.rows):
            if row.id in ids:
                sel.select(self.model.index(self.model.start + i, 0), flags)
        if current is not None:
            r = self.model.view_row_of(current)
            if r is not None:
                sel.setCurrentIndex(self.model.index(r, 0), sel.SelectionFlag.NoUpdate)
