"""The background task runner against the real server: what runs, what is skipped, who hears.

Executions are counted on the server (a marker table each task writes to), so
"skipped" means no SQL was sent, not merely that an answer was ignored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
import shiboken6
from PySide6.QtWidgets import QWidget
from sqlalchemy import Engine, text

from console.profiles import Profile
from console.ui.main_window import MainWindow, build_main_window
from console.ui.tasks import TaskRunner


@pytest.fixture
def marked(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE task_marker (name text, at timestamptz DEFAULT now())"))
    return engine


def marker(engine: Engine, name: str, sleep_s: float = 0.0) -> Callable[[], str]:
    """A task that records ``name`` on the server (then sleeps there) and returns it."""

    def work() -> str:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO task_marker (name) VALUES (:n)"), {"n": name})
        if sleep_s:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_sleep(:s)"), {"s": sleep_s})
        return name

    return work


def executed(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT name FROM task_marker ORDER BY at, name"))]


@pytest.fixture
def owner(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def runner(qtbot) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.wait_idle()


def test_results_arrive_on_gui_thread(qtbot, runner, owner):
    seen = []
    main = threading.get_ident()
    runner.submit(
        threading.get_ident, lambda tid: seen.append((tid, threading.get_ident())), owner=owner
    )
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    worker_tid, delivered_tid = seen[0]
    assert worker_tid != main and delivered_tid == main


def test_stale_answers_under_same_key_are_dropped(qtbot, runner, owner):
    got = []
    runner.submit(lambda: (time.sleep(0.3), "old")[1], got.append, owner=owner, key="filter")
    runner.submit(lambda: "new", got.append, owner=owner, key="filter")
    qtbot.waitUntil(lambda: runner.in_flight() == 0, timeout=5000)
    assert got == ["new"]


def test_errors_go_to_on_error(qtbot, runner, owner):
    errors = []

    def boom():
        raise ValueError("bad")

    runner.submit(boom, on_error=errors.append, owner=owner)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], ValueError)


def test_superseded_tasks_are_skipped_before_they_run(qtbot, marked, owner):
    runner = TaskRunner(max_threads=1)
    got: list[str] = []
    runner.submit(marker(marked, "running", 0.5), got.append, owner=owner, key="page")
    qtbot.waitUntil(lambda: executed(marked) == ["running"], timeout=10_000)
    for n in range(20):  # typed while the first read runs: each supersedes the one before
        runner.submit(marker(marked, f"typed-{n}"), got.append, owner=owner, key="page")
    assert runner.in_flight() == 2  # the running read and one waiting slot, not 21
    runner.submit(marker(marked, "invalidated"), got.append, owner=owner, key="other")
    runner.invalidate("other")
    qtbot.waitUntil(lambda: runner.in_flight() == 0, timeout=10_000)
    runner.wait_idle()
    assert executed(marked) == ["running", "typed-19"]
    assert got == ["typed-19"]
    assert (runner.executed, runner.skipped) == (2, 20)
    print(f"21 submits under one key + 1 invalidated: server saw {executed(marked)}")


def test_ping_lane_answers_while_the_query_lane_is_busy(qtbot, runner, marked, owner):
    for n in range(4):  # every query thread busy with a slow statement
        runner.submit(marker(marked, f"slow-{n}", 3), owner=owner, key=f"slow-{n}")
    qtbot.waitUntil(lambda: len(executed(marked)) == 4, timeout=10_000)
    stale = runner.submit(marker(marked, "stale"), owner=owner, key="page")
    answered: list[str] = []
    runner.submit(marker(marked, "ping"), answered.append, owner=owner, key="ping", lane="ping")
    qtbot.waitUntil(lambda: bool(answered), timeout=10_000)
    assert answered == ["ping"]
    assert executed(marked)[-1] == "ping"  # the waiting query has still not run
    assert runner.in_flight() == 5  # four sleepers and the waiting query
    print(f"ping answered with {runner.in_flight()} queries in flight (ticket {stale} waiting)")


def test_callbacks_dropped_once_the_owner_is_deleted(qtbot, runner, marked):
    calls: list[str] = []
    running, waiting, write = QWidget(), QWidget(), QWidget()
    blocker = TaskRunner(max_threads=1)
    runner.submit(marker(marked, "running", 0.5), calls.append, calls.append, owner=running)
    qtbot.waitUntil(lambda: executed(marked) == ["running"], timeout=10_000)
    # one query thread: the next two wait behind the blocker
    blocker.submit(marker(marked, "blocker", 0.5), owner=running)
    qtbot.waitUntil(lambda: "blocker" in executed(marked), timeout=10_000)
    blocker.submit(marker(marked, "read"), calls.append, owner=waiting, key="read")
    blocker.submit(marker(marked, "write"), calls.append, owner=write)  # keyless: a write
    for widget in (running, waiting, write):
        shiboken6.delete(widget)
    qtbot.waitUntil(lambda: runner.in_flight() == 0 and blocker.in_flight() == 0, timeout=10_000)
    blocker.wait_idle()
    assert calls == []  # no callback of a deleted owner ran
    assert sorted(executed(marked)) == ["blocker", "running", "write"]  # the read never ran
    assert blocker.skipped == 1
    print(f"owners deleted: server saw {executed(marked)}, callbacks run: {calls}")


def test_busy_follows_an_owner_and_its_children(qtbot, runner, marked, owner):
    child = QWidget(owner)
    other = QWidget()
    qtbot.addWidget(other)
    runner.submit(marker(marked, "child", 0.3), owner=child, key="child")
    assert runner.busy(owner) and runner.busy(child) and not runner.busy(other)
    qtbot.waitUntil(lambda: runner.in_flight() == 0, timeout=10_000)
    assert not runner.busy(owner)


# ------------------------------------------------------------------ in the window


@pytest.fixture
def window(qtbot, demo_db_url) -> Iterator[MainWindow]:
    win = build_main_window()
    win.build_pages()
    qtbot.addWidget(win)
    win.show()
    win.connect_profile(Profile("slow-server", environment="dev", url=demo_db_url))
    qtbot.waitUntil(lambda: win.state == "connected", timeout=60_000)
    assert win.show_page("workflows")
    page = win.current_page()
    qtbot.waitUntil(lambda: win.runner.in_flight() == 0 and bool(page.model.rows), timeout=60_000)
    yield win
    win.close()


def _waiting_on_lock(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            " AND query LIKE 'SELECT w.id AS id%'"  # the page's own read (other pages load too)
        ).fetchone()[0]


@pytest.mark.expects_log_warnings(
    r"^console\.ui\.tables\.controller: table query failed \(workflows\): .*lock timeout"
)
def test_auto_refresh_never_queues_a_load_behind_its_own(qtbot, window):
    """A lock makes every read of the page slow; ticks keep coming every 250 ms."""
    conninfo = window.db.conninfo()
    page = window.current_page()
    rows = [r.id for r in page.model.rows]
    with psycopg.connect(conninfo) as locker:
        locker.execute("LOCK TABLE workflows IN ACCESS EXCLUSIVE MODE")
        peak_server = peak_queue = 0
        for _ in range(12):
            window.auto_refresh.timer.timeout.emit()  # an auto-refresh tick
            qtbot.wait(250)
            peak_server = max(peak_server, _waiting_on_lock(conninfo))
            peak_queue = max(peak_queue, window.runner.in_flight(page))
        locker.rollback()

    def fresh_or_tick() -> bool:  # the page recovers at the next ticks
        if not window.runner.busy(page) and [r.id for r in page.model.rows] == rows:
            return True
        window.auto_refresh.timer.timeout.emit()
        return False

    qtbot.waitUntil(fresh_or_tick, timeout=10_000)
    assert (peak_server, peak_queue) == (1, 1)
    print(f"12 ticks over a 3 s blocked read: at most {peak_server} read on the server")


def test_ping_answered_while_every_query_thread_is_busy(qtbot, window):
    db = window.db
    conninfo = db.conninfo()

    def slow() -> None:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(5)"))

    cancelled: list[BaseException] = []
    for n in range(4):
        window.runner.submit(slow, None, cancelled.append, owner=window, key=f"slow-{n}")
    window.refresh_current()  # a page read waiting behind them
    qtbot.waitUntil(lambda: _sleepers(conninfo) == 4, timeout=10_000)
    window.session.connection_lost = "pretend the last ping failed"
    window.check_connection()
    qtbot.waitUntil(lambda: window.connection_lost is None, timeout=4_000)
    assert _sleepers(conninfo) == 4  # answered while the slow queries still run
    print(f"ping answered with {window.runner.in_flight()} tasks in flight in the query lane")
    window.cancel_queries()
    qtbot.waitUntil(lambda: len(cancelled) == 4, timeout=10_000)  # the sleeps end, cancelled


def _sleepers(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(%'"
        ).fetchone()[0]


def test_every_background_submit_names_its_owner():
    """Every submit in console/ui (26 today) names its owner: a new one without fails here."""
    import ast
    from pathlib import Path

    calls = []
    for path in sorted(Path("console/ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "submit":
                calls.append((f"{path}:{node.lineno}", {k.arg for k in node.keywords}))
    missing = [where for where, keywords in calls if "owner" not in keywords]
    assert len(calls) >= 24 and missing == [], missing
    print(f"{len(calls)} submits in console/ui, all with an owner")
