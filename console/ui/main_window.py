"""The main window: navigation, pages, environment banner, profile switching, refresh.

The connection lifecycle lives in :class:`~console.ui.session.ConnectionSession`; the
window lays out its parts and wires its collaborators (:mod:`console.ui.window`): the
page navigator, the toolbar and menus, the auto-refresh, the view choices, the status
line, the reactions to the session and the start-up sequence.  Pages come from
:func:`console.ui.pages.page_specs`; the window knows nothing of their insides beyond
the :class:`~console.ui.pages.Page` protocol and a few optional hooks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console import APP_NAME, __version__
from console.ui import commands, settings, theme
from console.ui.banner import EnvironmentBanner, StatePanel, UnlockDialog
from console.ui.connect import Connector, Failure
from console.ui.focus_ring import FocusRing
from console.ui.pages import PageContext, PageSpec
from console.ui.screenfit import fit_to_screen
from console.ui.session import (  # noqa: F401  (RETRY_*: the window's public figures)
    PING_INTERVAL_MS,
    RETRY_FIRST_MS,
    RETRY_MAX_MS,
    ConnectionSession,
    SessionState,
)
from console.ui.tasks import TaskRunner
from console.ui.window import choices, spawn
from console.ui.window.choices import ViewChoices
from console.ui.window.connection_view import ADHOC_PROFILES, ConnectionView
from console.ui.window.menus import MainToolbar, WindowMenus
from console.ui.window.navigation import PageNavigator, page_shortcuts  # noqa: F401
from console.ui.window.refresh import AutoRefresh
from console.ui.window.spawn import other_windows  # noqa: F401
from console.ui.window.startup import WindowStartup
from console.ui.window.status import StatusLine

if TYPE_CHECKING:
    from console.actions.guard import WriteGuard
    from console.db.cancel import QueryCanceller
    from console.db.connection import Database
    from console.profiles import Profile
    from console.ui.profile_editor import ProfileEditor

log = logging.getLogger(__name__)


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
        self._closing = False
        self.auto_refresh = AutoRefresh(self, remember=remember)
        self.auto_refresh.timer.timeout.connect(self._auto_refresh)
        self.choices = ViewChoices(self, remember=remember, on_theme=self._on_theme_applied)
        self.toolbar = MainToolbar(self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self._build_central()
        self.status_line = StatusLine(self.statusBar(), self.runner, lambda: self.db)
        self.menus = WindowMenus(self, self.toolbar)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_filter)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.clear_filters)
        self.connection_view = ConnectionView(self)
        self.startup = WindowStartup(self)
        # An unlock lapses by itself: the lock actions are re-checked every second.
        self.status_line.pool_timer.timeout.connect(self.connection_view.update_lock_actions)
        self._expose_parts()
        self.focus_ring = FocusRing(self)
        self.auto_refresh.restore()
        self.choices.restore()
        self.resize(1280, 800)
        if remember:
            choices.restore_layout(self, self.splitter)
        fit_to_screen(self)  # at 150 % / 200 % scaling 1280x800 is larger than the screen

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
        self.navigator = PageNavigator(self)
        self.splitter.addWidget(self.navigator.nav)
        self.content = QStackedWidget(self.splitter)
        self.page_stack = self.navigator.page_stack
        self.state_panel = StatePanel(self.content)
        self.state_panel.retry_clicked.connect(self.retry)
        self.content.addWidget(self.page_stack)
        self.content.addWidget(self.state_panel)
        self.content.setCurrentWidget(self.state_panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([180, 1100])
        col.addWidget(self.splitter, 1)
        self.setCentralWidget(root)

    def _expose_parts(self) -> None:
        """The parts tests, the palette and the links reach, under the window's names."""
        self.nav = self.navigator.nav
        self.page_shortcuts = self.navigator.shortcuts
        self.switcher = self.toolbar.switcher
        self.refresh_action = self.toolbar.refresh_action
        self.refresh_combo = self.auto_refresh.combo
        self.pause_action = self.auto_refresh.pause_action
        self.utc_action = self.choices.utc_action
        self.theme_group = self.choices.theme_group
        m = self.menus
        self.edit_profile_action, self.reconnect_action = m.edit_profile_action, m.reconnect_action
        self.view_menu, self.pages_menu, self.cancel_action = (
            m.view_menu,
            m.pages_menu,
            m.cancel_action,
        )
        self.actions_menu, self.command_actions = m.actions_menu, m.command_actions
        self.unlock_action, self.lock_action = m.unlock_action, m.lock_action
        s = self.status_line
        self.conn_label, self.busy_label, self.pool_label = s.conn_label, s.busy_label, s.pool_label

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

    @property
    def specs(self) -> list[PageSpec]:
        return self.navigator.specs

    @property
    def pages(self) -> dict[str, QWidget]:
        """Key -> page; a page not built yet is built when first asked for."""
        return self.navigator.pages

    @property
    def empty_pages(self) -> QWidget:
        return self.navigator.empty_pages

    def page_keys(self) -> list[str]:
        """The page keys in navigation order (empty while the page list loads)."""
        return list(self.navigator.keys)

    def build_pages(self, specs: list[PageSpec] | None = None) -> None:
        """List the pages (once) from ``specs`` or :func:`page_specs`; build the shown one."""
        self.navigator.build(specs, self.menus.pages_menu)

    def current_key(self) -> str | None:
        return self.navigator.current_key()

    def current_page(self) -> QWidget | None:
        return self.navigator.current_page()

    def show_page(self, key: str) -> bool:
        return self.navigator.show_page(key)

    def open_page(self, key: str, filters: dict[str, Any] | None = None) -> None:
        """Switch to ``key`` and apply ``filters`` (click-through from another page)."""
        if not self.show_page(key):
            self.show_status(f"There is no {key} view.")
            return
        self.navigator.call(self.pages[key], "apply_filters", dict(filters or {}))

    def refresh_current(self) -> None:
        if self.state == "failed":
            self.retry()
            return
        page = self.current_page()
        if page is not None and self.db is not None:
            self.navigator.call(page, "refresh")

    def refresh_interval(self) -> int:
        return self.auto_refresh.interval()

    def auto_refresh_active(self) -> bool:
        return self.auto_refresh.active()

    def _auto_refresh(self) -> None:
        if self.db is None or self.isMinimized():
            return
        page = self.current_page()
        if page is not None and not self.runner.busy(page):  # never behind its own last load
            self.navigator.call(page, "refresh")

    def cancel_queries(self) -> None:
        """Stop this window's running statements on the server (pages then say so)."""
        if self.session.cancel_queries():
            self.show_status("Cancelling the running queries…")

    def focus_filter(self) -> None:
        self.navigator.focus_filter()

    def clear_filters(self) -> None:
        """Esc: clears the filters of the bar it is pressed in, and nothing else."""
        self.navigator.clear_filters()

    def run_command(self, key: str) -> None:
        """An Actions-menu command on the current page (see :mod:`console.ui.commands`)."""
        page = self.current_page()
        if page is None or not self.navigator.call(page, "run_command", key):
            title = commands.plain(self.command_actions[key].text()).rstrip("…")
            self.show_status(f"{title}: not available on this page")

    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 10_000)

    def update_title(self) -> None:
        parts = [f"{APP_NAME} {__version__}"]
        key = self.current_key()
        if key:
            spec = self.navigator.spec(key)
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

    # ================================================================ connecting

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
        self.startup.start(profile_name, url, environment, replica_urls)

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
        """File > New window: another window on ``profile`` (default: this window's), with
        its own task runner, connection, pages and write lock."""
        return spawn.open_new_window(self, profile)

    def connect_profile(self, profile: Profile, password: str | None = None) -> None:
        """Detach from the current database (closed in the background) and connect ``profile``."""
        self.connection_view.dismiss_migration_dialog()
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

    def retry(self) -> None:
        if self.profile is not None:
            self.connect_profile(self.profile)

    def check_connection(self) -> None:
        """Ping the server off the GUI thread; the banner says when it is gone and back."""
        self.session.check_connection()

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

    def request_unlock(self) -> UnlockDialog | None:
        """Open the unlock dialog (non-blocking); returns it."""
        return self.connection_view.request_unlock()

    def lock_writes(self) -> None:
        self.session.lock_writes()

    # ================================================================ view, help, closing

    def set_theme(self, mode: str) -> None:
        self.choices.set_theme(mode)

    def _on_theme_applied(self) -> None:
        self.banner.repaint_environment()

    def show_shortcuts(self) -> None:
        self.shortcuts_dialog = commands.ShortcutsDialog(self)
        self.shortcuts_dialog.open()

    def show_about(self) -> None:
        from console.ui.about_dialog import show_about

        self.about_dialog = show_about(self, self.db)

    def save_layout(self) -> None:
        if self.remember and self.primary:
            choices.save_layout(self, self.splitter)

    def shutdown(self) -> None:
        """Close the database (stopping the embedded server if we were its last user)."""
        if self._closing:
            return
        self._closing = True
        self.auto_refresh.stop()
        self.status_line.pool_timer.stop()
        self.connection_view.dismiss_migration_dialog()
        self.session.stop()
        self.runner.wait_idle(5_000)
        db = self.session.release()
        if db is not None:
            self.navigator.call_all("set_database", None)
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
    if isinstance(app, QGuiApplication) and not getattr(app, "_autopr_theme_hooked", False):
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
