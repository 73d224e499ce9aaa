"""Links end to end: copy in one console, open in a second console process the test starts.

The second console is started by ``autopr-console open LINK`` (no console runs for
the test's home, so it starts one); every later ``open`` is handed to it over the
per-user local socket and exits at once.  The test asks that console over the same
socket what it shows (profile, page, selected row, write lock).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication

from console.links import Link, format_link, parse_link
from console.profiles import Profile, ProfileStore
from console.ui import reach
from console.ui.main_window import build_main_window
from console.ui.single_instance import send
from tests.helpers.databases import create_database, drop_database

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 60
CONNECT_TIMEOUT_MS = 60_000


@pytest.fixture
def vault_url(pg_address, demo_template) -> Iterator[str]:
    """A second copy of the demo data, declared prod."""
    name = f"t_vault_{uuid.uuid4().hex[:10]}"
    create_database(pg_address, name, template=demo_template)
    yield pg_address.url(name)
    drop_database(pg_address, name)


def run_open(link: str, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "console", "open", link],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_console(link: str) -> subprocess.Popen:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-m", "console", "open", link],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_state(proc: subprocess.Popen | None, until, what: str) -> dict:
    deadline = time.monotonic() + TIMEOUT_S
    state: dict | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the console exited: {proc.communicate()}")
        state = send({"state": True}, 2000)
        if state is not None and until(state):
            return state
        time.sleep(0.2)
    raise AssertionError(f"never {what}; last state: {state}")


def copy_links(qtbot, url: str) -> dict[str, tuple[str, str]]:
    """Kind -> (link copied from the first row of its page, that row's id)."""
    win = build_main_window(remember=False)
    reach.install(win)
    win.build_pages()
    qtbot.addWidget(win)
    win.show()
    win.connect_profile(Profile("demo", environment="dev", url=url))
    qtbot.waitUntil(lambda: win.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    out: dict[str, tuple[str, str]] = {}
    for page_key, kind in (
        ("executions", "execution"),
        ("workflows", "workflow"),
        ("integrations", "integration"),
        ("events", "event"),
        ("logs", "logs"),
    ):
        win.open_page(page_key, {})
        page = win.pages[page_key]
        qtbot.waitUntil(lambda p=page: bool(p.model.rows), timeout=CONNECT_TIMEOUT_MS)
        row = page.model.rows[min(3, len(page.model.rows) - 1)]  # not just the first row
        page.view.selectRow(page.model.view_row_of(row.id))
        page.view.setFocus()
        QGuiApplication.clipboard().clear()
        qtbot.keyClick(page.view, "C", modifier=ctrl_shift())
        link = QGuiApplication.clipboard().text()
        assert parse_link(link).kind == kind, link
        out[kind] = (link, row.id)
    # The detail pane's button copies the link of the row it shows.
    page = win.pages["executions"]
    win.show_page("executions")
    page.open_details(page.model.index(page.model.view_row_of(page.model.rows[0].id), 0))
    qtbot.waitUntil(lambda: page.detail.stack.currentWidget() is page.detail.body, timeout=10_000)
    page.detail.link_button.click()
    pane_link = parse_link(QGuiApplication.clipboard().text())
    assert pane_link.target == page.model.rows[0].raw["execution_id"]
    win.close()
    return out


def ctrl_shift():
    from PySide6.QtCore import Qt

    return Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_links_round_trip_in_a_second_console_and_prod_opens_locked(
    qtbot, demo_db_url, vault_url
) -> None:
    store = ProfileStore()
    store.save(Profile("demo", environment="dev", url=demo_db_url))
    store.save(Profile("vault", environment="prod", url=vault_url))
    links = copy_links(qtbot, demo_db_url)
    kinds = list(links)
    first_link, first_id = links[kinds[0]]
    assert send({"state": True}, 500) is None  # no console runs for this home yet
    proc = start_console(first_link)
    try:
        state = wait_state(proc, lambda s: first_id in (s.get("selected") or []), "selected")
        assert state["profile"] == "demo" and state["page"] == "executions"
        assert state["detail"] == first_id
        for kind in kinds[1:]:
            link, row_id = links[kind]
            done = run_open(link)  # handed to the running console
            assert done.returncode == 0, done.stderr
            page = {"logs": "logs"}.get(kind, f"{kind}s")
            state = wait_state(
                proc,
                lambda s, r=row_id, p=page: s.get("page") == p and r in (s.get("selected") or []),
                f"selected the {kind}",
            )
            assert state["link"]["status"] == "opened"

        # The same execution on the prod profile: switched, shown, and writes locked.
        prod = parse_link(first_link)
        prod_link = format_link(Link("vault", "execution", prod.target))
        assert run_open(prod_link).returncode == 0
        state = wait_state(
            proc,
            lambda s: s.get("profile") == "vault" and bool(s.get("selected")),
            "opened on vault",
        )
        assert state["environment"] == "prod" and state["locked"] is True
        assert state["banner"] == "PROD"  # the banner of a manual switch to prod

        # A colleague's profile name: matched by database name.
        dbname = vault_url.rsplit("/", 1)[-1].split("?")[0]
        other = format_link(Link("their-prod", "execution", prod.target, dbname=dbname))
        assert run_open(other).returncode == 0
        wait_state(proc, lambda s: s["link"].get("status") == "opened", "opened by db name")

        # An unknown profile and a missing row: a message, the page stays.
        bad = run_open("autopr://nowhere/execution/exec-1")
        assert bad.returncode == 1 and "no profile named nowhere" in bad.stderr
        missing = run_open(format_link(Link("vault", "execution", "exec-does-not-exist")))
        assert missing.returncode == 0
        state = wait_state(proc, lambda s: s["link"].get("status") == "missing", "missing")
        assert "No execution exec-does-not-exist on vault" in state["link"]["message"]
        assert state["page"] == "executions"
    finally:
        proc.terminate()
        proc.communicate(timeout=60)
