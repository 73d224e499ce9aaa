"""The main window shell against real PostgreSQL databases: connecting, switching, failing,
the environment banner, the prod write lock, migrations on staging, shortcuts and settings."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLineEdit, QWidget

from console import secrets
from console.profiles import Profile, ProfileStore
from console.ui import settings, theme
from console.ui.banner import MigrationDialog, UnlockDialog
from console.ui.main_window import MainWindow, build_main_window, page_shortcuts
from console.ui.pages import PageSpec
from tests.helpers.databases import admin_connect, create_database, drop_database
from tests.helpers.secrets_check import files_holding

CONNECT_TIMEOUT_MS = 30_000
KEYS = ("overview", "workflows", "executions", "logs", "integrations", "events", "tail")


class RecordingPage(QWidget):
    """A page that records what the window asks of it."""

    def __init__(self, ctx, key: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.key = key
        self.databases: list = []
        self.refreshes = 0
        self.filters: list[dict] = []
        self.cleared = 0
        self.filter_edit = QLineEdit(self)

    def set_database(self, db) -> None:
        self.databases.append(db)

    def refresh(self) -> None:
        self.refreshes += 1

    def apply_filters(self, filters: dict) -> None:
        self.filters.append(filters)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()

    def clear_filters(self) -> None:
        self.cleared += 1

    def filter_scope(self) -> list:
        return [self.filter_edit]


def specs() -> list[PageSpec]:
    return [
        PageSpec(key, key.capitalize(), lambda ctx, key=key: RecordingPage(ctx, key), order, key)
        for order, key in enumerate(KEYS)
    ]


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:
    win = build_main_window(specs=specs())
    qtbot.addWidget(win)
    win.resize(1100, 650)
    win.show()
    yield win
    win.close()


@pytest.fixture
def second_db_url(pg_address, template_db) -> Iterator[str]:
    name = f"t2_{uuid.uuid4().hex[:12]}"
    create_database(pg_address, name, template=template_db)
    yield pg_address.url(name)
    drop_database(pg_address, name)


def connect(qtbot, win: MainWindow, profile: Profile, state: str = "connected") -> None:
    win.connect_profile(profile)
    qtbot.waitUntil(lambda: win.state == state, timeout=CONNECT_TIMEOUT_MS)


def backends(address, dbname: str) -> int:
    with admin_connect(address) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (dbname,)
        ).fetchone()[0]


def banner_pixel(win: MainWindow):
    image = win.banner.grab().toImage()
    return image.pixelColor(3, image.height() // 2)


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_connects_and_banner_shows_environment_database_and_version(
    qtbot, window, db_url, environment, tmp_path
):
    profile = Profile(f"{environment}-x", environment=environment, url=db_url)
    connect(qtbot, window, profile)
    db = window.db
    assert db is not None and db.profile.name == f"{environment}-x"
    assert banner_pixel(window).name() == theme.environment_color(environment).name()
    assert window.banner.env_label.text() == environment.upper()
    assert db.database_name in window.banner.detail_label.text()
    assert "PostgreSQL " + db.server_version.split(" ")[0] in window.banner.detail_label.text()
    # every page got the database, and the write guard of this connection is shared
    assert all(page.databases[-1] is db for page in window.pages.values())
    assert window.ctx.extras["write_guard"] is window.guard
    assert window.content.currentWidget() is window.page_stack
    assert db.database_name in window.conn_label.text()
    assert window.pool_label.text().startswith("pool ")
    window.grab().save(str(tmp_path / f"connected-{environment}.png"))


def test_profile_switch_closes_first_database_and_connects_second(
    qtbot, window, db_url, second_db_url, pg_address
):
    store = ProfileStore()
    store.save(Profile("one", environment="dev", url=db_url))
    store.save(Profile("two", environment="staging", url=second_db_url))
    window.switcher.set_profiles(store.load())
    window.switcher.choose("one")
    qtbot.waitUntil(lambda: window.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    first = window.db
    first_name = first.database_name
    assert backends(pg_address, first_name) >= 1
    page = window.pages["workflows"]

    window.switcher.choose("two")
    qtbot.waitUntil(
        lambda: window.state == "connected" and window.db.profile.name == "two",
        timeout=CONNECT_TIMEOUT_MS,
    )
    assert page.databases[-2:] == [None, window.db]
    assert window.db.database_name != first_name
    qtbot.waitUntil(lambda: first.closed, timeout=CONNECT_TIMEOUT_MS)
    qtbot.waitUntil(lambda: backends(pg_address, first_name) == 0, timeout=10_000)
    assert banner_pixel(window).name() == theme.environment_color("staging").name()
    second_name = window.db.database_name
    window.close()
    assert backends(pg_address, second_name) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.expects_log_warnings(
    r"^console\.ui\.session: connecting to profile gone failed: the server cannot be reached"
)
def test_closed_port_shows_why_in_place(qtbot, window, tmp_path):
    port = _free_port()
    profile = Profile("gone", environment="dev", url=f"postgresql://u@127.0.0.1:{port}/x")
    connect(qtbot, window, profile, state="failed")
    assert window.failure.kind == "unreachable"
    assert "cannot be reached" in window.banner.detail_label.text()
    assert "cannot be reached" in window.state_panel.message.text()
    assert "Traceback" not in window.state_panel.message.text()
    assert window.content.currentWidget() is window.state_panel
    assert window.state_panel.retry_button.isVisibleTo(window)
    assert window.banner.retry_button.isVisibleTo(window)
    window.grab().save(str(tmp_path / "failed.png"))
    # Retry tries again (and fails again the same way)
    window.state_panel.retry_button.click()
    assert window.state == "connecting"
    qtbot.waitUntil(lambda: window.state == "failed", timeout=CONNECT_TIMEOUT_MS)


@pytest.mark.expects_log_warnings(
    r"^console\.ui\.session: connecting to profile typo failed: the database does not exist"
)
def test_missing_database_shows_why(qtbot, window, pg_address):
    url = pg_address.url(f"no_such_db_{uuid.uuid4().hex[:8]}")
    connect(qtbot, window, Profile("typo", environment="dev", url=url), state="failed")
    assert window.failure.kind == "missing-db"
    assert "does not exist" in window.state_panel.message.text()


class Blackhole:
    """A TCP server that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    hole = Blackhole()
    yield hole
    hole.close()


@pytest.mark.expects_log_warnings(
    r"^console\.ui\.session: connecting to profile hole failed: the server did not answer in time"
)
def test_window_stays_responsive_while_a_server_never_answers(qtbot, window, blackhole, tmp_path):
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(window.state))
    timer.start(20)
    profile = Profile(
        "hole",
        environment="staging",
        url=f"postgresql://u@127.0.0.1:{blackhole.port}/x",
        connect_timeout_s=2,
    )
    window.connect_profile(profile)
    assert window.state == "connecting"
    assert window.state_panel.spinner.isVisibleTo(window)
    assert "Connecting to hole" in window.banner.title_label.text()
    qtbot.waitUntil(lambda: len(ticks) >= 5)
    window.grab().save(str(tmp_path / "connecting.png"))
    # the event loop kept running while the connection hung: the timer fired many times
    assert ticks.count("connecting") >= 5
    qtbot.waitUntil(lambda: window.state == "failed", timeout=CONNECT_TIMEOUT_MS)
    timer.stop()
    assert window.failure.kind == "timeout"
    assert "did not answer" in window.state_panel.message.text()
    assert blackhole.held, "the connection really reached the silent server"


def test_switching_away_from_a_hanging_connection_wins(qtbot, window, blackhole, db_url):
    hang = Profile(
        "hole",
        environment="dev",
        url=f"postgresql://u@127.0.0.1:{blackhole.port}/x",
        connect_timeout_s=2,
    )
    window.connect_profile(hang)
    good = Profile("good", environment="dev", url=db_url)
    connect(qtbot, window, good)
    assert window.db.profile.name == "good"
    # the hanging attempt times out later and must not replace the good connection
    qtbot.wait(2500)
    assert window.state == "connected" and window.db.profile.name == "good"


def test_prod_is_locked_and_unlocks_only_with_the_profile_name(qtbot, window, db_url):
    connect(qtbot, window, Profile("prod-eu", environment="prod", url=db_url))
    guard = window.ctx.extras["write_guard"]
    assert window.db.read_only
    assert "locked (read-only)" in window.banner.lock_label.text()
    assert window.banner.unlock_button.isVisibleTo(window)
    window.banner.unlock_button.click()
    dialog = window.findChild(UnlockDialog, "unlockDialog")
    assert dialog is not None and dialog.isVisible()
    dialog.name_edit.setText("prod")
    dialog.ok_button.click()
    assert dialog.isVisible() and dialog.error_label.isVisibleTo(dialog)
    assert not guard.may_write()
    assert "locked" in window.banner.lock_label.text()
    dialog.name_edit.setText("prod-eu")
    dialog.ok_button.click()
    assert not dialog.isVisible()
    assert guard.may_write()
    assert "unlocked for 4:5" in window.banner.lock_label.text()
    assert window.banner.lock_button.isVisibleTo(window)
    assert window.banner.counting_down  # re-reads the lock each second
    # switching profiles makes a new, locked guard
    window.connect_profile(Profile("prod-us", environment="prod", url=db_url))
    assert "write_guard" not in window.ctx.extras
    qtbot.waitUntil(lambda: window.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    new_guard = window.ctx.extras["write_guard"]
    assert new_guard is not guard and not new_guard.may_write()
    assert "locked (read-only)" in window.banner.lock_label.text()


def test_dev_is_writable_without_unlock(qtbot, window, db_url):
    connect(qtbot, window, Profile("dev-x", environment="dev", url=db_url))
    assert window.guard.may_write()
    assert "writable" in window.banner.lock_label.text()
    assert not window.banner.unlock_button.isVisibleTo(window)


def _tables(url: str) -> set[str]:
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def _answer_migration(qtbot, window: MainWindow, apply: bool) -> MigrationDialog:
    def visible() -> list[MigrationDialog]:
        return [d for d in window.findChildren(MigrationDialog) if d.isVisible()]

    qtbot.waitUntil(lambda: len(visible()) == 1, timeout=CONNECT_TIMEOUT_MS)
    dialog = visible()[0]
    assert "0001" in dialog.pending_label.text()
    assert window.state == "connecting"  # still waiting, window alive
    (dialog.apply_button if apply else dialog.decline_button).click()
    return dialog


@pytest.mark.expects_log_warnings(
    r"^console\.ui\.session: connecting to profile stage failed: \d+ pending migration"
)
def test_staging_with_pending_migrations_asks_first(qtbot, window, empty_db_url):
    profile = Profile("stage", environment="staging", url=empty_db_url)
    window.connect_profile(profile)
    _answer_migration(qtbot, window, apply=False)
    qtbot.waitUntil(lambda: window.state == "failed", timeout=CONNECT_TIMEOUT_MS)
    assert window.failure.kind == "migrations"
    assert "not applied" in window.state_panel.message.text()
    assert "Nothing was changed" in window.state_panel.message.text()
    assert "workflows" not in _tables(empty_db_url)

    window.retry()
    _answer_migration(qtbot, window, apply=True)
    qtbot.waitUntil(lambda: window.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    assert window.db.migration.applied
    assert {"workflows", "execution_logs", "autopr_console_version"} <= _tables(empty_db_url)


def test_prod_migrations_show_their_sql_and_need_the_profile_name(
    qtbot, window, empty_db_url, tmp_path
):
    profile = Profile("prod-eu", environment="prod", url=empty_db_url)
    window.connect_profile(profile)

    def visible() -> list[MigrationDialog]:
        return [d for d in window.findChildren(MigrationDialog) if d.isVisible()]

    qtbot.waitUntil(lambda: len(visible()) == 1, timeout=CONNECT_TIMEOUT_MS)
    dialog = visible()[0]
    assert "CREATE TABLE workflows" in dialog.sql_view.toPlainText()
    assert dialog.name_edit is not None and not dialog.apply_button.isEnabled()
    dialog.name_edit.setText("prod")
    assert not dialog.apply_button.isEnabled()
    dialog.accept()  # e.g. Enter: still refused without the name
    assert dialog.isVisible() and "workflows" not in _tables(empty_db_url)
    dialog.grab().save(str(tmp_path / "prod-migration.png"))
    dialog.name_edit.setText("prod-eu")
    assert dialog.apply_button.isEnabled()
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: window.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    assert window.db.migration.applied and window.db.read_only
    assert "workflows" in _tables(empty_db_url)


@pytest.mark.expects_log_warnings(
    r"^console\.ui\.session: connecting to profile auth-x failed: the user does not exist"
)
def test_auth_failure_prompts_for_a_password_kept_in_memory_only(
    qtbot, window, pg_address, db_url, isolated_home
):
    # A role that does not exist is reported like a wrong password (kind "auth").
    url = db_url.replace("://", "://nobody_here@", 1) if "@" not in db_url else None
    if url is None:
        head, tail = db_url.split("://", 1)
        url = f"{head}://nobody_here@{tail.split('@', 1)[1]}"
    profile = Profile("auth-x", environment="dev", url=url)
    connect(qtbot, window, profile, state="failed")
    assert window.failure.kind == "auth"
    panel = window.state_panel
    assert panel.password_box.isVisibleTo(window)
    assert not panel.keyring_check.isEnabled()  # no keyring in tests: session only
    panel.password_edit.setText("s3cret-pw")
    qtbot.keyClick(panel.password_edit, Qt.Key.Key_Return)
    assert secrets.get_password("auth-x") == "s3cret-pw"
    assert window.state == "connecting"
    qtbot.waitUntil(lambda: window.state == "failed", timeout=CONNECT_TIMEOUT_MS)
    window.close()
    assert files_holding("s3cret-pw", isolated_home) == []
    secrets.forget_password("auth-x")


def test_page_shortcuts_refresh_filters_and_click_through(qtbot, window, db_url):
    connect(qtbot, window, Profile("dev-x", environment="dev", url=db_url))
    # in navigation order
    assert page_shortcuts(list(KEYS)) == {key: f"Ctrl+{n}" for n, key in enumerate(KEYS, 1)}
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "executions"
    page = window.pages["executions"]
    before = page.refreshes
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert page.refreshes == before + 1
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert page.cleared == 0  # Esc belongs to the filter bar it is pressed in
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.filter_edit.hasFocus()
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_Escape)
    assert page.cleared == 1
    window.ctx.open_page("logs", {"execution_id": "abc", "min_level": "ERROR"})
    assert window.current_key() == "logs"
    assert window.pages["logs"].filters[-1] == {"execution_id": "abc", "min_level": "ERROR"}
    assert window.pages["executions"].refreshes == before + 1  # only the visible page


def test_auto_refresh_refreshes_visible_page_and_pauses(qtbot, window, db_url):
    connect(qtbot, window, Profile("dev-x", environment="dev", url=db_url))
    # live by default: every 5 s, and a page is read again when it is shown
    assert window.auto_refresh_active() and window.refresh_interval() == 5
    page = window.pages["events"]
    hidden = window.pages["workflows"]
    shown_before = page.refreshes
    window.show_page("events")
    assert page.refreshes == shown_before + 1
    window.refresh_combo.setCurrentIndex(window.refresh_combo.findData(0))
    assert not window.auto_refresh_active()
    window.refresh_combo.setCurrentIndex(window.refresh_combo.findData(5))
    assert window.auto_refresh_active()
    before, hidden_before = page.refreshes, hidden.refreshes
    with qtbot.waitSignal(window.auto_refresh.timer.timeout, timeout=8000):
        pass
    assert page.refreshes == before + 1
    assert hidden.refreshes == hidden_before
    window.pause_action.trigger()
    assert not window.auto_refresh_active()
    window.pause_action.trigger()
    assert window.auto_refresh_active()


def test_layout_and_choices_are_remembered(qtbot, db_url, isolated_home):
    first = build_main_window(specs=specs())
    qtbot.addWidget(first)
    first.show()
    first.show_page("logs")
    first.refresh_combo.setCurrentIndex(first.refresh_combo.findData(15))
    first.utc_action.setChecked(True)
    first.resize(900, 600)
    first.close()
    second = build_main_window(specs=specs())
    qtbot.addWidget(second)
    assert second.current_key() == "logs"
    assert second.refresh_interval() == 15
    assert second.utc_action.isChecked()
    second.utc_action.setChecked(False)
    second.close()
    assert Path(settings.settings_file()).exists()


def test_start_loads_profiles_and_connects_in_the_background(qtbot, db_url):
    win = build_main_window(url=db_url, specs=specs(), start=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    names = [win.switcher.itemData(i) for i in range(win.switcher.count())]
    assert {"local", "dev", "staging", "prod", "url"} <= set(names)
    assert win.switcher.current_name() == "url"
    win.close()


def test_database_at_an_unknown_revision_opens_read_only_with_a_clear_notice(
    qtbot, window, db_url, tmp_path
):
    conninfo = db_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("UPDATE autopr_console_version SET version_num = '9999_future'")
    connect(qtbot, window, Profile("future", environment="dev", url=db_url))
    assert window.db.read_only_reason
    assert window.banner.notice_label.isVisibleTo(window)
    assert "9999_future" in window.banner.notice_label.text()
    assert "READ-ONLY" in window.banner.detail_label.text()
    assert "read-only database" in window.banner.lock_label.text()
    window.grab().save(str(tmp_path / "read-only.png"))
    # the notice goes away with the next (normal) connection
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("UPDATE autopr_console_version SET version_num = '0003'")
    window.retry()
    qtbot.waitUntil(lambda: window.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    assert not window.banner.notice_label.isVisibleTo(window)


@pytest.mark.expects_log_warnings(r"^console\.ui\.session: lost the connection to dev-x")
def test_a_server_that_goes_away_is_noticed_and_its_return_too(qtbot, window, db_url, pg_address):
    connect(qtbot, window, Profile("dev-x", environment="dev", url=db_url))
    name = window.db.database_name
    hidden = f"{name}_away"

    def rename(old: str, new: str) -> None:
        with admin_connect(pg_address) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (old,),
            )
            conn.execute(f'ALTER DATABASE "{old}" RENAME TO "{new}"')

    rename(name, hidden)
    try:
        window.check_connection()
        qtbot.waitUntil(lambda: window.connection_lost is not None, timeout=CONNECT_TIMEOUT_MS)
        assert "Connection lost" in window.banner.notice_label.text()
        assert window.banner.notice_label.isVisibleTo(window)
        assert window.banner.retry_button.isVisibleTo(window)
        assert "connection lost" in window.conn_label.text()
    finally:
        rename(hidden, name)
    window.check_connection()
    qtbot.waitUntil(lambda: window.connection_lost is None, timeout=CONNECT_TIMEOUT_MS)
    assert not window.banner.notice_label.isVisibleTo(window)
    assert window.state == "connected"


def test_an_unlock_lapses_by_itself(qtbot, window, db_url):
    connect(qtbot, window, Profile("prod-x", environment="prod", url=db_url))
    guard = window.guard
    guard.unlock_seconds = 1.0
    dialog = window.request_unlock()
    dialog.name_edit.setText("prod-x")
    dialog.ok_button.click()
    assert guard.may_write() and "unlocked" in window.banner.lock_label.text()
    assert window.lock_action.isEnabled()
    qtbot.waitUntil(lambda: "locked (read-only)" in window.banner.lock_label.text(), timeout=5000)
    assert not guard.may_write()
    assert window.banner.unlock_button.isVisibleTo(window)
    qtbot.waitUntil(lambda: window.unlock_action.isEnabled(), timeout=5000)


def test_lock_now_locks_at_once(qtbot, window, db_url):
    connect(qtbot, window, Profile("prod-x", environment="prod", url=db_url))
    dialog = window.request_unlock()
    dialog.name_edit.setText("prod-x")
    dialog.ok_button.click()
    window.banner.lock_button.click()
    assert not window.guard.may_write()
    assert "locked (read-only)" in window.banner.lock_label.text()


def test_palette_follows_the_system_colour_scheme(qtbot, qapp):
    from PySide6.QtGui import QGuiApplication

    theme.apply_theme(qapp, "system")
    hints = QGuiApplication.styleHints()
    try:
        # what the platform theme emits when the desktop switches (offscreen has no desktop)
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert theme.is_dark()
        assert qapp.palette().window().color().lightness() < 100
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert not theme.is_dark()
        assert qapp.palette().window().color().lightness() > 200
        # a theme the operator forced wins over the system's
        theme.apply_theme(qapp, "dark")
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert theme.is_dark()
    finally:
        theme.apply_theme(qapp, "system")


def test_an_unknown_profile_on_the_command_line_connects_nowhere(qtbot):
    win = build_main_window("no-such-profile", specs=specs(), start=True)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: "no-such-profile" in win.state_panel.message.text(), timeout=30_000)
    assert win.state == "idle" and win.db is None
    assert win.switcher.count() >= 4  # the operator can still pick one
    win.close()
