"""The Live tail page and its model: real widgets, a real server, real writer processes."""

from __future__ import annotations

import dataclasses
import gc
import json
import multiprocessing
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy.engine import make_url

from console.db.connection import Database, open_database
from console.db.urls import libpq_conninfo
from console.profiles import profile_from_url
from console.tail.lines import TailLine
from console.ui.pages import PageContext
from console.ui.tail.delegate import match_spans
from console.ui.tail.model import (
    COL_EXECUTION,
    COL_MESSAGE,
    R_ID,
    R_MESSAGE,
    TailTableModel,
    make_row,
)
from console.ui.tail.page import TailPage
from console.ui.tail.session import MAX_PER_FRAME
from console.ui.tasks import TaskRunner
from tests.helpers.loadgen import WriterPlan, insert_history, insert_line, make_execution
from tests.helpers.loadgen import run_writer as write

WAIT = 60_000


def line(i: int, level: str = "INFO", message: str | None = None) -> TailLine:
    return TailLine(
        id=uuid.uuid4(),
        execution_id=uuid.UUID(int=1),
        execution_code="exec-x",
        created_at=datetime(2026, 11, 25, tzinfo=UTC) + timedelta(milliseconds=i),
        level=level,
        message=message or f"line {i}",
        step_name="build",
        action_id=None,
        log_metadata=None,
    )


# -------------------------------------------------------------------------- model


def test_model_stays_bounded_and_keeps_the_newest(qtbot):
    model = TailTableModel(capacity=1000)
    for batch in range(40):
        model.append_rows([make_row(line(batch * 250 + i)) for i in range(250)])
        assert model.total() <= model.capacity + model.slack()
        assert model.rowCount() == model.total()
    model.trim()
    assert model.total() == 1000
    held = [r[R_MESSAGE] for r in model.rows()]
    assert held[-1] == "line 9999" and held[0] == "line 9000"
    assert model.index(999, COL_MESSAGE).data() == "line 9999"


def test_held_rows_are_not_walked_by_the_cyclic_collector(qtbot):
    """100,000 held rows must not make each full collection (on the GUI thread) longer."""
    model = TailTableModel(capacity=1000)
    model.append_rows([make_row(line(i, message=f"line {i}\nmore")) for i in range(1000)])
    gc.collect()
    held = model.packed_rows()
    assert len(held) == 1000 and not any(gc.is_tracked(r) for r in held)


def test_a_held_line_keeps_neither_its_level_name_nor_its_execution_label(monkeypatch):
    """The five levels are named by rank and the label is looked up by execution id, so a
    plain line holds its header, step and message only; other levels keep their text, and
    an execution whose label was forgotten shows its id's first characters, never another
    execution's label."""
    from console.ui.tail import model as tail_model
    from console.ui.tail.model import R_EXECUTION, R_LEVEL, R_STEP, unpack

    plain = line(1)
    packed = make_row(plain)
    assert len(packed) == tail_model._HEAD.size + len(b"build") + len(plain.message.encode())
    row = unpack(packed)
    assert (row[R_LEVEL], row[R_EXECUTION], row[R_STEP], row[R_MESSAGE]) == (
        "INFO",
        "exec-x",
        "build",
        "line 1",
    )
    odd = unpack(make_row(line(2, level="NOTICE")))
    assert odd[R_LEVEL] == "NOTICE"

    monkeypatch.setattr(tail_model, "_LABELS", {})
    monkeypatch.setattr(tail_model, "_MAX_LABELS", 2)
    rows = []
    for n in range(1, 4):
        execution = uuid.UUID(int=1000 + n)
        made = dataclasses.replace(plain, execution_id=execution, execution_code=f"exec-{n}")
        rows.append(make_row(made))
    labels = [unpack(r)[R_EXECUTION] for r in rows]
    assert labels == [str(uuid.UUID(int=1001))[:8], "exec-2", "exec-3"]


def test_model_filters_by_level_and_text_and_trims_consistently(qtbot):
    model = TailTableModel(capacity=100)
    levels = ["DEBUG", "INFO", "WARNING", "ERROR"]
    model.append_rows([make_row(line(i, levels[i % 4])) for i in range(100)])
    model.set_filter("WARNING", "")
    assert model.rowCount() == 50
    model.set_filter("ERROR", "line 9")
    assert [model.row_at(i)[R_MESSAGE] for i in range(model.rowCount())] == [
        "line 91",  # ERROR rows are 3, 7, 11, ...; those with "line 9" in them: 91, 95, 99, 99x
        "line 95",
        "line 99",
    ]
    model.append_rows([make_row(line(100 + i, "ERROR", f"line 9{i}x")) for i in range(10)])
    model.trim()
    assert model.total() == 100
    assert all(model.row_at(i) in model.rows() for i in range(model.rowCount()))
    assert model.rowCount() == 3 + 10


def test_model_multiline_messages_wrap_and_page_older(qtbot):
    model = TailTableModel(capacity=10)
    model.append_rows([make_row(line(5, message="first\nsecond"))])
    idx = model.index(0, COL_MESSAGE)
    assert idx.data() == "first ⏎…"
    model.set_wrap(True)
    assert idx.data() == "first\nsecond"
    model.prepend_rows([make_row(line(1)), make_row(line(2))])
    assert [model.row_at(i)[R_MESSAGE] for i in range(3)] == ["line 1", "line 2", "first\nsecond"]
    assert model.oldest()[R_MESSAGE] == "line 1"


def test_clock_time_cache_gives_the_policys_log_line_format(qtbot):
    from console.ui import timefmt
    from console.ui.tail.model import clock_time

    base = datetime(2026, 11, 25, 9, 3, 12, tzinfo=UTC)
    stamps = [base + timedelta(microseconds=i * 123_457) for i in range(40)]
    for reference in (base + timedelta(minutes=5), base + timedelta(days=3)):
        for utc in (False, True):
            timefmt.set_utc(utc)
            assert [clock_time(t, reference) for t in stamps] == [
                timefmt.clock(t, reference) for t in stamps
            ]
    timefmt.set_utc(False)


def test_match_spans_are_case_insensitive():
    assert match_spans("Error: an ERROR", "error") == [(0, 5), (10, 15)]
    assert match_spans("abc", "") == []


# --------------------------------------------------------------------------- page


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(profile_from_url(db_url))
    yield database
    database.close()


@pytest.fixture
def conninfo(db_url: str) -> str:
    return libpq_conninfo(make_url(db_url))


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    r = TaskRunner()
    yield r
    r.wait_idle()


def make_page(qtbot, runner: TaskRunner, capacity: int = 100_000) -> TailPage:
    page = TailPage(PageContext(runner=runner), capacity=capacity)
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    return page


def shown_ids(page: TailPage) -> list[uuid.UUID]:
    return [uuid.UUID(r[R_ID]) for r in page.model.rows()]


def table_ids(conninfo: str, execution: str | None = None) -> set[uuid.UUID]:
    with psycopg.connect(conninfo) as conn:
        if execution is None:
            return {r[0] for r in conn.execute("SELECT id FROM execution_logs")}
        q = "SELECT id FROM execution_logs WHERE execution_id = %s"
        return {r[0] for r in conn.execute(q, (execution,))}


def wait_live(qtbot, page: TailPage) -> None:
    qtbot.waitUntil(
        lambda: page.session is not None and page.session.engine.fetches > 0, timeout=WAIT
    )


def test_window_shows_every_committed_line_once_then_the_end_banner(
    qtbot, runner, db, conninfo, tmp_path
):
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, "before the tail started")
    page = make_page(qtbot, runner)
    page.set_database(db)
    page.apply_filters({"execution_id": a})
    wait_live(qtbot, page)
    assert page.view.isColumnHidden(COL_EXECUTION)
    qtbot.waitUntil(lambda: page.mode_label.text() == "Live · LISTEN", timeout=WAIT)
    plans = [
        WriterPlan(conninfo, (a,), transactions=30, long_share=0.1, long_s=1.0, seed=s)
        for s in range(3)
    ]
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.map(write, plans)
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "UPDATE workflow_executions SET status = 'completed',"
            " started_at = now() - interval '3 minutes 12 seconds', completed_at = now()"
            " WHERE id = %s",
            (a,),
        )
    qtbot.waitUntil(lambda: page.banner.isVisible(), timeout=WAIT)
    ids = shown_ids(page)
    assert len(ids) == len(set(ids))
    assert set(ids) == table_ids(conninfo, a)
    assert "completed in 3m12s" in page.banner.text()
    assert page.model.rowCount() == len(ids)
    page.grab().save(str(tmp_path / "tail-page-finished.png"))


def test_all_running_merged_with_execution_column(qtbot, runner, db, conninfo):
    a, code_a = make_execution(conninfo)
    b, code_b = make_execution(conninfo)
    page = make_page(qtbot, runner)
    page.set_database(db)
    wait_live(qtbot, page)
    qtbot.waitUntil(lambda: page.target.count() == 3, timeout=WAIT)  # "all" + the two
    assert not page.view.isColumnHidden(COL_EXECUTION)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(write, [WriterPlan(conninfo, (a, b), transactions=20, seed=s) for s in (7, 8)])
    expected = table_ids(conninfo)
    qtbot.waitUntil(lambda: len(page.model.rows()) >= len(expected), timeout=WAIT)
    ids = shown_ids(page)
    assert len(ids) == len(set(ids)) and set(ids) == expected
    codes = {page.model.index(i, COL_EXECUTION).data() for i in range(page.model.rowCount())}
    assert codes == {code_a, code_b}


def test_scrolling_up_pauses_and_the_button_jumps_back(qtbot, runner, db, conninfo, tmp_path):
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for i in range(200):
            insert_line(conn, a, f"old {i}")
    page = make_page(qtbot, runner)
    page.set_database(db)
    page.follow_execution(a)
    qtbot.waitUntil(lambda: page.model.rowCount() == 200, timeout=WAIT)
    vbar = page.view.verticalScrollBar()
    qtbot.waitUntil(lambda: vbar.value() == vbar.maximum() and vbar.maximum() > 0)
    vbar.setValue(vbar.maximum() // 2)  # the operator scrolls up
    assert not page.following
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for i in range(25):
            insert_line(conn, a, f"new {i}")
    qtbot.waitUntil(lambda: page.jump.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: page.jump.text() == "25 new lines ↓", timeout=WAIT)
    assert page.model.rowCount() == 200  # the rows being read do not move
    page.grab().save(str(tmp_path / "tail-page-paused.png"))
    page.jump.click()
    assert page.following and not page.jump.isVisible()
    assert page.model.rowCount() == 225
    assert page.model.row_at(224)[R_MESSAGE] == "new 24"
    qtbot.waitUntil(lambda: vbar.value() == vbar.maximum())


def test_scrolling_to_the_top_pages_older_lines_in(qtbot, runner, db, conninfo):
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for i in range(300):
            insert_line(conn, a, f"line {i:03d}")
    page = make_page(qtbot, runner, capacity=100)
    page.set_database(db)
    page.follow_execution(a)
    qtbot.waitUntil(lambda: page.model.rowCount() == 100, timeout=WAIT)
    assert page.model.row_at(0)[R_MESSAGE] == "line 200"
    page.view.verticalScrollBar().setValue(0)
    qtbot.waitUntil(lambda: page.model.rowCount() == 300, timeout=WAIT)
    assert [page.model.row_at(i)[R_MESSAGE] for i in range(300)] == [
        f"line {i:03d}" for i in range(300)
    ]
    assert len(set(shown_ids(page))) == 300


def test_window_buffer_stays_bounded_under_a_flood(qtbot, runner, db, conninfo):
    a, _ = make_execution(conninfo)
    page = make_page(qtbot, runner, capacity=500)
    page.set_database(db)
    page.follow_execution(a)
    wait_live(qtbot, page)
    biggest = [0]

    frames: list[int] = []

    def after_each_frame(rows) -> None:  # connected after the page's own slot
        biggest[0] = max(biggest[0], page.model.total())
        frames.append(len(rows))

    page.session.rows.connect(after_each_frame)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for chunk in range(20):
            conn.execute(
                "INSERT INTO execution_logs (execution_id, level, message)"
                " SELECT %s, 'INFO', 'flood ' || (%s * 250 + g) FROM generate_series(0, 249) g",
                (a, chunk),
            )
    qtbot.waitUntil(lambda: page.session.engine.lines_delivered == 5000, timeout=WAIT)
    qtbot.waitUntil(lambda: biggest[0] > 0 and page.session.backlog() == 0, timeout=WAIT)
    page.session.flush()
    assert biggest[0] <= 500 + page.model.slack()
    assert max(frames) <= MAX_PER_FRAME
    page.model.trim()
    assert page.model.total() == 500
    assert len(set(shown_ids(page))) == 500


def test_level_and_text_filters_with_highlight(qtbot, runner, db, conninfo, tmp_path):
    a, _ = make_execution(conninfo)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, "all good", level="INFO")
        insert_line(conn, a, "disk ERROR on /dev/sda", level="ERROR")
        insert_line(conn, a, "retrying after error", level="WARNING")
    page = make_page(qtbot, runner)
    page.set_database(db)
    page.apply_filters({"execution_id": a, "min_level": "WARNING", "text": "error"})
    qtbot.waitUntil(lambda: page.model.total() == 3, timeout=WAIT)
    assert page.model.rowCount() == 2
    assert page.count_label.text().startswith("2 of 3 lines match")
    qtbot.wait(100)
    page.grab().save(str(tmp_path / "tail-page-filtered.png"))
    page.level.setCurrentText("ERROR")
    assert page.model.rowCount() == 1
    page.clear_filters()
    assert page.model.rowCount() == 3
    page.wrap.setChecked(True)
    page.time_mode.setCurrentIndex(1)
    assert page.model.index(0, 0).data() == "just now"


def test_save_whole_log_as_text_and_jsonl_with_progress(qtbot, runner, db, conninfo, tmp_path):
    a, _ = make_execution(conninfo)
    insert_history(conninfo, a, 12_000)
    page = make_page(qtbot, runner, capacity=1000)
    page.set_database(db)
    page.follow_execution(a)
    moves: list[tuple[int, int]] = []
    page.saver.moved.connect(lambda done, total: moves.append((done, total)))
    for fmt, name in (("text", "log.txt"), ("jsonl", "log.jsonl")):
        target = tmp_path / name
        page.last_export = None
        page.save_log(target, fmt)
        assert page.progress.isVisible()
        qtbot.waitUntil(lambda: page.last_export is not None, timeout=WAIT)
        assert page.last_export == (target, 12000)
        assert not page.progress.isVisible()
        lines = target.read_text().splitlines()
        assert len(lines) == 12000
        if fmt == "jsonl":
            ids = {uuid.UUID(json.loads(x)["id"]) for x in lines}
            assert ids == table_ids(conninfo, a)
        else:
            assert lines[0].endswith("step: line 1") or "step: line" in lines[0]
    assert moves and moves[-1] == (12000, 12000)


def test_polling_mode_is_shown_where_listen_is_not_allowed(qtbot, runner, db, conninfo):
    db.listen_allowed = False
    a, _ = make_execution(conninfo)
    page = make_page(qtbot, runner)
    page.set_database(db)
    page.follow_execution(a)
    qtbot.waitUntil(lambda: "polling every 1 s" in page.mode_label.text(), timeout=WAIT)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        insert_line(conn, a, "polled")
    qtbot.waitUntil(lambda: page.model.total() == 1, timeout=WAIT)


def test_reconnecting_is_shown_and_the_tail_resumes(qtbot, runner, db, conninfo):
    a, _ = make_execution(conninfo)
    page = make_page(qtbot, runner)
    page.set_database(db)
    page.follow_execution(a)
    wait_live(qtbot, page)
    seen: list[str] = []
    page.session.state_changed.connect(lambda s: seen.append(s.phase))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'autopr-console-tail' AND datname = current_database()"
        )
        qtbot.waitUntil(lambda: "reconnecting" in seen, timeout=WAIT)
        insert_line(conn, a, "after the cut")
    qtbot.waitUntil(lambda: page.model.total() == 1, timeout=WAIT)
    assert page.mode_label.text().startswith("Live")


def test_disconnect_stops_and_clears(qtbot, runner, db, conninfo):
    page = make_page(qtbot, runner)
    page.set_database(db)
    wait_live(qtbot, page)
    session = page.session
    page.set_database(None)
    assert page.session is None and page.model.rowCount() == 0
    assert session.join(10)
    assert page.mode_label.text() == "not connected"


def test_a_hidden_page_starts_its_tail_only_when_shown(qtbot, runner, db):
    page = TailPage(PageContext(runner=runner))
    qtbot.addWidget(page)
    page.set_database(db)
    assert page.session is None
    page.show()
    assert page.session is not None
    wait_live(qtbot, page)
    page.set_database(None)


def test_the_registered_page_takes_capacity_and_polling_from_settings(qtbot, runner):
    from console.ui import settings
    from console.ui.pages import page_specs

    settings.TAIL_CAPACITY.put(5000)
    settings.TAIL_POLL_MS.put(250)
    spec = next(s for s in page_specs() if s.key == "tail")
    assert spec.title == "Live tail"
    page = spec.factory(PageContext(runner=runner))
    qtbot.addWidget(page)
    assert page.model.capacity == 5000
    assert page.tail_options().poll_interval_s == 0.25


def test_a_deleted_page_leaves_the_theme_and_utc_signals_alone(qtbot, runner):
    from PySide6.QtCore import SIGNAL

    from console.ui import theme, timefmt

    def receivers() -> tuple[int, int]:
        return (
            timefmt.time_events().receivers(SIGNAL("utc_changed(bool)")),
            theme.theme_events().receivers(SIGNAL("changed(QString)")),
        )

    from PySide6.QtCore import QCoreApplication, QEvent

    def flush_deletes() -> None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    flush_deletes()  # pages of earlier tests
    before = receivers()
    page = TailPage(PageContext(runner=runner))
    assert receivers() == (before[0] + 1, before[1] + 1)
    page.deleteLater()
    flush_deletes()
    assert receivers() == before  # nothing left to call on a deleted page


def test_deleting_the_page_stops_its_tail(qtbot, runner, db, conninfo):
    a, _ = make_execution(conninfo)
    page = TailPage(PageContext(runner=runner))
    page.resize(800, 400)
    page.show()
    page.set_database(db)
    page.follow_execution(a)
    wait_live(qtbot, page)
    session = page.session
    assert session is not None
    page.deleteLater()
    qtbot.waitUntil(lambda: session.engine.stopped, timeout=WAIT)
    assert session.join(30)


def test_target_list_stays_still_while_open_and_a_finished_target_keeps_its_id(
    qtbot, runner, db, conninfo
):
    a, code_a = make_execution(conninfo)
    page = make_page(qtbot, runner)
    page.set_database(db)
    qtbot.waitUntil(lambda: page.target.count() == 2, timeout=WAIT)
    page.target.showPopup()
    assert page.target.popup_open
    make_execution(conninfo)  # a second one starts
    page.refresh()  # the auto-refresh tick reloads the list meanwhile
    runner.wait_idle()
    qtbot.waitUntil(lambda: page.targets.deferred is not None, timeout=WAIT)
    assert page.target.count() == 2  # what the operator is about to click has not moved
    page.target.hidePopup()
    qtbot.waitUntil(lambda: page.target.count() == 3, timeout=WAIT)
    # follow a, then a finishes: the list names it by its execution id, not its UUID
    page.follow_execution(a)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "UPDATE workflow_executions SET status = 'completed', completed_at = now() "
            "WHERE id = %s",
            (a,),
        )
    page.refresh()
    qtbot.waitUntil(lambda: page.target.currentText() == f"{code_a} (completed)", timeout=WAIT)
    assert page.target.currentData() == str(uuid.UUID(a))


def test_a_session_stopped_while_reading_history_lets_its_lines_go(qtbot, conninfo):
    """Stopped half-way through 30,000 lines of history (a reconnect, another execution
    followed), a session drops what it received and reads no further: the next session
    fills the window again without the old lines held beside it."""
    import time

    from console.tail.engine import TailOptions
    from console.ui.tail.session import TailSession

    execution, _ = make_execution(conninfo)
    insert_history(conninfo, execution, 30_000, prefix="history")
    options = TailOptions(execution=uuid.UUID(execution), batch_rows=200)
    session = TailSession(conninfo, options)
    session.start()
    deadline = time.monotonic() + 30
    while session.backlog() == 0 and time.monotonic() < deadline:
        time.sleep(0.005)  # no event loop turn: nothing is handed to a window
    assert 0 < session.backlog() < 30_000
    session.stop()
    assert session.backlog() == 0
    assert session.join(30)
    assert session.backlog() == 0
    session.deleteLater()
