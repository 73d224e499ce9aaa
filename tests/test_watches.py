"""Watches: one statement for all of them, notices for the demo simulator's failures.

The test machine has no desktop session (no session bus, no notification
service, no tray), so the window's notices go to the RecordingNotifier, which
stands behind the same ``Notifier`` interface as the D-Bus and tray notifiers; a
click runs the same action a click on the real notice runs.  The D-Bus path
itself is tested against a real bus in test_notify_dbus.py.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from console.actions.guard import WriteGuard
from console.db.urls import libpq_conninfo, normalize_url
from console.demo.simulator import DemoSimulator, SimulatorSettings
from console.profiles import Profile
from console.queries.watches import evaluate
from console.ui import reach
from console.ui.main_window import build_main_window
from console.ui.notify import RecordingNotifier
from console.ui.watch_manager import WatchManager, load_watches
from console.watches import Thresholds, Watch, WatchList

CONNECT_TIMEOUT_MS = 60_000
FAST = SimulatorSettings(
    tick_s=0.05,
    max_concurrent=4,
    lines_per_second=10,
    min_duration_s=0.3,
    max_duration_s=0.8,
    pending_s=0.1,
    retry_probability=0.0,
    health_every_s=5,
    event_every_s=5,
    seed=5,
)


@pytest.fixture
def demo_engine(demo_db_url):
    eng = create_engine(demo_db_url)
    yield eng
    eng.dispose()


def test_one_statement_answers_a_hundred_watches(demo_engine, capsys) -> None:
    with demo_engine.connect() as conn:
        failed = list(
            conn.execute(
                text(
                    "SELECT execution_id FROM workflow_executions WHERE status = 'failed' LIMIT 30"
                )
            ).scalars()
        )
        fine = list(
            conn.execute(
                text(
                    "SELECT execution_id FROM workflow_executions WHERE status = 'completed'"
                    " LIMIT 40"
                )
            ).scalars()
        )
        workflows = list(conn.execute(text("SELECT name FROM workflows LIMIT 20")).scalars())
        integrations = list(conn.execute(text("SELECT name FROM integrations LIMIT 9")).scalars())
        watches = WatchList(thresholds=Thresholds(failure_rate=0.0, min_runs=1, window_s=10**8))
        for kind, names in (
            ("execution", failed + fine),
            ("workflow", workflows),
            ("integration", integrations),
        ):
            for name in names:
                watches.add(Watch(kind, name))
        watches.add(Watch("queue"))
        assert len(watches.watches) >= 80
        conn.execute(text("SELECT 1"))
        statements = []
        from sqlalchemy import event

        def count(*_args) -> None:
            statements.append(1)

        event.listen(conn, "before_cursor_execute", count)
        start = time.perf_counter()
        problems = evaluate(conn, watches, "demo")
        ms = (time.perf_counter() - start) * 1000
        event.remove(conn, "before_cursor_execute", count)
        assert len(statements) == 1  # one statement for every watch
        got = {p.watch.target for p in problems if p.watch.kind == "execution"}
        assert got == set(failed)  # the failed ones, none of the completed ones
        # With a failure rate of 0 and one run enough, each workflow with finished runs counts.
        expected = set(
            conn.execute(
                text(
                    "SELECT DISTINCT w.name FROM workflows w JOIN workflow_executions e"
                    " ON e.workflow_id = w.id WHERE w.name = ANY(:n)"
                    " AND e.status IN ('completed', 'failed', 'timeout', 'cancelled')"
                ),
                {"n": workflows},
            ).scalars()
        )
        rate = {p.watch.target for p in problems if p.key.endswith(":rate")}
        assert rate == expected
    with capsys.disabled():
        print(f"\n{len(watches.watches)} watches: one statement, {ms:.1f} ms (demo data)")


def test_a_watched_execution_failing_in_the_simulator_notifies_and_opens(
    qtbot, demo_db_url, demo_engine
) -> None:
    win = build_main_window(remember=False)
    hooks = reach.install(win, watches=False)
    notices = RecordingNotifier()
    manager = hooks.watches = WatchManager(win, hooks.opener, notices, interval_s=1)
    win.build_pages()
    qtbot.addWidget(win)
    win.show()
    win.connect_profile(Profile("demo", environment="dev", url=demo_db_url))
    qtbot.waitUntil(lambda: win.state == "connected", timeout=CONNECT_TIMEOUT_MS)

    # The context menu watches the current row, and then offers to stop.
    win.open_page("executions", {})
    page = win.pages["executions"]
    qtbot.waitUntil(lambda: bool(page.model.rows), timeout=CONNECT_TIMEOUT_MS)
    page.view.selectRow(page.model.start)
    page.view.setCurrentIndex(page.model.index(page.model.start, 0))
    first = page.model.rows[0].raw["execution_id"]
    menu = page.build_context_menu()
    watch_action = next(a for a in menu.actions() if a.objectName() == "watchAction")
    assert watch_action.text() == "Watch this execution"
    watch_action.trigger()
    assert Watch("execution", first) in manager.watches.watches
    menu = page.build_context_menu()
    texts = [a.text() for a in menu.actions()]
    assert "Stop watching this execution" in texts and "Copy link" in texts
    manager.toggle(Watch("execution", first))  # off again: the simulator's runs are watched

    sim = DemoSimulator(
        libpq_conninfo(normalize_url(demo_db_url)), FAST, guard=WriteGuard("dev", "dev")
    )
    sim.start()
    watched: set[str] = set()
    try:

        def watch_new_runs() -> bool:
            with demo_engine.connect() as conn:
                ids = conn.execute(
                    text(
                        "SELECT execution_id FROM workflow_executions"
                        " WHERE trigger_data->>'simulator_run' = :r"
                    ),
                    {"r": sim.run_id},
                ).scalars()
                for execution_id in ids:
                    if execution_id not in watched:
                        watched.add(execution_id)
                        manager.toggle(Watch("execution", execution_id))
            return any(" failed" in n.title or " timeout" in n.title for n in notices.notices)

        qtbot.waitUntil(watch_new_runs, timeout=60_000)
    finally:
        sim.stop()
    notice = next(n for n in notices.notices if " failed" in n.title or " timeout" in n.title)
    execution_id = notice.title.split()[1]
    assert execution_id in watched and "on demo" in notice.body
    with demo_engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM workflow_executions WHERE execution_id = :x"),
            {"x": execution_id},
        ).scalar()
    assert status in ("failed", "timeout") and status in notice.title
    assert str(len(manager.problems)) in manager.tray.toolTip()

    # The next round does not notify the same problem again.
    before = len(notices.notices)
    rounds = manager.rounds
    manager.check()
    qtbot.waitUntil(lambda: manager.rounds > rounds, timeout=10_000)
    assert len(notices.notices) == before

    # A click on the notice opens the execution's row.
    notices.click(notice)
    page = win.pages["executions"]

    def shows_it() -> bool:
        row = page.model.row_at(page.view.currentIndex().row())
        return row is not None and row.raw["execution_id"] == execution_id

    qtbot.waitUntil(shows_it, timeout=CONNECT_TIMEOUT_MS)
    assert page.selected_ids() == [page.model.row_at(page.view.currentIndex().row()).id]

    # The watches are the profile's and survive a restart.
    assert set(load_watches("demo").targets("execution")) == watched
    win.close()
