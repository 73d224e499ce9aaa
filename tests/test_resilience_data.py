"""Data the engine may write that the console did not expect (issue 7, item 4).

Megabyte messages, 5 MB and 50-level JSONB documents, NULL wherever the schema
allows it, unknown keys, timestamps in 1900 and 2200, and 200,000 logs on one
execution.  Every table page and its detail pane, the tail on that execution
and the overview must render them: rows appear, cells and previews stay
bounded, the full value stays reachable, and the event loop keeps turning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb
from PySide6.QtCore import Qt, QTimer
from sqlalchemy import make_url

from console.db.connection import Database, open_database
from console.db.urls import libpq_conninfo
from console.profiles import profile_from_url
from console.ui.pages import PageContext
from console.ui.tables.jsontree import JsonTree
from console.ui.tasks import TaskRunner
from tests.helpers.ui_tables import PAGES, settle

MB = 1024 * 1024
MAX_CELL = 2_000  # what any one cell may show
MAX_PREVIEW = 200_000  # what a detail pane's text box may hold
MANY_LOGS = 200_000


def _deep(levels: int) -> dict[str, Any]:
    doc: dict[str, Any] = {"leaf": "bottom", "n": levels}
    for i in range(levels - 1):
        doc = {f"level_{levels - 1 - i}": doc, "unknown_key_{i}": None}
    return doc


def _huge() -> dict[str, Any]:
    """About 5 MB: many items, one long string, a 50-level branch and unknown keys."""
    return {
        "deep": _deep(50),
        "big_string": "ß" * (MB // 2) + "end",
        "items": [{"i": i, "text": "y" * 180, f"surprise_{i % 7}": None} for i in range(20_000)],
        "nothing": None,
        "": "empty key",
    }


def seed(conninfo: str) -> dict[str, Any]:
    huge, deep = Jsonb(_huge()), Jsonb(_deep(50))
    message = "first line\n" + "m" * MB + "\nlast line"
    with psycopg.connect(conninfo) as conn:
        wf_big = conn.execute(
            "INSERT INTO workflows (name, description, config, created_by)"
            " VALUES ('huge-config', %s, %s, NULL) RETURNING id",
            ("d" * MB, huge),
        ).fetchone()[0]
        wf_null = conn.execute(
            "INSERT INTO workflows (name, description, config, created_by, created_at, updated_at)"
            " VALUES ('nulls-and-1900', NULL, %s, NULL, '1900-01-01', '2200-12-31') RETURNING id",
            (deep,),
        ).fetchone()[0]
        ex_big = conn.execute(
            "INSERT INTO workflow_executions (workflow_id, execution_id, status, started_at,"
            " completed_at, result, error_message, trigger_type, trigger_data)"
            " VALUES (%s, 'exec-huge', 'failed', now() - interval '1 minute', '2200-01-01',"
            " %s, %s, 'webhook', %s) RETURNING id",
            (wf_big, huge, "e" * MB, deep),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO workflow_executions (workflow_id, execution_id, status, started_at,"
            " completed_at, result, error_message, trigger_type, trigger_data)"
            " VALUES (%s, 'exec-nulls', 'running', '1900-01-01', NULL, NULL, NULL, NULL, NULL)",
            (wf_null,),
        )
        conn.execute(
            "INSERT INTO execution_logs (execution_id, level, message, log_metadata, step_name,"
            " created_at)"
            " SELECT %s, (ARRAY['DEBUG','INFO','WARNING','ERROR'])[1 + g %% 4],"
            " 'line ' || g, NULL, NULL, now() - interval '1 hour' + g * interval '1 ms'"
            " FROM generate_series(1, %s) g",
            (ex_big, MANY_LOGS),
        )
        conn.execute(
            "INSERT INTO execution_logs (execution_id, level, message, log_metadata, step_name,"
            " created_at) VALUES (%s, 'ERROR', %s, %s, 'huge', now()),"
            " (%s, 'INFO', 'from 1900', NULL, NULL, '1900-01-01'),"
            " (%s, 'INFO', 'from 2200', %s, NULL, '2200-01-01')",
            (ex_big, message, huge, ex_big, ex_big, Jsonb({"unknown": {"k": [1, None]}})),
        )
        integ = conn.execute(
            "INSERT INTO integrations (name, type, config, last_health_check)"
            " VALUES ('huge-integration', 'slack', %s, '2200-01-01') RETURNING id",
            (huge,),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO integration_events (integration_id, event_type, event_id, payload,"
            " error_message, processed_at, created_at)"
            " VALUES (%s, 'push', NULL, %s, %s, '1900-01-01', now()),"
            " (%s, 'deep', NULL, %s, NULL, NULL, now() - interval '1 minute')",
            (integ, huge, "x" * MB, integ, deep),
        )
        conn.execute("ANALYZE")
    return {"execution": "exec-huge", "message": message}


@pytest.fixture(scope="module")
def odd_url(pg_address, template_db) -> Iterator[str]:
    from tests.helpers.databases import create_database, drop_database

    name = "resilience_data"
    drop_database(pg_address, name)
    create_database(pg_address, name, template_db)
    url = pg_address.url(name)
    seed(libpq_conninfo(make_url(url)))
    yield url
    drop_database(pg_address, name)


@pytest.fixture
def db(odd_url: str) -> Iterator[Database]:
    database = open_database(profile_from_url(odd_url, name="odd-data"))
    yield database
    database.close()


@pytest.fixture
def heartbeat(qtbot) -> Iterator[list[int]]:
    """Counts ticks of a 20 ms timer: a frozen event loop stops counting."""
    beats = [0]
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: beats.__setitem__(0, beats[0] + 1))
    timer.start()
    yield beats
    timer.stop()


def assert_alive(qtbot, beats: list[int]) -> None:
    before = beats[0]
    qtbot.waitUntil(lambda: beats[0] >= before + 3, timeout=5_000)


def visible_cells(page) -> list[str]:
    model = page.model
    return [
        str(model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) or "")
        for r in range(min(model.rowCount(), 50))
        for c in range(model.columnCount())
    ]


def tree_texts(tree: JsonTree) -> Iterator[str]:
    stack = [tree.invisibleRootItem()]
    while stack:
        item = stack.pop()
        for i in range(item.childCount()):
            child = item.child(i)
            yield child.text(0)
            yield child.text(1)
            yield child.toolTip(1)
            stack.append(child)


def tree_count(tree: JsonTree) -> int:
    return sum(1 for _ in tree_texts(tree)) // 3


@pytest.mark.parametrize("key", list(PAGES))
def test_every_table_page_and_detail_renders_odd_rows(qtbot, db, heartbeat, key, tmp_path) -> None:
    runner = TaskRunner()
    ctx = PageContext(runner=runner)
    try:
        page = PAGES[key](ctx)
        qtbot.addWidget(page)
        page.resize(1200, 700)
        page.show()
        page.set_database(db)
        settle(qtbot, page)
        assert page.model.rows, key
        assert all(len(text) <= MAX_CELL for text in visible_cells(page))
        assert_alive(qtbot, heartbeat)

        for row in range(min(len(page.model.rows), 4)):
            page.view.setCurrentIndex(page.model.index(row, 0))
            page.open_details()
            settle(qtbot, page)
            assert page.detail.stack.currentWidget() is page.detail.body, key
            check_detail(page.detail)
            assert_alive(qtbot, heartbeat)
        page.grab().save(str(tmp_path / f"resilience-data-{key}.png"))
    finally:
        runner.wait_idle()


def check_detail(detail) -> None:
    from PySide6.QtWidgets import QPlainTextEdit

    for box in detail.findChildren(QPlainTextEdit):
        assert len(box.toPlainText()) <= MAX_PREVIEW
    for tree in detail.findChildren(JsonTree):
        assert tree_count(tree) <= 5_000
        assert all(len(t) <= MAX_CELL for t in tree_texts(tree))


def test_a_megabyte_log_message_is_previewed_and_reachable_in_full(qtbot, db, heartbeat) -> None:
    from console.ui.tables.details import full_text

    runner = TaskRunner()
    ctx = PageContext(runner=runner)
    try:
        page = PAGES["logs"](ctx)
        qtbot.addWidget(page)
        page.show()
        page.set_database(db)
        settle(qtbot, page)
        page.apply_filters({"min_level": "ERROR"})
        settle(qtbot, page)
        page.view.setCurrentIndex(page.model.index(0, 0))
        page.open_details()
        settle(qtbot, page)
        box = page.detail.message_box
        shown = box.toPlainText()
        assert shown.startswith("first line") and len(shown) <= MAX_PREVIEW
        assert "more characters" in shown  # says it is cut, and how much is left
        seeded = seed_message()
        assert full_text(box) == seeded  # the whole value, on demand
        metadata = page.detail.metadata.document()
        assert json.dumps(metadata["deep"]).count("level_") == 49  # all 50 levels kept
        assert_alive(qtbot, heartbeat)
    finally:
        runner.wait_idle()


def seed_message() -> str:
    return "first line\n" + "m" * MB + "\nlast line"


def test_tail_on_an_execution_with_200k_logs(qtbot, db, heartbeat, tmp_path) -> None:
    from console.ui.tail.page import TailPage

    runner = TaskRunner()
    page = TailPage(PageContext(runner=runner), capacity=100_000)
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    try:
        page.set_database(db)
        with psycopg.connect(db.conninfo()) as conn:
            row = conn.execute(
                "SELECT id FROM workflow_executions WHERE execution_id = 'exec-huge'"
            ).fetchone()
        page.follow_execution(str(row[0]))
        qtbot.waitUntil(lambda: page.model.total() > 0, timeout=30_000)
        qtbot.waitUntil(lambda: runner.in_flight() == 0, timeout=30_000)
        assert_alive(qtbot, heartbeat)
        model = page.model
        assert model.total() <= 100_000
        rows = model.rows()
        texts = [model.cell_text(r, c) for r in rows[-20:] for c in range(model.columnCount())]
        assert all(len(t) <= MAX_CELL for t in texts)
        page.grab().save(str(tmp_path / "resilience-data-tail.png"))
    finally:
        page.set_database(None)
        runner.wait_idle()


def test_overview_with_odd_rows(qtbot, db, heartbeat, tmp_path) -> None:
    from console.ui.overview.page import OverviewPage

    runner = TaskRunner()
    page = OverviewPage(PageContext(runner=runner))
    qtbot.addWidget(page)
    page.resize(1400, 900)
    page.show()
    try:
        page.set_database(db)
        qtbot.waitUntil(
            lambda: runner.in_flight() == 0 and page.snapshot is not None, timeout=30_000
        )
        assert_alive(qtbot, heartbeat)
        page.grab().save(str(tmp_path / "resilience-data-overview.png"))
    finally:
        page.set_database(None)
        runner.wait_idle()
