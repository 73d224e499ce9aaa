"""The main window: navigation, pages, environment banner, profile switching, refresh.

The window owns the connection: it asks the :class:`~console.ui.connect.Connector`
to open a profile off the GUI thread, hands the resulting ``Database`` to every
page (``set_database``), and on a switch detaches the pages first, closes the old
database in the background and connects the new one.  Pages come from
:func:`console.ui.pages.page_specs`; the window knows nothing of their insides
beyond the :class:`~console.ui.pages.Page` protocol and a few optional hooks.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from console import APP_NAME, __version__
from console.ui import commands, gui_gc, settings, theme, timefmt
from console.ui.banner import EnvironmentBanner, MigrationDialog, StatePanel, UnlockDialog
from console.ui.connect import ConfirmRequest, Connector, Failure
from console.ui.focus_ring import FocusRing
from console.ui.pages import PageContext, PageSpec
from console.ui.profile_switcher import ProfileSwitcher
from console.ui.screenfit import fit_to_screen
from console.ui.session import (  # noqa: F401  (RETRY_*: the window's public figures)
    PING_INTERVAL_MS,
    RETRY_FIRST_MS,
    RETRY_MAX_MS,
    ConnectionSession,
    SessionState,
)
from console.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from console.actions.guard import WriteGuard
    from console.db.cancel import QueryCanceller
    from console.db.connection import Database
    from console.profiles import Profile
    from console.ui.profile_editor import ProfileEditor

log = logging.getLogger(__name__)

REFRESH_CHOICES: tuple[tuple[int, str], ...] = (
    (0, "Auto-refresh off"),
    (5, "Every 5 s"),
    (15, "Every 15 s"),
    (60, "Every 60 s"),
)
DEFAULT_REFRESH_S = settings.AUTO_REFRESH_S.default  # the operator's choice is remembered
ADHOC_PROFILES = ("url", "DATABASE_URL")
NEW_WINDOW = "Ctrl+Shift+N"
_other_windows: list[MainWindow] = []  # File > New window: kept alive until they close


def _database_url_set() -> bool:
    import os

    from console.profiles import ENV_URL

    return bool(os.environ.get(ENV_URL))


SETTLE_MS = 2_000  # after connecting, before freezing the long-lived objects (gui_gc.settle)


class _EmptyPages(QWidget):
    """Shown when no page is installed (or every page failed to load)."""

    def __init__(self, message: str) -> None:
        super().__init__()
        col = QVBoxLayout(self)
        col.addStretch(1)
        title = QLabel("Nothing to show yet")
        title.setProperty("role", "empty-title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(message)
        hint.setProperty("role", "hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        col.addWidget(title)
        col.addWidget(hint)
        col.addStretch(2)


class _BrokenPage(_EmptyPages):
    """Stands in for a page whose module failed to load, so the rest of the window works."""

    def __init__(self, title: str, error: BaseException) -> None:
        super().__init__(f"The {title} page could not be loaded: {error}")

    def set_database(self, db) -> None:
        pass

    def refresh(self) -> None:
        pass

    def apply_filters(self, filters) -> None:
        pass


class _Pages(dict):
    """Key -> page widget; a page not built yet is built when first asked for."""

    def __init__(self, build) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, key: str) -> QWidget:
        page = self[key] = self._build(key)
        return page


def page_shortcuts(keys: list[str]) -> dict[str, str]:
    """Page key -> shortcut text: Ctrl+1, Ctrl+2 … in navigation order (up to Ctrl+9)."""
    return {key: f"Ctrl+{n}" for n, key in enumerate(keys[:9], start=1)}


class MainWindow(QMainWindow):
    """The console window.  ``start()`` loads profiles and connects in the background."""

    database_changed = Signal(object)  # Database | None
    connection_state_changed = Signal(str)  # idle | connecting | connected | failed
    closed = Signal()  # the window closed and released its database

    def __init__(
        self, parent: QWidget | None = None, *, remember: bool = True, primary: bool = True
    ) -> None:
        super().__init__(parent)
        self.remember = remember  # persist layout and choices (off for screenshots)
        # A window opened with File > New window keeps its own page, layout and profile to
        # itself: the next start opens like the first window left it.
        self.primary = primary
        self.setWindowTitle(f"{APP_NAME} {__version__}")
        self.setWindowIcon(theme.app_icon())
        self.runner = TaskRunner(self)
        # The connection lifecycle (connect, reconnect with backoff, write lock, migration
        # question) lives in the session; the window shows it and reacts.
        self.session = ConnectionSession(self.runner, self)
        self.ctx = PageContext(
            runner=self.runner, open_page=self.open_page, show_status=self.show_status, extras={}
        )
        self.specs: list[PageSpec] = []
        self.pages: dict[str, QWidget] = _Pages(self._build_page)  # the pages built so far
        self._page_keys: list[str] = []
        self._migration_dialog: MigrationDialog | None = None
        self._closing = False

        self._build_toolbar()
        self._build_central()
        self._build_status_bar()
        self._build_menus()
        self._build_shortcuts()
        self._wire_session()

        self._refresh_timer = QTimer(self)
        self._refresh_timer.timeout.connect(self._auto_refresh)
        self._pool_timer = QTimer(self)
        self._pool_timer.setInterval(1000)
        self._pool_timer.timeout.connect(self._update_pool_label)
        self._pool_timer.timeout.connect(self._update_lock_actions)  # an unlock lapses by itself
        self.focus_ring = FocusRing(self)
        self._restore_choices()
        self.resize(1280, 800)
        self._restore_geometry()
        fit_to_screen(self)  # at 150 % / 200 % scaling 1280x800 is larger than the screen

    # ================================================================ building

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setIconSize(QSize(16, 16))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        profile_label = QLabel(" &Profile ")
        bar.addWidget(profile_label)
        self.switcher = ProfileSwitcher(self)
        profile_label.setBuddy(self.switcher)
        self.switcher.setAccessibleName("Connection profile")
        self.switcher.profile_chosen.connect(self.switch_profile)
        bar.addWidget(self.switcher)
        bar.addSeparator()
        self.refresh_action = QAction(theme.icon("refresh"), "&Refresh", self)
        self.refresh_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_action.setToolTip("Refresh the current view (F5)")
        self.refresh_action.triggered.connect(self.refresh_current)
        bar.addAction(self.refresh_action)
        self.refresh_combo = QComboBox(self)
        self.refresh_combo.setObjectName("autoRefresh")
        self.refresh_combo.setToolTip("Refresh the visible view automatically")
        self.refresh_combo.setAccessibleName("Auto-refresh interval")
        for seconds, label in REFRESH_CHOICES:
            self.refresh_combo.addItem(label, seconds)
        self.refresh_combo.currentIndexChanged.connect(self._on_refresh_interval)
        bar.addWidget(self.refresh_combo)
        self.pause_action = QAction(theme.icon("pause"), "&Pause", self)
        self.pause_action.setCheckable(True)
        self.pause_action.setToolTip("Pause auto-refresh")
        self.pause_action.toggled.connect(self._on_pause)
        bar.addAction(self.pause_action)
        bar.addSeparator()
        self.utc_action = QAction(theme.icon("clock"), "&UTC", self)
        self.utc_action.setCheckable(True)
        self.utc_action.setToolTip("Show exact times in UTC instead of local time")
        self.utc_action.toggled.connect(self._on_utc)
        bar.addAction(self.utc_action)
        self.toolbar = bar

    def _build_central(self) -> None:
        root = QWidget(self)
        col = QVBoxLayout(root)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        self.banner = EnvironmentBanner(root)
        self.banner.retry_clicked.connect(self.retry)
        self.banner.unlock_clicked.connect(self.request_unlock)
        self.banner.lock_clicked.connect(self.lock_writes)
        col.addWidget(self.banner)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, root)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.nav = QListWidget(self.splitter)
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Pages")
        self.nav.setIconSize(QSize(18, 18))
        self.nav.setMinimumWidth(150)
        self.nav.setMaximumWidth(260)
        self.nav.currentRowChanged.connect(self._on_nav_row)
        self.content = QStackedWidget(self.splitter)
        self.page_stack = QStackedWidget(self.content)
        self.page_stack.setObjectName("pageStack")
        self.empty_pages = _EmptyPages("Pages appear here once they are installed.")
        self.page_stack.addWidget(self.empty_pages)
        self.state_panel = StatePanel(self.content)
        self.state_panel.retry_clicked.connect(self.retry)
        self.state_panel.password_submitted.connect(self._on_password)
        self.content.addWidget(self.page_stack)
        self.content.addWidget(self.state_panel)
        self.content.setCurrentWidget(self.state_panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([180, 1100])
        col.addWidget(self.splitter, 1)
        self.setCentralWidget(root)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.conn_label = QLabel("not connected")
        self.conn_label.setTextFormat(Qt.TextFormat.PlainText)  # the server's database name
        self.conn_label.setObjectName("connectionLabel")
        self.busy_label = QLabel("idle")
        self.busy_label.setObjectName("busyLabel")
        self.busy_label.setToolTip("Queries in flight")
        self.pool_label = QLabel("")
        self.pool_label.setObjectName("poolLabel")
        self.pool_label.setToolTip("Database connections of this window: in use and idle")
        for label in (self.conn_label, self.busy_label, self.pool_label):
            bar.addPermanentWidget(label)
        self.runner.busy_changed.connect(self._on_busy)

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction("&New profile…", lambda: self.edit_profile(new=True))
        self.edit_profile_action = file_menu.addAction("&Edit profile…", self.edit_profile)
        self.reconnect_action = file_menu.addAction("&Reconnect", self.retry)
        new_window = file_menu.addAction("New &window", self.new_window)
        new_window.setShortcut(QKeySequence(NEW_WINDOW))
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit" if self.primary else "&Close window", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.view_menu = menu.addMenu("&View")
        self.pages_menu = self.view_menu.addMenu("&Go to")
        self.view_menu.addAction(self.refresh_action)
        self.cancel_action = self.view_menu.addAction(
            "&Cancel running queries", self.cancel_queries
        )
        self.view_menu.addAction(self.pause_action)
        self.view_menu.addAction(self.utc_action)
        theme_menu = self.view_menu.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        for mode in theme.THEMES:
            action = theme_menu.addAction(f"&{mode.capitalize()}")
            action.setCheckable(True)
            action.setData(mode)
            self.theme_group.addAction(action)
        self.theme_group.triggered.connect(lambda a: self.set_theme(str(a.data())))
        self.actions_menu = menu.addMenu("&Actions")
        self.command_actions = commands.build_actions_menu(
            self, self.actions_menu, self.run_command
        )
        conn_menu = menu.addMenu("&Connection")
        self.unlock_action = conn_menu.addAction("&Unlock writes…", self.request_unlock)
        self.lock_action = conn_menu.addAction("&Lock writes", self.lock_writes)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction("&Keyboard shortcuts", self.show_shortcuts)
        help_menu.addAction("&About", self._about)

    def _build_shortcuts(self) -> None:
        self.page_shortcuts: dict[str, QShortcut] = {}
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_filter)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.clear_filters)

    def _wire_session(self) -> None:
        s = self.session
        s.state_changed.connect(self.connection_state_changed)
        s.connecting.connect(self._on_connecting)
        s.connected.connect(self._on_connected)
        s.failed.connect(self._on_failed)
        s.detached.connect(self._on_detached)
        s.confirm_requested.connect(self._on_confirm_requested)
        s.progress.connect(self.show_status)
        s.lost.connect(self._on_lost)
        s.restored.connect(self._on_restored)
        s.write_lock_changed.connect(self._on_write_lock_changed)

    # The session's state, as the window's (pages, tests and the self-test read these).
    @property
    def connector(self) -> Connector:
        return self.session.connector

    @property
    def db(self) -> Database | None:
        return self.session.db

    @property
    def canceller(self) -> QueryCanceller | None:
        return self.session.canceller

    @property
    def guard(self) -> WriteGuard | None:
        return self.session.guard

    @property
    def profile(self) -> Profile | None:
        return self.session.profile

    @property
    def state(self) -> SessionState:
        return self.session.state

    @property
    def failure(self) -> Failure | None:
        return self.session.failure

    @property
    def connection_lost(self) -> str | None:
        return self.session.connection_lost

    @property
    def retry_ms(self) -> int:
        return self.session.retry_ms

    # ================================================================ pages

    def build_pages(self, specs: list[PageSpec] | None = None) -> None:
        """List the pages (once) from ``specs`` or :func:`page_specs`; build the shown one.

        A page is built when it is first shown or asked for (``pages[key]``): the
        window paints and the first page loads without the widgets of the others.
        """
        if self.specs:
            return
        if specs is None:
            specs = self._load_specs()
        self.specs = list(specs)
        keys = [spec.key for spec in self.specs]
        shortcuts = page_shortcuts(keys)
        for spec in self.specs:
            self._page_keys.append(spec.key)
            item = QListWidgetItem(theme.icon(spec.icon or spec.key), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            seq = shortcuts.get(spec.key)
            if seq:
                item.setToolTip(f"{spec.title} ({seq})")
                shortcut = QShortcut(QKeySequence(seq), self)
                shortcut.activated.connect(lambda key=spec.key: self.show_page(key))
                self.page_shortcuts[spec.key] = shortcut
            self.nav.addItem(item)
            action = self.pages_menu.addAction(
                f"&{spec.title}", lambda key=spec.key: self.show_page(key)
            )
            if seq:
                action.setShortcut(QKeySequence(seq))
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # QShortcut acts
        if self._page_keys:
            last = settings.WINDOW_PAGE.get() or None if self.remember else None
            self.show_page(last if last in self._page_keys else self._page_keys[0])

    def _build_page(self, key: str) -> QWidget:
        """Build page ``key`` (``pages[key]`` calls this the first time)."""
        spec = next((s for s in self.specs if s.key == key), None)
        if spec is None:
            raise KeyError(key)
        try:
            page = spec.factory(self.ctx)
        except Exception as exc:
            log.exception("page %s failed to build", spec.key)
            page = _BrokenPage(spec.title, exc)
        page.setObjectName(f"page_{spec.key}")
        if hasattr(page, "title_changed"):
            page.title_changed.connect(self._on_page_title_changed)
        self.page_stack.addWidget(page)
        if self.db is not None:
            self._call(page, "set_database", self.db)
        return page

    def _load_specs(self) -> list[PageSpec]:
        from console.ui import pages as pages_module

        try:
            return pages_module.lazy_page_specs()
        except Exception as exc:  # one broken page module must not take the window down
            log.exception("loading the page list failed")
            self.empty_pages = _EmptyPages(f"The pages could not be loaded: {exc}")
            self.page_stack.addWidget(self.empty_pages)
            self.page_stack.setCurrentWidget(self.empty_pages)
            return []

    def current_key(self) -> str | None:
        row = self.nav.currentRow()
        return self._page_keys[row] if 0 <= row < len(self._page_keys) else None

    def current_page(self) -> QWidget | None:
        key = self.current_key()
        return self.pages.get(key) if key else None

    def show_page(self, key: str) -> bool:
        if key not in self._page_keys:
            return False
        self.nav.setCurrentRow(self._page_keys.index(key))
        return True

    def open_page(self, key: str, filters: dict[str, Any] | None = None) -> None:
        """Switch to ``key`` and apply ``filters`` (click-through from another page)."""
        if not self.show_page(key):
            self.show_status(f"There is no {key} view.")
            return
        self._call(self.pages[key], "apply_filters", dict(filters or {}))

    def _on_nav_row(self, row: int) -> None:
        if 0 <= row < len(self._page_keys):
            key = self._page_keys[row]
            self.page_stack.setCurrentWidget(self.pages[key])
            if self.remember and self.primary:
                settings.WINDOW_PAGE.put(key)
            self._update_title()
            if self.db is not None:  # live by default: what is shown is re-read when shown
                page = self.pages[key]
                self._call(page, "shown") or self._call(page, "refresh")

    def _call(self, page: QWidget, method: str, *args: Any) -> bool:
        """Call an optional page method; a page's error is logged and shown, not raised."""
        fn = getattr(page, method, None)
        if not callable(fn):
            return False
        try:
            fn(*args)
        except Exception as exc:
            log.exception("%s.%s failed", type(page).__name__, method)
            self.show_status(f"{method} failed: {exc}")
        return True

    def refresh_current(self) -> None:
        if self.state == "failed":
            self.retry()
            return
        page = self.current_page()
        if page is not None and self.db is not None:
            self._call(page, "refresh")

    def cancel_queries(self) -> None:
        """Stop this window's running statements on the server (pages then say so)."""
        canceller = self.canceller
        if canceller is None:
            return

        def send() -> None:
            # A plain thread: the task runner's workers may all be busy with the slow queries.
            sent = canceller.cancel_all()
            log.info("cancel requested for %d running statement(s)", sent)

        threading.Thread(target=send, name="autopr-cancel", daemon=True).start()
        self.show_status("Cancelling the running queries…")

    def focus_filter(self) -> None:
        page = self.current_page()
        if page is not None:
            self._call(page, "focus_filter")

    def clear_filters(self) -> None:
        """Esc: clears the filters of the bar it is pressed in, and nothing else."""
        page = self.current_page()
        if page is None:
            return
        scope = getattr(page, "filter_scope", None)
        focus = QApplication.focusWidget()
        widgets = scope() if callable(scope) else []
        if focus is None or not any(w is focus or w.isAncestorOf(focus) for w in widgets):
            return
        self._call(page, "clear_filters")

    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)

    # ================================================================ start-up and connecting

    def start(
        self,
        profile_name: str | None = None,
        url: str | None = None,
        environment: str | None = None,
        *,
        replica_urls: list[str] | None = None,
    ) -> None:
        """Load the data layer and the profiles off the GUI thread, then connect.

        ``environment`` declares what an ad-hoc ``url`` is (the global --environment);
        ``replica_urls`` (--replica-url) add read replicas to the chosen profile.
        """
        remembered = False
        # DATABASE_URL is this run's explicit choice (as on the command line, where it beats
        # the default): a profile remembered from another day never silently replaces it.
        if profile_name is None and url is None and self.remember and not _database_url_set():
            profile_name = settings.LAST_PROFILE.get() or None
            remembered = profile_name is not None

        def bootstrap():
            from console.ui.connect import preload_data_layer

            preload_data_layer()
            from console.db.urls import BadURLError
            from console.profiles import ProfileError, ProfileStore, default_profiles

            problems: list[str] = []
            try:
                profiles = ProfileStore().load()
            except ProfileError as exc:
                problems.append(str(exc))
                profiles = default_profiles()
            chosen = None
            try:
                from console.profiles import resolve_profile

                chosen = resolve_profile(profile_name, url, environment=environment)
                if replica_urls:
                    from dataclasses import replace

                    from console.profiles import validate_profile

                    chosen = validate_profile(replace(chosen, replica_url=" ".join(replica_urls)))
            except (ProfileError, BadURLError) as exc:
                problems.append(str(exc))
                if remembered:  # the profile used last time was removed meanwhile
                    chosen = profiles["local"]
            return profiles, chosen, problems

        self.runner.submit(
            bootstrap, self._on_bootstrap, self._on_bootstrap_error, owner=self, key="bootstrap"
        )

    def _on_bootstrap(self, result) -> None:
        profiles, chosen, problems = result
        self.switcher.set_profiles(profiles)
        if chosen is not None:
            self.connect_profile(chosen)
        if not self.specs:  # the first page's module imports on a worker while connecting
            first = settings.get("window/page") if self.remember else None
            self.runner.submit(
                lambda: self._import_page_specs(first),
                self.build_pages,
                self._on_bootstrap_error,
                owner=self,
                key="pages",
            )
        if problems:
            self.show_status(" · ".join(problems))
        if chosen is None:
            self.banner.show_idle(problems[0] if problems else "Not connected")
            self.state_panel.show_idle("Not connected", problems[0] if problems else None)

    @staticmethod
    def _import_page_specs(first: str | None) -> list[PageSpec] | None:
        """The page list, with the module of the page shown first imported (off the GUI
        thread); the other pages' modules load when they are first shown."""
        from console.ui.pages import import_page_module, lazy_page_specs

        specs = lazy_page_specs()
        keys = [spec.key for spec in specs]
        try:
            import_page_module(first if first in keys else keys[0])
        except Exception:
            log.exception("importing the first page failed")  # its build says what failed
        return specs

    def _on_bootstrap_error(self, exc: BaseException) -> None:
        log.error("start-up failed: %s", exc)
        self.build_pages()
        self.banner.show_idle("Start-up failed")
        self.state_panel.show_idle("Start-up failed", str(exc))

    def switch_profile(self, name: str) -> None:
        """Connect to the profile ``name`` of the switcher."""
        profile = self.switcher.profile(name)
        if profile is None:
            self.show_status(f"No profile named {name}.")
            return
        if self.db is not None and self.db.profile.name == name and self.state == "connected":
            return
        self.connect_profile(profile)

    def new_window(self, profile: Profile | None = None) -> MainWindow:
        """File > New window: another window on ``profile`` (default: this window's).

        It shares nothing mutable with this one: its own task runner, connection,
        pages and write lock (an unlock here does not unlock there).
        """
        win = MainWindow(remember=self.remember, primary=False)
        _other_windows.append(win)
        win.closed.connect(lambda: _other_windows.remove(win) if win in _other_windows else None)
        win.build_pages(list(self.specs) or None)
        win.switcher.set_profiles(self.switcher.profiles())
        if hasattr(self, "reach"):  # links, palette; the application's watches and socket
            from console.ui import reach

            reach.install(win, watches=False)
        win.resize(self.size())
        win.move(self.pos() + QPoint(32, 32))
        win.show()
        chosen = profile or self.profile
        if chosen is not None:
            win.connect_profile(chosen)
        return win

    def connect_profile(self, profile: Profile, password: str | None = None) -> None:
        """Detach from the current database (closed in the background) and connect ``profile``."""
        self._dismiss_migration_dialog()
        self.session.detach()
        self.session.profile = profile
        self.switcher.add_profile(profile)
        self.switcher.set_current(profile.name)
        self.session.connect_profile(profile, password=password)

    def adopt_database(self, db: Database) -> None:
        """Use a database that is already open (tests, the screenshot command)."""
        self.session.detach()
        self.session.profile = db.profile
        self.switcher.add_profile(db.profile)
        self.switcher.set_current(db.profile.name)
        self.session.adopt(db)

    def detach_database(self) -> None:
        """Pages forget the database, the old one closes in the background."""
        self.session.detach()

    def _on_detached(self) -> None:
        self.ctx.extras.pop("write_guard", None)
        self._pool_timer.stop()
        for page in list(self.pages.values()):
            self._call(page, "set_database", None)
        self.database_changed.emit(None)

    def edit_profile(self, new: bool = False) -> ProfileEditor:
        """The profile editor (host, TLS files, SSH tunnel) for a new or the current profile."""
        from console.ui.profile_editor import ProfileEditor

        current = None if new else self.profile
        if current is not None and current.name in ADHOC_PROFILES:
            self.show_status("A --url or DATABASE_URL profile is not saved; add one instead.")
            current = None
        dialog = ProfileEditor(current, parent=self)
        dialog.saved.connect(self._on_profile_saved)
        dialog.open()
        self.profile_editor = dialog
        return dialog

    def _on_profile_saved(self, profile: Profile) -> None:
        self.switcher.add_profile(profile)
        self.show_status(f"Saved profile {profile.name}.")
        self.connect_profile(profile)

    def retry(self) -> None:
        if self.profile is not None:
            self.connect_profile(self.profile)

    def _on_connecting(self, profile: Profile) -> None:
        self.banner.show_connecting(profile)
        self.state_panel.show_connecting(profile)
        self.content.setCurrentWidget(self.state_panel)
        self.conn_label.setText(f"connecting to {profile.name}…")
        self.pool_label.clear()
        self._update_title()

    def _on_connected(self, db: Database) -> None:
        self.ctx.extras["write_guard"] = self.guard
        self.banner.show_connected(db, self.guard)
        self.content.setCurrentWidget(self.page_stack)
        if not self._page_keys:
            self.page_stack.setCurrentWidget(self.empty_pages)
        self.conn_label.setText(f"connected: {db.profile.name} · {db.database_name}")
        for page in list(self.pages.values()):
            self._call(page, "set_database", db)
        self.database_changed.emit(db)
        self._update_pool_label()
        self._pool_timer.start()
        if db.migration.applied:
            self.show_status(f"Applied migrations: {', '.join(db.migration.applied)}")
        if db.read_only_reason:
            self.show_status("Read-only: " + db.read_only_reason)
        elif db.migration.schema.notes or db.migration.schema.json_columns:
            self.show_status(
                f"Schema matches, with {len(db.migration.schema.notes)} note(s) and "
                f"{len(db.migration.schema.json_columns)} json (not jsonb) column(s): "
                f"'autopr-console profile test {db.profile.name}' lists them"
            )
        if self.remember and self.primary and db.profile.name not in ADHOC_PROFILES:
            settings.LAST_PROFILE.put(db.profile.name)
        self._update_title()
        self._update_lock_actions()
        # After the pages' first loads have started: what exists then lives for good.
        QTimer.singleShot(SETTLE_MS, gui_gc.settle)

    def _on_failed(self, profile: Profile, failure: Failure) -> None:
        from console import secrets

        self._dismiss_migration_dialog()
        self.banner.show_failed(profile, failure)
        self.state_panel.show_failed(profile, failure, secrets.keyring_available())
        self.content.setCurrentWidget(self.state_panel)
        self.conn_label.setText(f"not connected: {profile.name}")
        self.show_status(f"Could not connect to {profile.name}: {failure.reason}")
        self._update_title()
        self._update_lock_actions()

    def _on_password(self, password: str, store: bool) -> None:
        self.session.provide_password(password, store)

    def _on_confirm_requested(self, request: ConfirmRequest) -> None:
        self._dismiss_migration_dialog()
        dialog = MigrationDialog(request.profile, request.report, self, sql=request.sql)
        dialog.setObjectName("migrationDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda result: self._on_migration_answer(request, result))
        self._migration_dialog = dialog
        self.banner.title_label.setText(f"Waiting for your answer: migrate {request.profile.name}?")
        dialog.open()

    def _on_migration_answer(self, request: ConfirmRequest, result: int) -> None:
        self._migration_dialog = None
        self.session.answer_migration(request, result == QDialog.DialogCode.Accepted)

    def _dismiss_migration_dialog(self) -> None:
        dialog, self._migration_dialog = self._migration_dialog, None
        if dialog is not None and dialog.isVisible():
            dialog.reject()  # answers "no" through finished()

    # ================================================================ write lock

    def request_unlock(self) -> UnlockDialog | None:
        """Open the unlock dialog (non-blocking); returns it."""
        guard = self.guard
        if guard is None or not guard.needs_unlock:
            return None
        dialog = UnlockDialog(guard, self)
        dialog.setObjectName("unlockDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self._on_unlocked)
        dialog.open()
        return dialog

    def _on_unlocked(self) -> None:
        self.session.unlocked()
        if self.guard is not None:
            self.show_status(f"Writes on {self.guard.profile_name}: {self.guard.state_text()}")

    def lock_writes(self) -> None:
        self.session.lock_writes()

    def _on_write_lock_changed(self) -> None:
        self.banner.refresh_guard()
        self._update_lock_actions()

    def _update_lock_actions(self) -> None:
        self.unlock_action.setEnabled(self.session.may_unlock())
        self.lock_action.setEnabled(self.session.may_lock())

    # ================================================================ refresh, time, theme

    def _on_refresh_interval(self, index: int) -> None:
        seconds = int(self.refresh_combo.itemData(index) or 0)
        if self.remember:
            settings.AUTO_REFRESH_S.put(seconds)
        self._apply_refresh_timer()

    def _on_pause(self, paused: bool) -> None:
        self.pause_action.setText("&Resume" if paused else "&Pause")
        self.pause_action.setToolTip("Resume auto-refresh" if paused else "Pause auto-refresh")
        self._apply_refresh_timer()

    def refresh_interval(self) -> int:
        return int(self.refresh_combo.currentData() or 0)

    def _apply_refresh_timer(self) -> None:
        seconds = self.refresh_interval()
        self.pause_action.setEnabled(seconds > 0)
        if seconds > 0 and not self.pause_action.isChecked():
            self._refresh_timer.start(seconds * 1000)
        else:
            self._refresh_timer.stop()

    def auto_refresh_active(self) -> bool:
        return self._refresh_timer.isActive()

    def _auto_refresh(self) -> None:
        if self.db is None or self.isMinimized():
            return
        page = self.current_page()
        if page is not None and not self.runner.busy(page):  # never behind its own last load
            self._call(page, "refresh")

    def _on_utc(self, on: bool) -> None:
        timefmt.set_utc(on)
        if self.remember:
            settings.UTC.put(on)

    def set_theme(self, mode: str) -> None:
        app = QApplication.instance()
        if app is not None:
            theme.apply_theme(app, mode)
        for action in self.theme_group.actions():
            action.setChecked(action.data() == mode)
        if self.remember:
            settings.THEME.put(mode)
        self.banner.repaint_environment()

    def _restore_choices(self) -> None:
        default = DEFAULT_REFRESH_S if self.remember else 0  # screenshots, self-test: still
        seconds = settings.AUTO_REFRESH_S.get(default=default) if self.remember else 0
        index = max(0, self.refresh_combo.findData(seconds))
        self.refresh_combo.setCurrentIndex(index)
        self._apply_refresh_timer()
        utc = settings.UTC.get() if self.remember else timefmt.use_utc()
        self.utc_action.setChecked(utc)
        timefmt.set_utc(utc)
        mode = theme.current_scheme() if not self.remember else settings.THEME.get()
        for action in self.theme_group.actions():
            action.setChecked(action.data() == mode)

    # ================================================================ status bar

    def _on_busy(self, count: int) -> None:
        self.busy_label.setText(
            f"{count} quer{'y' if count == 1 else 'ies'} running" if count else "idle"
        )

    def check_connection(self) -> None:
        """Ping the server off the GUI thread; the banner says when it is gone and back."""
        self.session.check_connection()

    def _on_lost(self, reason: str) -> None:
        self.banner.show_lost(reason)
        if self.db is not None:
            self.conn_label.setText(f"connection lost: {self.db.profile.name}")

    def _on_restored(self, db: Database) -> None:
        # Pages read again with their own filters, selection and scroll.
        for page in list(self.pages.values()):
            self._call(page, "refresh")
        self.banner.show_connected(db, self.guard)
        self.conn_label.setText(f"connected: {db.profile.name} · {db.database_name}")
        self.show_status(f"The connection to {db.profile.name} is back.")

    def _update_pool_label(self) -> None:
        db = self.db
        if db is None:
            self.pool_label.clear()
            return
        pool = db.engine.pool
        try:
            in_use, idle = pool.checkedout(), pool.checkedin()  # type: ignore[attr-defined]
            self.pool_label.setText(f"pool {in_use} in use · {idle} idle")
        except AttributeError:
            self.pool_label.setText("pool ?")

    def _on_page_title_changed(self, _suffix: str) -> None:
        self._update_title()

    def _update_title(self) -> None:
        parts = [f"{APP_NAME} {__version__}"]
        key = self.current_key()
        if key:
            spec = next((s for s in self.specs if s.key == key), None)
            if spec:
                parts.insert(0, spec.title)
            suffix = getattr(self.pages.get(key), "title_suffix", lambda: "")()
            if suffix:
                parts.insert(1, suffix)
        if self.db is not None:
            parts.append(f"{self.db.profile.name} ({self.db.profile.environment_label})")
        elif self.profile is not None:
            parts.append(f"{self.profile.name} — {self.state}")
        self.setWindowTitle(" — ".join(parts))

    def run_command(self, key: str) -> None:
        """An Actions-menu command on the current page (see :mod:`console.ui.commands`)."""
        page = self.current_page()
        if page is None or not self._call(page, "run_command", key):
            title = commands.plain(self.command_actions[key].text()).rstrip("…")
            self.show_status(f"{title}: not available on this page")

    def show_shortcuts(self) -> None:
        self.shortcuts_dialog = commands.ShortcutsDialog(self)
        self.shortcuts_dialog.open()

    def _about(self) -> None:
        from console.ui.about_dialog import show_about

        self.about_dialog = show_about(self, self.db)

    # ================================================================ layout and closing

    def _restore_geometry(self) -> None:
        if not self.remember:
            return
        geometry = settings.load_bytes("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.load_bytes("window/state")
        if state is not None:
            self.restoreState(state)
        splitter = settings.load_bytes("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def save_layout(self) -> None:
        if not (self.remember and self.primary):
            return
        settings.save_bytes("window/geometry", self.saveGeometry())
        settings.save_bytes("window/state", self.saveState())
        settings.save_bytes("window/splitter", self.splitter.saveState())

    def shutdown(self) -> None:
        """Close the database (stopping the embedded server if we were its last user)."""
        if self._closing:
            return
        self._closing = True
        self._refresh_timer.stop()
        self._pool_timer.stop()
        self._dismiss_migration_dialog()
        self.session.stop()
        self.runner.wait_idle(5_000)
        db = self.session.release()
        if db is not None:
            for page in list(self.pages.values()):
                self._call(page, "set_database", None)
            try:
                db.close()
            except Exception as exc:
                log.warning("closing the database failed: %s", exc)
        self.connector.wait_closed()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.hide()
        self.shutdown()
        super().closeEvent(event)
        self.closed.emit()


def build_main_window(
    profile: str | None = None,
    url: str | None = None,
    *,
    db: Database | None = None,
    specs: list[PageSpec] | None = None,
    start: bool = False,
    remember: bool = True,
) -> MainWindow:
    """A main window, for the app, tests, the screenshot command and the self-test.

    With ``db`` the window uses that open database (and closes it when it closes);
    with ``start=True`` it loads profiles and connects ``profile``/``url`` in the
    background; otherwise it waits for :meth:`MainWindow.start` or ``connect_profile``.
    """
    app = QApplication.instance()
    if app is not None and not getattr(app, "_autopr_theme_hooked", False):
        theme.apply_theme(app, settings.THEME.get() if remember else "system")
    window = MainWindow(remember=remember)
    if db is not None or specs is not None:
        window.build_pages(specs)
    if db is not None:
        window.adopt_database(db)
        from console.profiles import ProfileError, ProfileStore

        try:
            window.switcher.set_profiles(ProfileStore().load(), current=db.profile.name)
            window.switcher.add_profile(db.profile)
            window.switcher.set_current(db.profile.name)
        except ProfileError as exc:
            window.show_status(str(exc))
    elif start:
        window.start(profile, url)
    return window
