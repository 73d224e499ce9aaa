"""The watches and the single-instance socket belong to the application, not its first
window: with two windows open, closing the first leaves a watch firing and an
``open`` request reaching the window that remains; closing the last ends both."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from sqlalchemy import create_engine, text

from console.links import Link, format_link, identity_of
from console.profiles import Profile
from console.ui import reach
from console.ui.main_window import build_main_window
from console.ui.notify import RecordingNotifier
from console.watches import Watch

TIMEOUT_MS = 60_000


SEND = (
    "import json, sys\n"
    "from console.ui.single_instance import send\n"
    "print(json.dumps(send(json.loads(sys.argv[1]), 20000)))\n"
)


def send_from_another_process(qtbot, request: dict[str, Any]) -> dict[str, Any] | None:
    """What a later console gets back (this process keeps answering meanwhile)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SEND, json.dumps(request)], stdout=subprocess.PIPE, text=True
    )
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=40_000)
    return json.loads(proc.communicate()[0])


def test_watches_and_open_links_outlive_the_first_window(qtbot, demo_db_url) -> None:
    profile = Profile("demo", environment="dev", url=demo_db_url)
    first = build_main_window(remember=False)
    first.build_pages()
    qtbot.addWidget(first)
    hooks = reach.install(first, single_instance=True)
    manager, server = hooks.watches, hooks.server
    assert manager is not None and server is not None and server.listening
    notices = RecordingNotifier()
    manager.notifier = notices
    manager.timer.setInterval(500)
    first.show()
    first.connect_profile(profile)
    qtbot.waitUntil(lambda: first.state == "connected", timeout=TIMEOUT_MS)

    second = first.new_window()
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: second.state == "connected", timeout=TIMEOUT_MS)
    assert second.reach.watches is manager and second.reach.server is server

    engine = create_engine(demo_db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            execution_id, row_id = conn.execute(
                text(
                    "SELECT execution_id, id::text FROM workflow_executions"
                    " WHERE status = 'completed' ORDER BY started_at DESC LIMIT 1"
                )
            ).one()
        assert manager.toggle(Watch("execution", execution_id), second)

        first.close()  # the first window goes; the application's parts stay
        assert manager.window is second and server.listening
        qtbot.waitUntil(lambda: second.db is not None and manager.timer.isActive(), timeout=5000)
        assert Watch("execution", execution_id) in manager.watches.watches

        with engine.begin() as conn:
            conn.execute(
                text("UPDATE workflow_executions SET status = 'failed' WHERE execution_id = :x"),
                {"x": execution_id},
            )
        qtbot.waitUntil(
            lambda: any(execution_id in n.title for n in notices.notices), timeout=TIMEOUT_MS
        )
    finally:
        engine.dispose()

    link = format_link(Link("demo", "execution", execution_id, (), *_where(profile)))
    answer = send_from_another_process(qtbot, {"open": link})
    assert answer is not None and answer["ok"], answer
    page = second.pages["executions"]
    qtbot.waitUntil(lambda: page.selected_ids() == [row_id], timeout=TIMEOUT_MS)
    assert second.current_key() == "executions"

    second.close()  # the last window: the socket and the watches end with it
    assert not server.listening and not manager.timer.isActive()
    assert send_from_another_process(qtbot, {"state": True}) is None


def _where(profile: Profile) -> tuple[str, str]:
    ident = identity_of(profile)
    return ident.host, ident.dbname
