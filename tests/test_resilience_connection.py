"""The server goes away while the window is open, and comes back (issue 7, item 1).

The test runs its own embedded server (stopping the shared session server
would break every other test): the window shows the executions page with a
filter and a selected row; the server stops; the window keeps turning, the
banner says the connection is lost and the retries back off; the server
starts again and the page resumes by itself with the same filter and
selection, without a restart of the window.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from console.db.embedded import EmbeddedServer
from console.db.engine import make_engine
from console.profiles import Profile
from console.ui import main_window as mw
from console.ui.main_window import build_main_window
from tests.helpers.seeding import seed_engine

WAIT_MS = 60_000


@pytest.fixture
def server() -> Iterator[tuple[EmbeddedServer, str]]:
    home = Path(tempfile.mkdtemp(prefix="autopr-lost-"))  # outside basetemp (see test_embedded)
    srv = EmbeddedServer(home / "embedded")
    address = srv.start()
    srv.ensure_database("lost")
    yield srv, address.url("lost")
    EmbeddedServer(home / "embedded").stop(force=True)
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.expects_log_warnings(
    r"^console\.ui\.session: lost the connection to lost-dev",
    r"^console\.ui\.tables\.controller: table query failed \(",
)
def test_the_window_survives_the_server_going_away_and_resumes(qtbot, server, tmp_path) -> None:
    srv, url = server
    win = build_main_window()
    win.build_pages()
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    win.connect_profile(Profile("lost-dev", environment="dev", url=url))
    qtbot.waitUntil(lambda: win.state == "connected", timeout=WAIT_MS)
    engine = make_engine(url)
    try:
        seed_engine(engine)
    finally:
        engine.dispose()

    win.show_page("executions")
    page = win.pages["executions"]
    page.apply_filters({"status": ["failed"]})
    qtbot.waitUntil(lambda: len(page.model.rows) > 3, timeout=WAIT_MS)
    page.view.selectRow(2)
    page.open_details()  # the pane shows only once a row is opened (Enter)
    qtbot.waitUntil(lambda: page.detail.stack.currentWidget() is page.detail.body, timeout=WAIT_MS)
    chosen = page.selected_ids()
    assert len(chosen) == 1
    shown = [r.id for r in page.model.rows]

    beats = [0]
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: beats.__setitem__(0, beats[0] + 1))
    heartbeat.start(20)

    srv.stop(force=True)
    win.check_connection()
    qtbot.waitUntil(lambda: win.connection_lost is not None, timeout=WAIT_MS)
    assert "Connection lost" in win.banner.notice_label.text()
    assert win.banner.retry_button.isVisibleTo(win)
    assert win.retry_ms == mw.RETRY_FIRST_MS
    # The operator presses F5 meanwhile: a message, not a crash; the filter stays.
    win.refresh_current()
    qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=WAIT_MS)
    # Retries run by themselves and back off: 1 s, then 2 s, then 4 s.
    qtbot.waitUntil(lambda: win.retry_ms >= 4 * mw.RETRY_FIRST_MS, timeout=WAIT_MS)
    assert "next try in 4 s" in win.banner.notice_label.text()
    before = beats[0]
    qtbot.waitUntil(lambda: beats[0] >= before + 5, timeout=5_000)  # the loop kept turning
    win.grab().save(str(tmp_path / "resilience-lost.png"))
    assert page.detail.stack.currentWidget() is not page.detail.body  # it says why instead

    srv.start()
    qtbot.waitUntil(lambda: win.connection_lost is None, timeout=WAIT_MS)  # no click needed
    heartbeat.stop()
    assert not win.banner.notice_label.isVisibleTo(win)
    assert win.state == "connected"
    qtbot.waitUntil(lambda: [r.id for r in page.model.rows] == shown, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.selected_ids() == chosen, timeout=WAIT_MS)
    assert page.current_filters()["status"] == ["failed"]
    # The selected row's details are read again (the pane said the connection was lost).
    qtbot.waitUntil(lambda: page.detail.stack.currentWidget() is page.detail.body, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=WAIT_MS)
    win.grab().save(str(tmp_path / "resilience-back.png"))
    win.close()
