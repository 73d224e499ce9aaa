"""The window with the real pages: demo data, a profile switch, the embedded local profile."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from console.profiles import Profile, default_profiles
from console.ui.main_window import MainWindow, build_main_window
from console.ui.pages import page_specs
from tests.helpers.databases import create_database, drop_database

CONNECT_TIMEOUT_MS = 60_000


def settle(qtbot, win: MainWindow) -> None:
    qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=CONNECT_TIMEOUT_MS)


@pytest.fixture
def demo_copy_url(pg_address, demo_template) -> Iterator[str]:
    name = f"t_demo2_{uuid.uuid4().hex[:10]}"
    create_database(pg_address, name, template=demo_template)
    yield pg_address.url(name)
    drop_database(pg_address, name)


def test_real_pages_follow_a_profile_switch(qtbot, demo_db_url, demo_copy_url, tmp_path):
    win = build_main_window()
    win.build_pages()
    qtbot.addWidget(win)
    win.resize(1200, 760)
    win.show()
    assert [spec.key for spec in win.specs] == [spec.key for spec in page_specs()]
    win.connect_profile(Profile("demo-a", environment="dev", url=demo_db_url))
    qtbot.waitUntil(lambda: win.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    for spec in win.specs:  # every page shows and refreshes without raising
        win.show_page(spec.key)
        win.refresh_current()
        settle(qtbot, win)
    first = win.db
    win.connect_profile(Profile("demo-b", environment="staging", url=demo_copy_url))
    qtbot.waitUntil(lambda: win.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    settle(qtbot, win)
    assert win.db is not first and win.db.profile.name == "demo-b"
    qtbot.waitUntil(lambda: first.closed, timeout=CONNECT_TIMEOUT_MS)
    win.grab().save(str(tmp_path / "switched.png"))
    win.close()


def test_local_embedded_profile_stops_its_server_when_the_window_closes(qtbot, tmp_path):
    win = build_main_window(specs=[])
    qtbot.addWidget(win)
    win.show()
    win.connect_profile(default_profiles()["local"])
    qtbot.waitUntil(lambda: win.state in ("connected", "failed"), timeout=120_000)
    assert win.state == "connected", win.failure
    server = win.db.embedded
    assert server is not None and server.is_running()
    assert win.banner.env_label.text() == "LOCAL"
    win.grab().save(str(tmp_path / "local.png"))
    win.close()
    assert not server.is_running()


def test_the_app_closes_cleanly_on_sigterm(db_url, isolated_home):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(repo))
    proc = subprocess.Popen(
        [sys.executable, "-m", "console", "--url", db_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log_file = isolated_home / "log" / "console.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if log_file.exists() and "connected to profile url" in log_file.read_text():
            break
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    ini = (isolated_home / "config" / "console.ini").read_text()
    assert "geometry" in ini  # the window closed through closeEvent and saved its layout


def test_page_filters_show_in_the_window_title_and_esc_clears_them(qtbot, demo_db_url):
    win = build_main_window()
    win.build_pages()
    qtbot.addWidget(win)
    win.show()
    win.connect_profile(Profile("demo-a", environment="dev", url=demo_db_url))
    qtbot.waitUntil(lambda: win.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    win.open_page("executions", {"status": ["failed"], "time_range": "24h"})
    settle(qtbot, win)
    title = win.windowTitle()
    assert title.startswith("Executions — ") and "failed" in title and "24 h" in title
    win.pages["executions"].clear_filters()
    qtbot.waitUntil(lambda: "failed" not in win.windowTitle(), timeout=CONNECT_TIMEOUT_MS)
    win.close()
