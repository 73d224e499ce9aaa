"""File > New window: two windows on two databases, each with its own rows, banner,
task runner, connection and write lock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from console.profiles import Profile
from console.ui import main_window
from console.ui.main_window import MainWindow, build_main_window
from tests.helpers.databases import create_database, drop_database

TIMEOUT = 60_000


@pytest.fixture
def other_demo_url(pg_address, demo_template) -> Iterator[str]:
    """A second database: a copy of the demo data with its workflows renamed."""
    import psycopg

    name = f"w2_{uuid.uuid4().hex[:12]}"
    create_database(pg_address, name, template=demo_template)
    url = pg_address.url(name)
    with psycopg.connect(pg_address.conninfo(name), autocommit=True) as conn:
        conn.execute("UPDATE workflows SET name = 'other-' || name")
    yield url
    drop_database(pg_address, name)


def rows_of(win: MainWindow, key: str) -> list:
    return [r.raw for r in win.pages[key].model.rows]


def banner(win: MainWindow) -> str:
    b = win.banner
    return " ".join(w.text() for w in (b.env_label, b.title_label, b.detail_label))


def settle(qtbot, win: MainWindow) -> None:
    qtbot.waitUntil(lambda: win.state == "connected", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: bool(win.pages["workflows"].model.rows), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: win.runner.in_flight() == 0, timeout=TIMEOUT)


def test_new_window_on_another_database_keeps_its_own_rows_banner_and_lock(
    qtbot, demo_db_url, other_demo_url
) -> None:
    first = build_main_window(remember=False)
    qtbot.addWidget(first)
    first.build_pages()
    first.show()
    first.show_page("workflows")
    first.connect_profile(Profile("first", environment="prod", url=demo_db_url))
    settle(qtbot, first)
    # Ctrl+Shift+N opens a window on the same profile
    qtbot.keyClick(
        first, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert len(main_window.other_windows()) == 1
    second = main_window.other_windows()[0]
    qtbot.addWidget(second)
    second.show_page("workflows")
    settle(qtbot, second)
    assert second.db is not first.db and second.db.profile.name == "first"
    # ...which then switches to another database: the first window is not touched
    second.connect_profile(Profile("second", environment="prod", url=other_demo_url))
    settle(qtbot, second)
    names_1 = {r["name"] for r in rows_of(first, "workflows")}
    names_2 = {r["name"] for r in rows_of(second, "workflows")}
    assert names_1 and all(not n.startswith("other-") for n in names_1)
    assert names_2 and all(n.startswith("other-") for n in names_2)
    assert first.db.profile.name == "first" and second.db.profile.name == "second"
    assert "first" in banner(first) and first.db.database_name in banner(first)
    assert "second" in banner(second) and second.db.database_name in banner(second)
    assert first.db.database_name != second.db.database_name
    assert first.runner is not second.runner and first.guard is not second.guard
    assert first.pages["workflows"].controller is not second.pages["workflows"].controller
    # the write lock is per window: unlocking prod in the second does not unlock the first
    assert second.guard.unlock("second")
    assert second.guard.may_write() and not first.guard.may_write()
    # closing the second window leaves the first connected and reading
    second.close()
    qtbot.waitUntil(lambda: not main_window.other_windows(), timeout=TIMEOUT)
    first.refresh_current()
    qtbot.waitUntil(lambda: first.runner.in_flight() == 0, timeout=TIMEOUT)
    assert first.state == "connected" and rows_of(first, "workflows")
    first.close()
