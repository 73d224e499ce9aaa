"""TablePage: the common body of the five table pages.

A filter bar and chip bar over a table view (a windowed keyset model) with a
detail pane beside it, a status line with the row total (an estimate unless the
operator asks for the exact count), copy as TSV/JSON, a context menu that
operator actions can extend through :data:`context_menu_providers`, and the
page state remembered in QSettings (filters per profile, column widths, sort).
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.queries.choices import workflow_choices
from console.queries.details import DetailFetch
from console.queries.filters import FilterError, normalized, usable_filters
from console.queries.keyset import Sort
from console.queries.specs import TableSpec
from console.ui import settings, theme, timefmt
from console.ui.freshness import FreshnessLabel
from console.ui.pages import PageContext
from console.ui.tables import views
from console.ui.tables.clipboard import to_json, to_tsv
from console.ui.tables.columns import Column, export_cells
from console.ui.tables.controller import WindowController, user_message
from console.ui.tables.filterbar import ChipBar, Field, FilterBar, chip_labels

if TYPE_CHECKING:
    from console.db.connection import Database

log = logging.getLogger(__name__)

ContextMenuProvider = Callable[["TablePage", QMenu], None]
# Operator actions add entries to every table page's context menu through this list.
context_menu_providers: list[ContextMenuProvider] = []

ROW_HEIGHT = 22
DETAIL_TOGGLE = "Ctrl+D"  # show / hide the detail pane
COPY_LINK = "Ctrl+Shift+C"  # the autopr:// link of the row (console.ui.links_ui)
COPY_JSON = "Ctrl+Alt+C"
SHOWN_FRESH_S = 2.0  # a page shown again within this of its last read is not read again
DETAIL_MIN, DETAIL_MAX_DEFAULT = 280, 460  # the pane's width until the operator drags it


def configure_view(view: QTableView) -> None:
    """Fixed row heights (the scroll range is rows x height), row selection, no row numbers."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)  # Tab leaves the table; the arrows move inside it
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    vh = view.verticalHeader()
    vh.setVisible(False)
    vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vh.setDefaultSectionSize(ROW_HEIGHT)
    view.horizontalHeader().setStretchLastSection(True)
    # left-aligned titles stay readable over wide columns (a message column's centre is off-screen)
    view.horizontalHeader().setDefaultAlignment(
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    )
    view.horizontalHeader().setHighlightSections(False)


def _walk(menu: QMenu) -> list[QAction]:
    out: list[QAction] = []
    for action in menu.actions():
        out.extend(_walk(action.menu()) if action.menu() is not None else [action])
    return out


def _plain(text: str) -> str:
    return text.replace("&", "")


def _install_operator_actions() -> None:
    """The operator actions' provider, imported when a menu is first needed (pages are
    built lazily: the module that used to install it may not be loaded yet)."""
    from console.ui.actions import menus

    menus.install()


class _Progress(QObject):
    """Crosses export progress from the worker thread to the GUI thread."""

    moved = Signal(int, int)


class MiddleElide(QStyledItemDelegate):
    """Ids keep both ends: ``exec-2026…547-9c4e3d`` (retry chains differ in the suffix)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Any) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class _Stretch(QObject):
    """Gives one column the width the others leave, never less than its minimum.

    (QHeaderView's Stretch mode squeezes it to a few pixels when the view is
    narrow; here the table scrolls sideways instead.)
    """

    def __init__(self, view: QTableView, index: int, least: int) -> None:
        super().__init__(view)
        self.view, self.index, self.least = view, index, least
        self.header = view.horizontalHeader()
        view.viewport().installEventFilter(self)
        self.header.sectionResized.connect(self._other_resized)
        self.header.setStretchLastSection(False)
        QTimer.singleShot(0, self.fit)

    def fit(self) -> None:
        header = self.header
        others = sum(
            header.sectionSize(i)
            for i in range(header.count())
            if i != self.index and not header.isSectionHidden(i)
        )
        want = max(self.least, self.view.viewport().width() - others)
        if header.sectionSize(self.index) != want:
            header.resizeSection(self.index, want)

    def _other_resized(self, index: int, _old: int, _new: int) -> None:
        if index != self.index:
            self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False


def apply_columns(view: QTableView, columns: tuple[Column, ...], *, widths: bool = True) -> None:
    """Widths, the stretched column, ids elided in the middle, minimum widths kept."""
    header = view.horizontalHeader()
    delegate: MiddleElide | None = None
    for i, col in enumerate(columns):
        if col.kind == "id":
            delegate = delegate or MiddleElide(view)
            view.setItemDelegateForColumn(i, delegate)
        if widths:
            view.setColumnWidth(i, max(col.width, col.min_width))
    minimums = {i: c.min_width for i, c in enumerate(columns) if c.min_width}

    def keep_minimum(index: int, _old: int, new: int) -> None:
        least = minimums.get(index, 0)
        if new < least:
            QTimer.singleShot(0, lambda: header.resizeSection(index, least))

    if minimums:
        header.sectionResized.connect(keep_minimum)
    stretch = next((i for i, c in enumerate(columns) if c.stretch), None)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Interactive)
        view._stretch = _Stretch(view, stretch, columns[stretch].min_width)  # type: ignore[attr-defined]


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
        for i in range(tabs.count() if tabs is not None else 0):
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
        self._sort = self._saved_sort()
        self._error: str | None = None
        self._detail_id: str | None = None
        self._detail_key = f"{self.key}:detail:{id(self)}"
        self._restoring = False
        self._restoring_selection = False
        self._names_pending = False
        self._rows_override: list[Any] | None = None
        self._detail_data: Any = None

        self.filter_bar = FilterBar(self.fields, self)
        self.chips = ChipBar(self)
        self.view = QTableView(self)
        self.view.setObjectName(f"{self.key}_table")
        self.view.setAccessibleName(f"{self.noun.capitalize()} table")
        configure_view(self.view)
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.detail = self.make_detail()
        self.detail.name_tabs()
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.detail.hide()  # until a row is opened (Enter, double-click, Ctrl+D)
        self.splitter.splitterMoved.connect(lambda *_: self._remember_detail_width())
        self.empty = QLabel(self.view.viewport())
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(f"color: {theme.muted_color().name()}; font-size: 13px;")

        self.count_label = QLabel(self)
        self.count_label.setObjectName("rowTotal")
        self.exact_button = QPushButton("Exact count", self)
        self.exact_button.setToolTip("Count the matching rows exactly (may take a second on 10M)")
        self.exact_button.setFlat(True)
        self.notes_label = QLabel(self)
        self.notes_label.setTextFormat(Qt.TextFormat.PlainText)  # notes quote filter values
        self.notes_label.setStyleSheet(f"color: {theme.muted_color().name()};")
        self.freshness = FreshnessLabel(self)
        self.export_progress = QProgressBar(self)
        self.export_progress.setObjectName("exportProgress")
        self.export_progress.setAccessibleName("Export progress")
        self.export_progress.setMaximumWidth(260)
        self.export_progress.hide()
        self.export_cancel = QPushButton("Cancel export", self)
        self.export_cancel.hide()
        self.export_cancel.clicked.connect(self.cancel_export)
        self._export_cancelled = False
        self.last_export: tuple[Path, int] | None = None
        status = QHBoxLayout()
        status.addWidget(self.count_label)
        status.addWidget(self.exact_button)
        status.addWidget(self.freshness)
        status.addStretch(1)
        status.addWidget(self.export_progress)
        status.addWidget(self.export_cancel)
        status.addWidget(self.notes_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(4)
        self.views_button = QToolButton(self)
        self.views_button.setText("&Views")
        self.views_button.setObjectName("savedViews")
        self.views_button.setToolTip("Saved views: named sets of filters for this page")
        self.views_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.views_menu = QMenu(self.views_button)
        self.views_menu.aboutToShow.connect(self._fill_views_menu)
        self.views_button.setMenu(self.views_menu)
        self.filter_bar.add_trailing(self.views_button)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.chips)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(status)
        self.chips.set_chips([])

        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(120)
        self._detail_timer.timeout.connect(self._load_current_detail)
        self._header_timer = QTimer(self)
        self._header_timer.setSingleShot(True)
        self._header_timer.setInterval(500)
        self._header_timer.timeout.connect(self._save_header)

        self.filter_bar.changed.connect(self._apply)
        self.chips.removed.connect(self._remove_filter)
        self.exact_button.clicked.connect(self.controller.exact_count)
        self.controller.loaded.connect(self._loaded)
        self.controller.failed.connect(self._failed)
        self.controller.total_changed.connect(self._update_status)
        self.model.window_changed.connect(self._update_status)
        self.model.sort_requested.connect(self._sort_requested)
        self.view.activated.connect(self.open_details)
        self.view.doubleClicked.connect(self.open_details)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.detail.open_page.connect(lambda key, f: self.ctx.open_page(key, f))
        self.detail.command.connect(self._detail_command)
        self.detail.show_id.connect(self.show_detail_for)
        self.detail.copy_link_requested.connect(lambda: self.copy_link(self._detail_id))
        header = self.view.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda pos: self.columns_menu().popup(header.mapToGlobal(pos))
        )
        header.sectionResized.connect(lambda *_: self._header_timer.start())
        header.sectionMoved.connect(lambda *_: self._header_timer.start())
        timefmt.time_events().utc_changed.connect(self._reformat)
        self.context_menu: QMenu | None = None
        self.view.installEventFilter(self)
        for seq, slot in (
            (QKeySequence.StandardKey.Copy, self.copy_tsv),
            (QKeySequence(COPY_JSON), self.copy_json),
            (QKeySequence(COPY_LINK), self.copy_link),
            (QKeySequence(Qt.Key.Key_Menu), self.keyboard_context_menu),
            (QKeySequence(DETAIL_TOGGLE), self.toggle_details),
            (QKeySequence("Shift+F10"), self.keyboard_context_menu),
        ):
            sc = QShortcut(seq, self.view)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
        self._restore_header()
        self._update_status()

    # ------------------------------------------------------------ subclass hooks

    def make_detail(self) -> DetailPane:
        raise NotImplementedError

    # ------------------------------------------------------------ Page protocol

    def set_database(self, db: Database | None) -> None:
        self.db = db
        self.ctx.runner.invalidate(self._detail_key)
        self.controller.set_engine(db.reader if db is not None else None)
        self.controller.json_columns = set(db.migration.schema.json_columns) if db else set()
        self.detail.set_engine(db.reader if db is not None else None)
        self.detail.show_message("Select a row to see its details.")
        self._error = None
        self.freshness.clear()
        if db is None:
            self._update_status()
            return
        filters = self._saved_filters()
        self.filter_bar.set_filters(filters)
        self._names_pending = True  # after the first rows: they come first
        self._apply(filters, remember=False)

    def refresh(self) -> None:
        """Re-read the window; selection (by id), current row and scroll position survive."""
        if self.db is None or self.controller.query is None:
            return
        kept: dict[str, Any] = {}

        def keep() -> None:  # when the rows land: what was selected while the read ran
            kept.update(
                ids=set(self.selected_ids()),
                current=self._current_id(),
                vpos=self.view.verticalScrollBar().value(),
                hpos=self.view.horizontalScrollBar().value(),
            )

        def restore() -> None:
            if kept:
                self._restore_selection(kept["ids"], kept["current"])
                self.view.verticalScrollBar().setValue(kept["vpos"])
                self.view.horizontalScrollBar().setValue(kept["hpos"])
            if self._detail_id:
                self._load_detail(self._detail_id)
            self.rows_changed.emit()

        self.controller.refresh(on_done=restore, before_apply=keep)

    def shown(self) -> None:
        """The page became visible: re-read unless a read is under way or just answered."""
        age = self.freshness.age()
        if self.controller.loading or (age is not None and age < SHOWN_FRESH_S):
            return
        self.refresh()

    def apply_filters(self, filters: dict[str, Any]) -> None:
        filters = normalized(filters)
        self.filter_bar.set_filters(filters)
        self._apply(filters)

    # ------------------------------------------------------------ API for other pages/actions

    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        out = []
        for r in rows:
            row = self.model.row_at(r)
            if row is not None:
                out.append(row.id)
        return out

    def current_filters(self) -> dict[str, Any]:
        q = self.controller.query
        return q.filter_dict() if q is not None else self.filter_bar.filters()

    def clear_filters(self) -> None:
        self.filter_bar.set_filters({})
        self._apply({})

    def focus_filter(self) -> None:
        self.filter_bar.focus_text()

    def filter_scope(self) -> list[QWidget]:
        """Where Esc clears this page's filters (the window asks; nowhere else)."""
        return [self.filter_bar, self.chips]

    # ------------------------------------------------------------ commands (Actions menu)

    def action_rows(self) -> list[Any]:
        """The rows an action acts on: a detail header's row, else the selected (or current)."""
        if self._rows_override is not None:
            return list(self._rows_override)
        found = (self.model.row_at(r) for r in self._selected_rows())
        return [row.raw for row in found if row is not None]

    def run_command(self, key: str, rows: list[Any] | None = None) -> bool:
        """Carry out the context-menu entry tagged ``key``; says so when there is none."""
        self._rows_override = rows
        try:
            menu = self.build_context_menu()
        finally:
            self._rows_override = None
        found = [a for a in _walk(menu) if a.data() == key]
        if found and found[0].isEnabled():
            found[0].trigger()
        elif found:
            self.ctx.show_status(f"{_plain(found[0].text()).rstrip('…')}: not for these rows")
        else:
            self.ctx.show_status(f"Nothing to {key.replace('-', ' ')} on this page")
        menu.deleteLater()
        return True

    def _detail_command(self, key: str) -> None:
        data = self._detail_data
        if not isinstance(data, dict) or "id" not in data:
            return
        r = self.model.view_row_of(str(data["id"]))
        row = self.model.row_at(r) if r is not None else None
        self.run_command(key, [row.raw if row is not None else data])

    def step_detail_tab(self, step: int) -> None:
        """Ctrl+PgDown / Ctrl+PgUp from the table: the detail pane's next / previous tab."""
        tabs = getattr(self.detail, "tabs", None)
        if tabs is None or not self.details_shown() or tabs.count() == 0:
            return
        tabs.setCurrentIndex((tabs.currentIndex() + step) % tabs.count())

    def title_suffix(self) -> str:
        return " · ".join(label for _, label in self._chips())

    def current_sort(self) -> Sort:
        return self._sort

    def screenshot_states(self) -> list[tuple[str, Callable[[], None]]]:
        def first_row_details() -> None:
            if self.model.rows:
                self.view.selectRow(self.model.start)
                self.open_details(self.model.index(self.model.start, 0))

        return [("detail", first_row_details)]

    # ------------------------------------------------------------ filters

    def _chips(self) -> list[tuple[str, str]]:
        names = dict(self.filter_bar._workflows)
        return chip_labels(self.current_filters(), names)

    def _apply(self, filters: dict[str, Any], remember: bool = True) -> None:
        filters = normalized(filters)
        try:
            self.controller.load(filters, self._sort)
        except FilterError as exc:
            self.filter_bar.show_error(str(exc))
            return
        self.filter_bar.show_error(None)
        self._error = None
        if self._detail_id is not None:
            self.ctx.runner.invalidate(self._detail_key)
            self._detail_id = None
            self.detail.show_message("Select a row to see its details.")
        self.chips.set_chips(self._chips())
        self.title_changed.emit(self.title_suffix())
        if remember:
            self._remember_filters(filters)
        self._update_status()

    def _remove_filter(self, key: str) -> None:
        filters = self.current_filters()
        for k in ("time_range", "time_from", "time_to") if key.startswith("time") else (key,):
            filters.pop(k, None)
        self.filter_bar.set_filters(filters)
        self._apply(filters)

    def _profile(self) -> str | None:
        return self.db.profile.name if self.db is not None else None

    def _remember_filters(self, filters: dict[str, Any]) -> None:
        profile = self._profile()
        if profile is None:
            return
        try:
            settings.save_filters(profile, self.key, filters)
        except settings.SecretRefused:
            log.info("filters of %s not remembered: they look like a secret", self.key)

    def _saved_filters(self) -> dict[str, Any]:
        profile = self._profile()
        if profile is None:
            return {}
        saved, dropped = usable_filters(
            settings.load_filters(profile, self.key), lambda f: self.spec.where(f, self.spec.alias)
        )
        if dropped:
            self.ctx.show_status(f"Saved filter of {self.key} not applied: {dropped[0][1]}")
        return saved

    def _load_workflow_names(self) -> None:
        """Workflow names, and the trigger types present in the data, for the filters."""
        wants_names = any(f.kind == "workflow" for f in self.fields)
        wants_triggers = any(f.key == "trigger_type" for f in self.fields)
        if not (wants_names or wants_triggers) or self.db is None:
            return
        engine = self.db.reader

        def work() -> tuple[list[tuple[str, str]], list[str]]:
            from console.queries.choices import trigger_types

            names: list[tuple[str, str]] = []
            with engine.connect() as conn:
                if wants_names:
                    names = workflow_choices(conn)
                triggers = trigger_types(conn) if wants_triggers else []
            return names, triggers

        def done(result: tuple[list[tuple[str, str]], list[str]]) -> None:
            choices, triggers = result
            self.filter_bar.add_choices("trigger_type", triggers)
            if wants_names:
                self.filter_bar.set_workflow_choices(choices)
            self.chips.set_chips(self._chips())
            self.title_changed.emit(self.title_suffix())

        self.ctx.runner.submit(work, done, owner=self, key=f"{self.key}:workflow-names:{id(self)}")

    # ------------------------------------------------------------ sorting and header state

    def _saved_sort(self) -> Sort:
        raw = settings.PAGE_SORT.get(self.key)
        name, _, direction = raw.partition(":")
        if name in self.spec.sort_keys:
            return Sort(name, direction == "desc")
        key = self.spec.sort_keys[self.spec.default_sort]
        return Sort(self.spec.default_sort, key.descending)

    def _sort_column(self) -> int:
        return next((i for i, c in enumerate(self.columns) if c.sort == self._sort.name), -1)

    def _show_sort_indicator(self) -> None:
        self._restoring = True
        order = (
            Qt.SortOrder.DescendingOrder if self._sort.descending else Qt.SortOrder.AscendingOrder
        )
        self.view.horizontalHeader().setSortIndicator(self._sort_column(), order)
        self._restoring = False

    def _sort_requested(self, column: int, descending: bool) -> None:
        if self._restoring:
            return
        name = self.columns[column].sort
        if name is None:
            self.ctx.show_status(
                f"{self.columns[column].header}: no index to sort {self.noun} by this column"
            )
            QTimer.singleShot(0, self._show_sort_indicator)
            return
        new = Sort(name, descending)
        if new == self._sort:
            return
        self._sort = new
        settings.PAGE_SORT.put(f"{name}:{'desc' if descending else 'asc'}", self.key)
        self._apply(self.current_filters(), remember=False)

    def _restore_header(self) -> None:
        """Column widths and order; the sort comes from our own setting, never the header's."""
        header = self.view.horizontalHeader()
        self._restoring = True
        try:
            restored = settings.restore_header(self._header_key(), header)
        finally:
            self._restoring = False
        apply_columns(self.view, self.columns, widths=not restored)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._show_sort_indicator()

    def _header_key(self) -> str:
        """Widths saved for one set of columns: a new layout starts from its defaults."""
        names = ",".join(c.name for c in self.columns)
        return f"{self.key}-{zlib.crc32(names.encode()):08x}"

    def _save_header(self) -> None:
        settings.save_header(self._header_key(), self.view.horizontalHeader())

    # ------------------------------------------------------------ status, empty state

    def _loaded(self) -> None:
        self.freshness.mark()
        if self._names_pending:  # once the first rows are painted, not competing with them
            self._names_pending = False
            QTimer.singleShot(800, self._load_workflow_names)
        self._show_sort_indicator()
        self._update_status()
        self.rows_changed.emit()

    def _failed(self, message: str) -> None:
        self._error = message
        self.ctx.show_status(message)
        self._update_status()
        if self._detail_id and self.details_shown():
            # The open pane says why as well (read again, it fails with the same cause),
            # instead of showing data that may have changed; it is read again on success.
            self._load_detail(self._detail_id)

    def _update_status(self) -> None:
        m = self.model
        if self.db is None:
            self.count_label.setText("Not connected")
            self.exact_button.hide()
        elif self.controller.loading and not m.rows:
            self.count_label.setText("Loading…")
            self.exact_button.hide()
        elif m.total_exact:
            self.count_label.setText(f"{m.total:,} {self.noun}")
            self.exact_button.hide()
        else:
            note = self.controller.total_note
            detail = f"estimate, {note}" if note else "estimate"
            self.count_label.setText(f"≈ {m.total:,} {self.noun} ({detail})")
            self.exact_button.show()
        self.notes_label.setText(" · ".join(self.controller.notes))
        self._update_empty()

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

    def _update_empty(self) -> None:
        show = self.model.total == 0
        if show:
            self.empty.setText(self.empty_text())
            self.empty.resize(self.view.viewport().size())
        self.empty.setVisible(show)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.empty.resize(self.view.viewport().size())

    def _reformat(self, *_: Any) -> None:
        self.controller.reformat()
        if self._detail_id:
            self._load_detail(self._detail_id)

    # ------------------------------------------------------------ selection and details

    def _current_id(self) -> str | None:
        idx = self.view.currentIndex()
        row = self.model.row_at(idx.row()) if idx.isValid() else None
        return row.id if row is not None else None

    def _restore_selection(self, ids: set[str], current: str | None) -> None:
        self._restoring_selection = True
        try:
            self._select_ids(ids, current)
        finally:
            self._restoring_selection = False

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

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._restoring_selection and self.detail.isVisible():
            self._detail_timer.start()

    def _load_current_detail(self) -> None:
        row_id = self._current_id()
        if row_id is not None and row_id != self._detail_id:
            self._load_detail(row_id)

    def open_details(self, index: QModelIndex | None = None) -> None:
        """Enter or double-click: show the detail pane for the row."""
        index = index if index is not None and index.isValid() else self.view.currentIndex()
        row = self.model.row_at(index.row()) if index.isValid() else None
        if row is None:
            return
        self._detail_timer.stop()
        self.show_details(True)
        self._load_detail(row.id)

    def details_shown(self) -> bool:
        return not self.detail.isHidden()

    def show_details(self, on: bool) -> None:
        """Show or hide the detail pane; its width is remembered per page."""
        if on == self.details_shown():
            return
        if not on:
            self._remember_detail_width()
            self.detail.hide()
            self.view.setFocus()
            return
        total = max(1, sum(self.splitter.sizes()))
        saved = settings.DETAIL_WIDTH.get(self.key)
        default = min(DETAIL_MAX_DEFAULT, max(DETAIL_MIN, total * 2 // 5))
        width = saved if DETAIL_MIN <= saved <= total - 200 else default
        self.detail.show()
        self.splitter.setSizes([max(1, total - width), width])

    def toggle_details(self) -> None:
        """Ctrl+D: the pane of the current row, or the table alone."""
        if self.details_shown():
            self.show_details(False)
        elif self.view.currentIndex().isValid():
            self.open_details()
        else:
            self.show_details(True)

    def _remember_detail_width(self) -> None:
        sizes = self.splitter.sizes()
        if self.details_shown() and len(sizes) == 2 and sizes[1] > 0:
            settings.DETAIL_WIDTH.put(sizes[1], self.key)

    def show_detail_for(self, row_id: str) -> None:
        self._detail_timer.stop()
        self._load_detail(row_id)

    def _load_detail(self, row_id: str) -> None:
        if self.db is None:
            return
        self._detail_id = row_id
        engine, fetch = self.db.reader, type(self).detail_fetch

        def work() -> Any:
            with engine.connect() as conn:
                return fetch(conn, row_id)

        def done(data: Any) -> None:
            self._detail_data = data
            if data is None:
                self.detail.show_message("This row is gone (deleted meanwhile).")
            else:
                self.detail.show_data(data)

        def failed(exc: BaseException) -> None:
            self.detail.show_message(user_message(exc))

        self.ctx.runner.submit(work, done, failed, owner=self, key=self._detail_key)

    # ------------------------------------------------------------ copy and context menu

    def _selected_rows(self) -> list[int]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedIndexes()})
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        return [r for r in rows if self.model.row_at(r) is not None]

    def selection_tsv(self) -> str:
        """The selected rows with a header line; times as ISO 8601, not "42 s ago"."""
        rows = [self.model.row_at(r) for r in self._selected_rows()]
        headers = [c.header for c in self.columns]
        return to_tsv(
            headers,
            [export_cells(r.raw, self.columns, r.texts) for r in rows if r is not None],
        )

    def selection_json(self) -> str:
        rows = [self.model.row_at(r) for r in self._selected_rows()]
        return to_json([r.raw for r in rows if r is not None])

    def copy_tsv(self) -> None:
        if self._selected_rows():
            QGuiApplication.clipboard().setText(self.selection_tsv())

    def copy_json(self) -> None:
        if self._selected_rows():
            QGuiApplication.clipboard().setText(self.selection_json())

    def copy_link(self, row_id: str | None = None) -> None:
        from console.ui.links_ui import copy_link

        copy_link(self, row_id)

    def copy_cell(self) -> None:
        idx = self.view.currentIndex()
        row = self.model.row_at(idx.row()) if idx.isValid() else None
        if row is not None:
            QGuiApplication.clipboard().setText(row.texts[idx.column()])

    # ------------------------------------------------------------ saved views

    def view_names(self) -> list[str]:
        profile = self._profile()
        return sorted(views.load(self.key, profile)) if profile else []

    def save_view(self, name: str) -> bool:
        """Save the current filters as ``name``; False (and a message) when refused."""
        profile = self._profile()
        if profile is None:
            return False
        try:
            views.save(self.key, profile, name, self.current_filters())
        except (ValueError, settings.SecretRefused) as exc:
            self.ctx.show_status(f"View not saved: {exc}")
            return False
        self.ctx.show_status(f"Saved the view {name.strip()!r}")
        return True

    def apply_view(self, name: str) -> None:
        profile = self._profile()
        saved = views.load(self.key, profile).get(name) if profile else None
        if saved is None:
            self.ctx.show_status(f"There is no view {name!r} on this page")
            return
        usable, dropped = usable_filters(saved, lambda f: self.spec.where(f, self.spec.alias))
        if dropped:
            self.ctx.show_status(f"View {name!r}: {dropped[0][1]} (left out)")
        self.apply_filters(usable)

    def delete_view(self, name: str) -> None:
        profile = self._profile()
        if profile:
            views.delete(self.key, profile, name)

    def _fill_views_menu(self) -> None:
        menu = self.views_menu
        menu.clear()
        names = self.view_names()
        for name in names:
            menu.addAction(name, lambda n=name: self.apply_view(n))
        if names:
            menu.addSeparator()
        save = menu.addAction("&Save the current filters as a view…", self._ask_view_name)
        save.setEnabled(self.db is not None and bool(self.current_filters()))
        if names:
            remove = menu.addMenu("&Delete a view")
            for name in names:
                remove.addAction(name, lambda n=name: self.delete_view(n))

    def _ask_view_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save view", "Name of this set of filters:")
        if ok and name.strip():
            self.save_view(name)

    # ------------------------------------------------------------ column chooser

    def columns_menu(self) -> QMenu:
        """Check boxes to show or hide columns (remembered with the widths)."""
        menu = QMenu("C&olumns", self)
        header = self.view.horizontalHeader()
        shown = [i for i in range(len(self.columns)) if not header.isSectionHidden(i)]
        for i, col in enumerate(self.columns):
            act = menu.addAction(col.header)
            act.setCheckable(True)
            act.setChecked(not header.isSectionHidden(i))
            act.setEnabled(not (len(shown) == 1 and i in shown))  # one column stays
            act.toggled.connect(lambda on, i=i: self.show_column(i, on))
        self._columns_menu = menu
        return menu

    def show_column(self, index: int, on: bool) -> None:
        self.view.horizontalHeader().setSectionHidden(index, not on)
        if on and self.view.columnWidth(index) < 20:
            col = self.columns[index]
            self.view.setColumnWidth(index, max(col.width, col.min_width))
        stretch = getattr(self.view, "_stretch", None)
        if stretch is not None:
            stretch.fit()
        self._save_header()

    # ------------------------------------------------------------ export

    def ask_export(self, selection: bool = False) -> None:
        """Ask where, then export the selected rows or every row matching the filter."""
        path, chosen = QFileDialog.getSaveFileName(
            self, f"Export {self.noun}", f"{self.key}.csv", "CSV (*.csv);;JSON (*.json)"
        )
        if path:
            fmt = "json" if "json" in chosen.lower() or path.endswith(".json") else "csv"
            self.export_to(Path(path), fmt, selection=selection)

    def export_to(self, path: Path, fmt: str, *, selection: bool = False) -> None:
        """Stream the rows to ``path`` off the GUI thread, with progress and Cancel."""
        from console.ui.tables import export

        if self.db is None or self.controller.query is None:
            return
        columns, engine, q = self.columns, self.db.reader, self.controller.query
        rows = [r.raw for r in (self.model.row_at(i) for i in self._selected_rows()) if r]
        total = len(rows) if selection else self.model.total
        relay = _Progress(self)
        relay.moved.connect(self._export_moved)
        self._export_cancelled = False

        shown = [0.0]

        def progress(done: int, expected: int) -> bool:
            if time.monotonic() - shown[0] >= 0.1:  # the bar moves 10 times a second at most
                shown[0] = time.monotonic()
                relay.moved.emit(done, expected)
            return not self._export_cancelled

        def work() -> int:
            source = [rows] if selection else export.batches(engine, q)
            return export.write_rows(path, fmt, columns, source, total, progress)

        def done(count: int) -> None:
            self._export_finished()
            self.last_export = (path, count)
            self.ctx.show_status(f"Exported {count:,} {self.noun} to {path}")

        def failed(exc: BaseException) -> None:
            self._export_finished()
            self.last_export = (path, -1)
            if isinstance(exc, export.ExportCancelled):
                self.ctx.show_status(f"Export cancelled; {path.name} was not written.")
            else:
                self.ctx.show_status(f"Export failed: {user_message(exc)}")

        self.export_progress.setRange(0, 0)
        self.export_progress.show()
        self.export_cancel.show()
        self.ctx.runner.submit(work, done, failed, owner=self, key=f"{self.key}:export:{id(self)}")

    def cancel_export(self) -> None:
        self._export_cancelled = True

    def _export_moved(self, done: int, total: int) -> None:
        self.export_progress.setRange(0, max(total, 1))
        self.export_progress.setValue(min(done, max(total, 1)))
        self.export_progress.setFormat(f"{done:,} / ≈{total:,}")

    def _export_finished(self) -> None:
        self.export_progress.hide()
        self.export_cancel.hide()

    def build_context_menu(self) -> QMenu:
        menu = QMenu(self)
        has = bool(self._selected_rows())
        for label, slot, shortcut, key in (
            ("Copy cell", self.copy_cell, None, "copy-cell"),
            ("Copy rows as TSV", self.copy_tsv, QKeySequence.StandardKey.Copy, "copy-tsv"),
            ("Copy rows as JSON", self.copy_json, QKeySequence(COPY_JSON), "copy-json"),
            ("Open details", self.open_details, QKeySequence(Qt.Key.Key_Return), "open-details"),
        ):
            act = menu.addAction(label)
            act.setData(key)
            act.setEnabled(has)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(lambda _=False, s=slot: s())
        act = menu.addAction("E&xport selected rows…")
        act.setData("export-selection")
        act.setEnabled(has)
        act.triggered.connect(lambda: self.ask_export(selection=True))
        act = menu.addAction("Export all rows matching the filter…")
        act.setData("export")
        act.setEnabled(self.db is not None and self.model.total > 0)
        act.triggered.connect(lambda: self.ask_export(selection=False))
        menu.addMenu(self.columns_menu())
        _install_operator_actions()
        if context_menu_providers:
            menu.addSeparator()
        for provider in list(context_menu_providers):
            try:
                provider(self, menu)
            except Exception:
                log.exception("context menu provider %r failed", provider)
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        """A right-click: the clicked row becomes current (selected if it was not)."""
        idx = self.view.indexAt(pos)
        if idx.isValid() and not self.view.selectionModel().isRowSelected(idx.row()):
            self.view.selectRow(idx.row())
        if idx.isValid():
            self.view.setCurrentIndex(idx)
        self._popup_menu(self.view.viewport().mapToGlobal(pos))

    def keyboard_context_menu(self) -> None:
        """Menu key / Shift+F10: the menu of the current row; the selection stays as it is.

        (Qt's keyboard request carries a point on the lower edge of the current
        row, where ``indexAt`` finds the next row: it is never used here.)
        """
        idx = self.view.currentIndex()
        rect = self.view.visualRect(idx) if idx.isValid() else None
        if rect is not None and rect.isValid() and self.view.viewport().rect().intersects(rect):
            at = QPoint(rect.left() + 24, rect.center().y())
        else:
            at = QPoint(24, 8)
        self._popup_menu(self.view.viewport().mapToGlobal(at))

    def _popup_menu(self, global_pos: QPoint) -> None:
        old, self.context_menu = self.context_menu, self.build_context_menu()
        if old is not None:
            old.deleteLater()
        self.context_menu.popup(global_pos)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.modifiers() == Qt.KeyboardModifier.ControlModifier
            and event.key() in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp)
        ):  # the table would take Ctrl+PgDown as a page down; here it walks the detail tabs
            self.step_detail_tab(1 if event.key() == Qt.Key.Key_PageDown else -1)
            return True
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and (
                event.key() == Qt.Key.Key_Menu
                or (
                    event.key() == Qt.Key.Key_F10
                    and event.modifiers() == Qt.KeyboardModifier.ShiftModifier
                )
            )
        ):  # when no shortcut took it (the window not active yet): never to the table
            self.keyboard_context_menu()
            return True
        if (
            watched is self.view
            and event.type() == QEvent.Type.ContextMenu
            and isinstance(event, QContextMenuEvent)
            and event.reason() == QContextMenuEvent.Reason.Keyboard
        ):
            self.keyboard_context_menu()
            return True
        return super().eventFilter(watched, event)
