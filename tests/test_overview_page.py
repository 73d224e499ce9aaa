"""The Overview page with real widgets (pytest-qt, offscreen) on a real database.

The data set is the one of test_overview_queries, placed relative to the real
clock (the page reads the server's ``now()``); expectations are taken from the
database independently and from the snapshot window the page used.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from console.db.connection import Database, open_database
from console.profiles import profile_from_url
from console.queries import overview as ov
from console.ui.overview.chart import STACK_ORDER
from console.ui.overview.page import DISCONNECTED_TEXT, EMPTY_DB_TEXT, OverviewPage
from console.ui.pages import PageContext, page_specs
from console.ui.tasks import TaskRunner
from tests.helpers.overview_data import build_dataset


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, key: str, filters: dict) -> None:
        self.calls.append((key, filters))


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = open_database(profile_from_url(db_url))
    yield db
    db.close()


@pytest.fixture
def page(qtbot) -> Iterator[tuple[OverviewPage, Recorder, TaskRunner]]:
    runner = TaskRunner()
    recorder = Recorder()
    widget = OverviewPage(PageContext(runner=runner, open_page=recorder))
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    yield widget, recorder, runner
    runner.wait_idle()


def _load(qtbot, page: OverviewPage, runner: TaskRunner) -> ov.OverviewSnapshot:
    qtbot.waitUntil(lambda: runner.in_flight() == 0 and page.snapshot is not None, timeout=10000)
    assert page.snapshot is not None
    return page.snapshot


def _connect(qtbot, page, runner, database) -> ov.OverviewSnapshot:
    page.set_database(database)
    return _load(qtbot, page, runner)


def _click_row(qtbot, view, row: int, column: int = 0) -> None:
    """Double-click a cell the way a window system delivers it (press, release,
    double-click, release); QTest's mouseDClick alone does not activate an item."""
    view.scrollTo(view.model().index(row, column))
    centre = QPointF(view.visualRect(view.model().index(row, column)).center())
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, buttons in (
        (QEvent.Type.MouseButtonPress, left),
        (QEvent.Type.MouseButtonRelease, none),
        (QEvent.Type.MouseButtonDblClick, left),
        (QEvent.Type.MouseButtonRelease, none),
    ):
        event = QMouseEvent(
            kind,
            centre,
            view.viewport().mapToGlobal(centre),
            left,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(view.viewport(), event)


def test_the_overview_is_registered_first():
    specs = page_specs()
    assert specs[0].key == "overview" and specs[0].order == 0


def test_panels_show_the_database_figures(qtbot, page, database):
    widget, _rec, runner = page
    ds = build_dataset(database.engine, now=datetime.now(UTC))
    snap = _connect(qtbot, widget, runner, database)
    w = snap.window

    # panel 1: the chart's bars hold the counts SQL finds per hour and status
    with database.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT date_trunc('hour', started_at AT TIME ZONE 'UTC'), status, count(*)"
                " FROM workflow_executions WHERE started_at >= :a AND started_at < :b"
                " GROUP BY 1, 2"
            ),
            {"a": w.start, "b": w.end},
        ).all()
    expected = {(w.bucket_index(h.replace(tzinfo=UTC)), s): n for h, s, n in rows}
    shown = {}
    for status in STACK_ORDER:
        heights = widget.chart.bars[status].heights
        assert len(heights) == 24
        shown.update({(i, status): n for i, n in enumerate(heights) if n})
    assert shown == expected and sum(shown.values()) == 25

    # panel 2: most failing first, figures as text
    model = widget.workflows_model
    assert [model.text_at(r, 0) for r in range(model.rowCount())] == ["deploy", "lint"]
    assert [model.text_at(0, c) for c in range(6)] == [
        "deploy",
        "18",
        "71.4 %",
        "4",
        "55.0 s",
        "1 min 35 s",
    ]
    assert model.text_at(1, 2) == "100.0 %"

    # panel 3: five running, oldest first
    running = widget.running_model
    assert [running.row_at(r).execution_id for r in range(running.rowCount())] == [
        "R5",
        "R4",
        "R1",
        "R2",
        "R3",
    ]
    assert running.text_at(0, 3).startswith("2 d")
    assert widget.running_note.text() == "5 running."

    # panel 4: one tile per integration, coloured by health
    tiles = widget.tiles.tiles
    assert set(tiles) == set(ds.integrations.values())
    gh = tiles[ds.integrations["gh"]]
    assert gh.detail.text() == "healthy · github" and "min ago" in gh.checked.text()
    assert tiles[ds.integrations["jr"]].checked.text() == "disabled · never checked"
    from console.ui import theme

    assert theme.health_color("degraded").name() in tiles[ds.integrations["sl"]].styleSheet()

    # panel 5: queue depth and oldest pending
    assert widget.queue.pending_count.text() == "3"
    assert widget.queue.processing_count.text() == "2"
    assert widget.queue.oldest.text().startswith("oldest waiting 40 min")

    # panel 6: stuck executions and events
    stuck = widget.stuck_exec_model
    assert [stuck.row_at(r).execution_id for r in range(stuck.rowCount())] == ["R4", "R1", "R2"]
    assert widget.stuck_event_model.rowCount() == 1
    assert widget.stuck_summary.text() == "Looks stuck: 3 execution(s), 1 event(s)"
    assert widget.totals.text() == (
        "25 executions started in the last 24 hours · 16.0 % failed or timed out"
        " · 5 running now · 3 integration(s)"
    )
    assert not widget.banner.isVisible()


def test_click_through_opens_the_matching_filtered_table(qtbot, page, database):
    widget, rec, runner = page
    ds = build_dataset(database.engine, now=datetime.now(UTC))
    snap = _connect(qtbot, widget, runner, database)
    w = snap.window

    # a bar: completed executions of the bucket of the ten deploy runs (started one a minute
    # from two hours ago: near an hour boundary some of them fall in the bucket before)
    index = w.bucket_index(ds.now - timedelta(minutes=115))
    starts = [ds.now - timedelta(minutes=120 - i) for i in range(10)]
    in_bucket = sum(w.bucket_index(t) == index for t in starts)
    pos = widget.chart.bar_center("completed", index)
    assert widget.chart.hit(pos) == ("completed", index)
    qtbot.mouseClick(widget.chart.plot, Qt.MouseButton.LeftButton, pos=pos)
    start = w.start + index * w.range.bucket
    assert rec.calls[-1] == (
        "executions",
        {
            "status": ["completed"],
            "time_from": start.isoformat(),
            "time_to": (start + w.range.bucket).isoformat(),
        },
    )
    # hovering explains the bar under the pointer
    tip = widget.chart.describe("completed", index)
    assert f"▶ completed: {in_bucket}" in tip and "click: open the completed executions" in tip
    # a click beside the bars opens nothing
    n = len(rec.calls)
    qtbot.mouseClick(widget.chart.plot, Qt.MouseButton.LeftButton, pos=QPoint(2, 2))
    assert len(rec.calls) == n

    # a workflow row, and its failed count
    _click_row(qtbot, widget.workflows_view, 0)
    assert rec.calls[-1] == (
        "executions",
        {
            "workflow_id": str(ds.workflows["deploy"]),
            "time_from": w.stats_start.isoformat(),
            "time_to": w.end.isoformat(),
        },
    )
    _click_row(qtbot, widget.workflows_view, 0, column=3)
    assert rec.calls[-1][1]["status"] == ["failed", "timeout"]

    # a running row and a stuck row
    _click_row(qtbot, widget.running_view, 0)
    assert rec.calls[-1] == ("executions", {"execution_id": str(ds.executions["R5"])})
    _click_row(qtbot, widget.stuck_exec_view, 1)
    assert rec.calls[-1] == ("executions", {"execution_id": str(ds.executions["R1"])})
    widget.stuck_event_view.setCurrentIndex(widget.stuck_event_view.model().index(0, 0))
    qtbot.keyClick(widget.stuck_event_view, Qt.Key.Key_Return)  # Enter opens as well
    key, filters = rec.calls[-1]
    assert key == "events" and filters["status"] == ["processing"]
    assert filters["integration_id"] == str(ds.integrations["sl"])

    # a tile and the queue card
    tile = widget.tiles.tiles[ds.integrations["jr"]]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    assert rec.calls[-1] == ("integrations", {"integration_id": str(ds.integrations["jr"])})
    qtbot.mouseClick(widget.queue.pending, Qt.MouseButton.LeftButton)
    assert rec.calls[-1] == ("events", {"status": ["pending"]})


def test_sorting_by_a_header_keeps_click_through_on_the_right_row(qtbot, page, database):
    widget, rec, runner = page
    ds = build_dataset(database.engine, now=datetime.now(UTC))
    _connect(qtbot, widget, runner, database)
    widget.workflows_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # lint, deploy
    _click_row(qtbot, widget.workflows_view, 0)
    assert rec.calls[-1][1]["workflow_id"] == str(ds.workflows["lint"])
    widget.order_box.setCurrentIndex(widget.order_box.findData("slowest"))
    assert widget.workflows_model.row_at(0).name == "deploy"


def test_elapsed_times_tick_without_querying(qtbot, page, database):
    widget, _rec, runner = page
    build_dataset(database.engine, now=datetime.now(UTC))
    _connect(qtbot, widget, runner, database)
    submitted = []
    original = runner.submit
    runner.submit = lambda *a, **k: submitted.append(a) or original(*a, **k)  # type: ignore[method-assign]
    before = widget.running_model.text_at(4, 3)  # R3, about a minute
    widget.loader.offset += timedelta(minutes=3)  # as if three minutes went by
    widget.tick()
    after = widget.running_model.text_at(4, 3)
    assert before.startswith("1 min") and after.startswith("4 min")
    assert submitted == []


def test_refresh_updates_the_same_items_in_place(qtbot, page, database):
    widget, _rec, runner = page
    ds = build_dataset(database.engine, now=datetime.now(UTC))
    _connect(qtbot, widget, runner, database)
    bars = dict(widget.chart.bars)
    tiles = dict(widget.tiles.tiles)
    first = widget.snapshot
    resets = []
    widget.running_model.modelReset.connect(lambda: resets.append(1))
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE workflow_executions SET status = 'completed', completed_at = now()"
                " WHERE id = :i"
            ),
            {"i": ds.executions["R3"]},
        )
        conn.execute(
            text("UPDATE integrations SET health_status = 'unhealthy' WHERE id = :i"),
            {"i": ds.integrations["gh"]},
        )
        conn.execute(text("UPDATE integration_events SET status = 'completed'"))
    widget.refresh()
    qtbot.waitUntil(lambda: widget.snapshot is not first and runner.in_flight() == 0)
    assert widget.chart.bars == bars and all(
        widget.chart.bars[s] is bars[s] for s in bars
    )  # same chart items
    assert all(widget.tiles.tiles[k] is tiles[k] for k in tiles)  # same tile widgets
    assert widget.tiles.tiles[ds.integrations["gh"]].detail.text() == "unhealthy · github"
    assert widget.queue.pending_count.text() == "0"
    assert widget.queue.oldest.text() == "queue empty"
    # the running table lost a row without a reset (no flash, scroll position kept)
    assert resets == [] and widget.running_model.rowCount() == 4
    ids = [widget.running_model.row_at(r).execution_id for r in range(4)]
    assert ids == ["R5", "R4", "R1", "R2"]


def test_range_selection_requeries_with_matching_buckets(qtbot, page, database):
    widget, _rec, runner = page
    build_dataset(database.engine, now=datetime.now(UTC))
    first = _connect(qtbot, widget, runner, database)
    widget.apply_filters({"time_range": "7d"})
    qtbot.waitUntil(lambda: widget.snapshot is not first and runner.in_flight() == 0)
    snap = widget.snapshot
    assert snap is not None and snap.window.range.key == "7d"
    # the choice is remembered for the next window
    again = OverviewPage(PageContext(runner=runner))
    qtbot.addWidget(again)
    assert again.range_box.currentData() == "7d" and again.params.range_key == "7d"
    assert len(widget.chart.bars["completed"].heights) == 28
    # the slow run from 30 h ago now shows in the bars (but not in the percentiles)
    assert sum(widget.chart.bars["completed"].heights) == 15
    assert widget.workflows_model.text_at(0, 5) == "1 min 35 s"


def test_empty_database_shows_the_empty_state(qtbot, page, database):
    widget, _rec, runner = page
    _connect(qtbot, widget, runner, database)
    assert widget.banner.isVisible() and widget.banner.text() == EMPTY_DB_TEXT
    assert "No executions started" in widget.chart.empty_message  # drawn over the plot
    assert widget.running_note.text() == "Nothing is running."
    assert widget.tiles.empty.isVisible()
    assert widget.stuck_summary.text() == "Nothing looks stuck."


def test_disconnect_clears_everything(qtbot, page, database):
    widget, _rec, runner = page
    build_dataset(database.engine, now=datetime.now(UTC))
    _connect(qtbot, widget, runner, database)
    widget.set_database(None)
    assert widget.snapshot is None
    assert widget.running_model.rowCount() == 0 and widget.workflows_model.rowCount() == 0
    assert widget.tiles.tiles == {} and widget.queue.pending_count.text() == "–"
    assert widget.banner.text() == DISCONNECTED_TEXT and widget.banner.isVisible()
    widget.refresh()  # nothing to query
    widget.tick()
    assert runner.in_flight() == 0
    assert widget.chart.bars["completed"].heights == []


@pytest.mark.expects_log_warnings(
    r"^console\.ui\.overview\.page: overview refresh failed: the database does not exist"
)
def test_a_failing_refresh_keeps_the_last_figures(qtbot, page, database, pg_address):
    widget, _rec, runner = page
    build_dataset(database.engine, now=datetime.now(UTC))
    snap = _connect(qtbot, widget, runner, database)
    from console.db.engine import make_engine

    broken = make_engine(pg_address.url("no_such_database_here"))
    database.engine, good = broken, database.engine
    try:
        widget.refresh()
        qtbot.waitUntil(lambda: widget.error.isVisible(), timeout=10000)
    finally:
        database.engine = good
        broken.dispose()
    assert widget.error.text().startswith(
        "Could not refresh the Overview: the database does not exist on that server"
    )
    assert "Traceback" not in widget.error.text()
    assert widget.snapshot is snap and widget.running_model.rowCount() == 5


@pytest.mark.parametrize("size", [(800, 600), (1400, 900)])
def test_layout_at_small_and_large_sizes(qtbot, page, database, size, tmp_path):
    widget, _rec, runner = page
    build_dataset(database.engine, now=datetime.now(UTC))
    widget.resize(*size)
    _connect(qtbot, widget, runner, database)
    qtbot.wait(50)
    wide = size[0] >= 980
    assert widget.layout_is_wide() is wide
    # tiles re-flow into the width available: none is cut off on the right
    tiles_right = max(t.geometry().right() for t in widget.tiles.tiles.values())
    assert tiles_right <= widget.tiles.width()
    # the chart keeps a readable height
    assert widget.chart.plot.height() >= 200
    assert not widget.grab().isNull()
    widget.grab().save(str(tmp_path / f"overview-{size[0]}x{size[1]}.png"))


def test_chart_and_tiles_follow_the_light_and_dark_palettes(qtbot, qapp, page, database, tmp_path):
    from console.ui import theme

    widget, _rec, runner = page
    ds = build_dataset(database.engine, now=datetime.now(UTC))
    _connect(qtbot, widget, runner, database)
    tile = widget.tiles.tiles[ds.integrations["sl"]]
    try:
        seen = {}
        for scheme in ("light", "dark"):
            theme.apply_theme(qapp, scheme)
            background = widget.chart.plot.background().name()
            bar = widget.chart.bars["failed"].brush.color().name()
            assert background == widget.palette().color(widget.palette().ColorRole.Base).name()
            assert bar == theme.status_color("failed").name()
            assert theme.health_color("degraded").name() in tile.styleSheet()
            seen[scheme] = (background, bar)
            widget.grab().save(str(tmp_path / f"overview-{scheme}.png"))
        assert seen["light"] != seen["dark"]
    finally:
        theme.apply_theme(qapp, "system")


def test_the_stuck_event_threshold_is_configurable_and_remembered(qtbot, page, database):
    widget, _rec, runner = page
    ds = build_dataset(database.engine, now=datetime.now(UTC))
    first = _connect(qtbot, widget, runner, database)
    assert first.stuck.event_threshold == timedelta(minutes=15)
    widget.stuck_after.setValue(4)  # both processing events (20 and 5 min old) now count
    qtbot.waitUntil(lambda: widget.snapshot is not first and runner.in_flight() == 0)
    model = widget.stuck_event_model
    assert {model.row_at(r).id for r in range(model.rowCount())} == {
        ds.events["x-20"],
        ds.events["x-5"],
    }
    assert widget.stuck_event_note.text() == "2 event(s) processing for over 4 minutes"
    again = OverviewPage(PageContext(runner=runner))
    qtbot.addWidget(again)
    assert again.stuck_after.value() == 4
    assert again.params.stuck_event_after == timedelta(minutes=4)
