"""The five table pages driven as widgets (pytest-qt, offscreen) against a real database."""

from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from sqlalchemy import text

from console.ui.tables import base
from console.ui.tables.base import TablePage
from tests.helpers.ui_tables import PAGES, connect, make_page, model_ids, settle, sql_ids

CASES = [
    (
        "workflows",
        {"status": ["active", "draft"], "json": '{"notification_channels": ["slack"]}'},
        "SELECT id FROM workflows WHERE status IN ('active', 'draft')"
        ' AND config @> \'{"notification_channels": ["slack"]}\' ORDER BY name, id',
    ),
    (
        "executions",
        {"status": ["failed"], "trigger_type": ["manual"], "time_range": "24h"},
        "SELECT id FROM workflow_executions WHERE status = 'failed' AND trigger_type = 'manual'"
        " AND started_at >= now() - interval '24 hours' ORDER BY started_at DESC, id DESC",
    ),
    (
        "logs",
        {"min_level": "CRITICAL", "time_range": "1h"},
        "SELECT id FROM execution_logs WHERE level = 'CRITICAL'"
        " AND created_at >= now() - interval '1 hour' ORDER BY created_at DESC, id DESC",
    ),
    (
        "integrations",
        {"integration_type": ["slack", "github", "jira"], "health": ["degraded", "unknown"]},
        "SELECT id FROM integrations WHERE type IN ('slack', 'github', 'jira')"
        " AND health_status IN ('degraded', 'unknown') ORDER BY name, id",
    ),
    (
        "events",
        {"status": ["pending", "processing"], "text": "push"},
        "SELECT id FROM integration_events WHERE status IN ('pending', 'processing')"
        " AND event_type LIKE 'push%' ORDER BY created_at DESC, id DESC",
    ),
]


@pytest.mark.parametrize(("key", "filters", "sql"), CASES, ids=[c[0] for c in CASES])
def test_page_shows_the_rows_of_its_filter(qtbot, ctx, db, key, filters, sql) -> None:
    page = make_page(qtbot, ctx, key, db)
    assert len(model_ids(page)) > 0  # unfiltered first window
    page.apply_filters(filters)
    settle(qtbot, page)
    expected = sql_ids(db.engine, sql)
    assert expected, "the case must select some rows"
    assert model_ids(page) == expected
    assert page.model.total == len(expected) and page.model.total_exact
    assert page.count_label.text() == f"{len(expected):,} {page.noun}"


def test_pages_show_demo_data_and_details(qtbot, ctx, demo_db_url) -> None:
    database = connect(demo_db_url)
    try:
        for key in PAGES:
            page = make_page(qtbot, ctx, key, database)
            assert page.model.rows, key
            page.view.setCurrentIndex(page.model.index(0, 0))
            page.open_details()
            settle(qtbot, page)
            assert page.detail.stack.currentWidget() is page.detail.body, key
            assert page.detail.title.text(), key
    finally:
        database.close()


# ------------------------------------------------------------------ scale: bounded window


def test_model_window_stays_bounded_while_scrolling_50k_logs(qtbot, ctx, db_url) -> None:
    database = connect(db_url)
    try:
        with database.engine.begin() as conn:
            conn.execute(text("INSERT INTO workflows (name) VALUES ('big')"))
            conn.execute(
                text(
                    "INSERT INTO workflow_executions (workflow_id, started_at)"
                    " SELECT w.id, now() - make_interval(hours => g) FROM workflows w,"
                    " generate_series(1, 50) g"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO execution_logs (execution_id, level, message, created_at)"
                    " SELECT e.id, 'INFO', 'line ' || k, e.started_at + make_interval(secs => k)"
                    " FROM workflow_executions e, generate_series(1, 1000) k"
                )
            )
            conn.execute(text("ANALYZE"))
        newest_first = sql_ids(
            database.engine, "SELECT id FROM execution_logs ORDER BY created_at DESC, id DESC"
        )
        page = make_page(qtbot, ctx, "logs", database)
        model, bar = page.model, page.view.verticalScrollBar()
        assert len(newest_first) == 50_000
        assert model.total == 50_000 and model.total_exact  # under SMALL_ROWS: counted

        def visible_ids() -> list[str | None]:
            first = page.view.rowAt(0)
            last = page.view.rowAt(page.view.viewport().height() - 1)
            last = last if last >= 0 else model.total - 1
            return [getattr(model.row_at(r), "id", None) for r in range(first, last + 1)]

        def check_visible_in_order() -> None:
            shown = visible_ids()
            assert shown and None not in shown
            pos = [newest_first.index(i) for i in shown]
            assert pos == list(range(pos[0], pos[0] + len(pos)))  # contiguous, in order

        # Jump to the end: the last rows come from a reversed keyset read.
        page.view.scrollToBottom()
        settle(qtbot, page)
        assert len(model.rows) <= model.max_rows
        assert model.at_bottom and model.rows[-1].id == newest_first[-1]
        check_visible_in_order()
        # Far jumps: seek by time.
        for fraction in (0.5, 0.25, 0.8):
            bar.setValue(int(bar.maximum() * fraction))
            settle(qtbot, page)
            assert len(model.rows) <= model.max_rows
            check_visible_in_order()
            first_shown = newest_first.index(visible_ids()[0])
            assert abs(first_shown / 50_000 - fraction) < 0.1
        # Scroll down page by page from the top, well past one window.
        bar.setValue(0)
        settle(qtbot, page)
        step = 3 * (page.view.rowAt(page.view.viewport().height() - 1) - page.view.rowAt(0))
        peak = 0
        for _ in range(int(3 * model.max_rows / step)):
            bar.setValue(bar.value() + step)
            settle(qtbot, page)
            peak = max(peak, len(model.rows))
            check_visible_in_order()
        assert peak <= model.max_rows and model.start > 0  # the front of the window was dropped
        # and back up to the top by pages again
        while bar.value() > 0:
            bar.setValue(max(0, bar.value() - 2 * step))
            settle(qtbot, page)
            assert len(model.rows) <= model.max_rows
            check_visible_in_order()
        assert visible_ids()[0] == newest_first[0]
    finally:
        database.close()


def test_stale_answers_are_dropped(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "executions", db)
    seen: list[list[str]] = []
    page.controller.loaded.connect(
        lambda: seen.append(sorted({r.raw["status"] for r in page.model.rows}))
    )
    page.apply_filters({"status": ["failed"]})
    page.apply_filters({"status": ["running"]})
    page.apply_filters({"status": ["completed"]})
    settle(qtbot, page)
    assert seen == [["completed"]]
    assert page.current_filters() == {"status": ["completed"]}


# ------------------------------------------------------------------ filters in the UI


def test_bad_json_shows_message_and_keeps_rows(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "workflows", db)
    before = model_ids(page)
    edit = page.filter_bar.text_edit("json")
    edit.setText('{"max_retries": ')
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    settle(qtbot, page)
    assert page.filter_bar.error.isVisible()
    assert "Invalid JSON at line 1, column 16" in page.filter_bar.error.text()
    assert model_ids(page) == before
    edit.setText('{"max_retries": 2}')
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    settle(qtbot, page)
    assert not page.filter_bar.error.isVisible()
    expected = sql_ids(
        db.engine,
        "SELECT id FROM workflows WHERE config @> '{\"max_retries\": 2}' ORDER BY name, id",
    )
    assert model_ids(page) == expected


def test_text_filter_with_quotes_and_wildcards(qtbot, ctx, db) -> None:
    with db.engine.begin() as conn:
        for name in ("50% done", "50_ done", "500 done", "it's \\ here"):
            conn.execute(text("INSERT INTO workflows (name) VALUES (:n)"), {"n": name})
    page = make_page(qtbot, ctx, "workflows", db)
    for needle, names in (
        ("50%", ["50% done"]),
        ("50_", ["50_ done"]),
        ("'s \\", ["it's \\ here"]),
    ):
        page.apply_filters({"text": needle})
        settle(qtbot, page)
        assert [r.raw["name"] for r in page.model.rows] == names


def test_chips_title_escape_and_remembered_filters(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "executions", db)
    titles: list[str] = []
    page.title_changed.connect(titles.append)
    page.apply_filters({"status": ["failed", "timeout"], "time_range": "24h", "bogus": 1})
    settle(qtbot, page)
    assert page.current_filters() == {"status": ["failed", "timeout"], "time_range": "24h"}
    assert page.title_suffix() == "last 24 h · Status: failed, timeout"
    assert titles[-1] == page.title_suffix()
    chips = [c.text() for c in page.chips.chips()]
    assert any("Status: failed, timeout" in c for c in chips)
    assert all(r.raw["status"] in ("failed", "timeout") for r in page.model.rows)
    # the filters are remembered for this profile
    again = make_page(qtbot, ctx, "executions", db)
    assert again.current_filters() == {"status": ["failed", "timeout"], "time_range": "24h"}
    # removing the status chip
    next(c for c in page.chips.chips() if c.objectName() == "chip_status").click()
    settle(qtbot, page)
    assert page.current_filters() == {"time_range": "24h"}
    # Esc clears everything
    page.clear_filters()
    settle(qtbot, page)
    assert page.current_filters() == {} and page.title_suffix() == "" and titles[-1] == ""
    assert not page.chips.isVisible()


def test_empty_state_says_what_to_do(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "executions", db)
    assert not page.empty.isVisible()
    page.apply_filters({"text": "exec-nothing-like-this"})
    settle(qtbot, page)
    assert page.model.total == 0 and page.empty.isVisible()
    assert page.empty.text() == "No executions match these filters — press Esc to clear them."
    disconnected = make_page(qtbot, ctx, "logs", None)
    assert "Not connected" in disconnected.empty.text()


def test_sort_on_indexed_columns_only(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "executions", db)
    page.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # execution_id: unique index
    settle(qtbot, page)
    labels = [r.raw["execution_id"] for r in page.model.rows[:5]]
    assert labels == [f"exec-0000000{n}" for n in range(1, 6)]
    page.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # workflow name: no index
    settle(qtbot, page)
    assert page.current_sort().name == "execution_id"
    assert any("no index" in m for m in ctx.extras["messages"])
    again = make_page(qtbot, ctx, "executions", db)
    assert again.current_sort().name == "execution_id" and not again.current_sort().descending


# ------------------------------------------------------------------ refresh, copy, menu, details


def test_refresh_keeps_selection_by_id(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "executions", db)
    page.view.selectRow(3)
    page.view.setCurrentIndex(page.model.index(3, 0))
    chosen = page.selected_ids()
    assert len(chosen) == 1
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workflow_executions (workflow_id, started_at)"
                " SELECT id, now() + interval '1 minute' FROM workflows LIMIT 2"
            )
        )
    page.refresh()
    settle(qtbot, page)

    assert page.selected_ids() == chosen
    assert page.model.view_row_of(chosen[0]) == 5
    assert page.view.currentIndex().row() == 5


def test_copy_rows_as_tsv_and_json(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "workflows", db)
    sel = page.view.selectionModel()
    for row in (0, 1):
        sel.select(page.model.index(row, 0), sel.SelectionFlag.Select | sel.SelectionFlag.Rows)
    assert len(page.selected_ids()) == 2
    page.copy_tsv()
    lines = QGuiApplication.clipboard().text().split("\n")
    assert lines[0].split("\t")[:2] == ["Name", "Status"]
    assert [line.split("\t")[0] for line in lines[1:]] == ["workflow-001", "workflow-002"]
    created = page.columns.index(next(c for c in page.columns if c.name == "created_at"))
    assert lines[1].split("\t")[created] == page.model.rows[0].raw["created_at"].isoformat()
    page.copy_json()
    docs = json.loads(QGuiApplication.clipboard().text())
    assert [d["id"] for d in docs] == page.selected_ids()
    assert docs[0]["name"] == "workflow-001" and "created_at" in docs[0]
    page.view.setCurrentIndex(page.model.index(1, 1))
    page.copy_cell()
    assert QGuiApplication.clipboard().text() == page.model.rows[1].texts[1]
    sel.clearSelection()
    sel.select(page.model.index(0, 0), sel.SelectionFlag.Select | sel.SelectionFlag.Rows)
    page.copy_tsv()  # one row: still with its header line
    assert QGuiApplication.clipboard().text().split("\n")[0].startswith("Name\tStatus")


@pytest.mark.expects_log_warnings(
    r"^console\.ui\.tables\.row_actions: context menu provider .*broken.* failed"
)
def test_context_menu_calls_providers(qtbot, ctx, db) -> None:
    calls: list[tuple[str, list[str]]] = []

    def provider(page: TablePage, menu) -> None:
        calls.append((page.key, page.selected_ids()))
        menu.addAction("Cancel execution")

    def broken(page: TablePage, menu) -> None:
        raise RuntimeError("provider bug")

    base.context_menu_providers.extend([broken, provider])
    try:
        page = make_page(qtbot, ctx, "executions", db)
        page.view.selectRow(2)
        menu = page.build_context_menu()
        texts = [a.text() for a in menu.actions()]
    finally:
        base.context_menu_providers.remove(broken)
        base.context_menu_providers.remove(provider)
    assert texts[:4] == ["Copy cell", "Copy rows as TSV", "Copy rows as JSON", "Open details"]
    assert "Cancel execution" in texts  # with the operator actions' own entries
    assert calls == [("executions", [page.model.rows[2].id])]


def test_enter_opens_execution_details_with_chain_and_logs(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "executions", db)
    page.apply_filters({"text": "exec-00000010"})
    settle(qtbot, page)
    page.view.setFocus()
    page.view.setCurrentIndex(page.model.index(0, 0))
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    settle(qtbot, page)
    detail = page.detail
    assert detail.title.text() == "exec-00000010"
    chain = [detail.chain.topLevelItem(i).text(0) for i in range(detail.chain.topLevelItemCount())]
    assert chain == ["↑ exec-00000004", "● exec-00000010", "  ↳ exec-00000016"]
    assert [detail.chain.topLevelItem(i).text(3) for i in range(3)] == ["0", "1", "2"]
    logs = sql_ids(
        db.engine,
        "SELECT l.id FROM execution_logs l JOIN workflow_executions e ON e.id = l.execution_id"
        " WHERE e.execution_id = 'exec-00000010' ORDER BY l.created_at DESC, l.id DESC",
    )
    assert [r.id for r in detail.logs.model.rows] == logs and len(logs) == 5
    # activating the parent in the chain (Return on it) shows it in the pane
    detail.chain.setCurrentItem(detail.chain.topLevelItem(0))
    qtbot.keyClick(detail.chain, Qt.Key.Key_Return)
    settle(qtbot, page)
    assert detail.title.text() == "exec-00000004"


def test_integration_detail_masks_secrets(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "integrations", db)
    page.view.setCurrentIndex(page.model.index(0, 0))
    page.open_details()
    settle(qtbot, page)
    config = page.detail.config.document()
    dumped = json.dumps(config)
    assert "tok-secret" not in dumped and "pw-" not in dumped and "CIPHERTEXT" not in dumped
    assert config["channel"].startswith("#ops-")
    assert page.detail.events.model.rows
    assert {r.raw["integration_id"] for r in page.detail.events.model.rows} == {
        page.model.rows[0].raw["id"]
    }
    # why: Status and Error first in its events; the counts open the Event queue filtered
    headers = [c.header for c in page.detail.events.columns]
    assert headers[:2] == ["Status", "Error"]
    opened: list = []
    page.detail.open_page.connect(lambda key, f: opened.append((key, f)))
    assert 'href="pending"' in page.detail.queue_links.text() or "0 pending" in (
        page.detail.queue_links.text()
    )
    page.detail.queue_links.linkActivated.emit("failed")
    integration = str(page.model.rows[0].raw["id"])
    assert opened == [("events", {"integration_id": integration, "status": ["failed"]})]


def test_estimate_until_exact_count_is_asked(qtbot, ctx, db, monkeypatch) -> None:
    from console.queries import counts

    monkeypatch.setattr(counts, "SMALL_ROWS", 0)  # as if large: an estimate first
    with db.engine.begin() as conn:  # rows the statistics do not know about yet
        conn.execute(
            text(
                "INSERT INTO execution_logs (execution_id, message)"
                " SELECT id, 'late' FROM workflow_executions LIMIT 100"
            )
        )
        exact = conn.execute(text("SELECT count(*) FROM execution_logs")).scalar()
    page = make_page(qtbot, ctx, "logs", db)
    assert not page.model.total_exact and page.model.total == exact - 100
    assert "(estimate" in page.count_label.text() and page.exact_button.isVisible()
    qtbot.mouseClick(page.exact_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert page.model.total_exact and page.model.total == exact
    assert page.count_label.text() == f"{exact:,} log lines"
    assert not page.exact_button.isVisible()


def test_each_table_says_how_old_its_rows_are(qtbot, ctx, db) -> None:
    """ "updated just now" after a read, ticking while shown; shown() re-reads old data only."""
    from console.ui.freshness import age_text

    assert [age_text(s) for s in (0.4, 3.2, 125, 7300)] == [
        "updated just now",
        "updated 3 s ago",
        "updated 2 min ago",
        "updated 2 h ago",
    ]
    page = make_page(qtbot, ctx, "executions", db)
    assert page.freshness.text() == "updated just now"
    assert page.freshness.isVisible() and page.freshness.toolTip().startswith("Read at ")
    qtbot.waitUntil(lambda: page.freshness.text() == "updated 2 s ago", timeout=4000)
    loads: list[int] = []
    page.controller.loaded.connect(lambda: loads.append(1))
    page.shown()  # 2 s old: read again
    settle(qtbot, page)
    assert loads == [1] and page.freshness.text() == "updated just now"
    page.shown()  # just read: not again
    settle(qtbot, page)
    assert loads == [1]
    page.set_database(None)
    assert page.freshness.text() == ""


def test_logs_are_readable_at_1024(qtbot, ctx, db) -> None:
    """Message right after Level and given the width left; short times, exact on hover;
    no detail pane until a row is opened; Ctrl+D toggles it and its width is remembered."""
    from datetime import UTC, datetime, timedelta

    from PySide6.QtWidgets import QStyleOptionViewItem

    from console.ui import timefmt
    from console.ui.tables.base import MiddleElide

    page = make_page(qtbot, ctx, "logs", db)
    page.resize(1024 - 180, 560)  # the page inside a 1024 px window (navigation on the left)
    qtbot.wait(50)
    headers = [c.header for c in page.columns]
    assert headers[:3] == ["Time", "Level", "Message"]
    assert page.detail.isHidden()
    header = page.view.horizontalHeader()
    others = sum(header.sectionSize(i) for i in range(len(headers)) if i != 2)
    assert header.sectionSize(2) == page.view.viewport().width() - others >= 300
    row = page.model.row_at(page.model.start)
    assert row.texts[0] == timefmt.clock(row.raw["created_at"])
    assert page.model.data(page.model.index(page.model.start, 0), 3).startswith(
        timefmt.exact(row.raw["created_at"], millis=True)
    )
    now = datetime(2026, 12, 1, 15, 4, 5, 678000, tzinfo=UTC)
    timefmt.set_utc(True)
    try:
        assert timefmt.clock(now, now) == "15:04:05.678"
        assert timefmt.clock(now - timedelta(days=2), now) == "11-29 15:04:05"
        assert timefmt.clock(now - timedelta(days=400), now) == "2025-10-27 15:04:05"
    finally:
        timefmt.set_utc(False)
    # ids keep both ends
    ex_col = headers.index("Execution")
    delegate = page.view.itemDelegateForColumn(ex_col)
    assert isinstance(delegate, MiddleElide)
    option = QStyleOptionViewItem()
    delegate.initStyleOption(option, page.model.index(page.model.start, ex_col))
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
    # the detail pane: opened by Enter, toggled by Ctrl+D, its width remembered
    page.view.setFocus()
    page.view.setCurrentIndex(page.model.index(page.model.start, 0))
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    settle(qtbot, page)
    assert page.details_shown() and page.detail.title.text()
    total = sum(page.splitter.sizes())
    page.splitter.setSizes([total - 300, 300])
    qtbot.keyClick(page.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert page.detail.isHidden()
    qtbot.keyClick(page.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert page.details_shown() and page.splitter.sizes()[1] == 300


def test_integration_detail_says_why_it_fails(qtbot, ctx, db) -> None:
    from sqlalchemy import text

    page = make_page(qtbot, ctx, "integrations", db)
    integration = page.model.rows[0].raw["id"]
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO integration_events (integration_id, event_type, payload, status,"
                " error_message, created_at) VALUES (:i, 'push', '{}', 'failed',"
                " 'HTTP 401 from api.example.com: token expired', now())"
            ),
            {"i": integration},
        )
    page.view.setCurrentIndex(page.model.index(0, 0))
    page.open_details()
    settle(qtbot, page)
    why = page.detail.why
    assert why.isVisible()
    assert "push: HTTP 401 from api.example.com: token expired" in why.text().splitlines()[1]


def test_export_all_matching_rows_and_a_selection_csv_and_json(
    qtbot, ctx, db, tmp_path, monkeypatch
) -> None:
    import csv

    from console.ui.tables import export

    monkeypatch.setattr(export, "BATCH", 7)  # several keyset batches even on the seed data
    page = make_page(qtbot, ctx, "executions", db)
    page.apply_filters({"status": ["completed", "failed"]})
    settle(qtbot, page)
    expected = sql_ids(
        db.engine,
        "SELECT id FROM workflow_executions WHERE status IN ('completed', 'failed')"
        " ORDER BY started_at DESC, id DESC",
    )
    assert len(expected) > 14
    target = tmp_path / "executions.csv"
    page.export_to(target, "csv")
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=30_000)
    assert page.last_export == (target, len(expected))
    # every row matching the filter: written by a process of its own (the window never
    # waits for the interpreter lock of a long export)
    assert page.exporter.child_pid not in (None, os.getpid())
    with target.open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["id", "Execution", "Workflow"]
    assert [r[0] for r in rows[1:]] == expected  # every row, in the page's order
    started = rows[0].index("Started")
    assert "T" in rows[1][started] and rows[1][started].endswith("+00:00")  # ISO 8601
    # a selection as JSON
    sel = page.view.selectionModel()
    for r in (0, 2):
        sel.select(page.model.index(r, 0), sel.SelectionFlag.Select | sel.SelectionFlag.Rows)
    page.last_export = None
    page.export_to(tmp_path / "two.json", "json", selection=True)
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=30_000)
    docs = json.loads((tmp_path / "two.json").read_text())
    assert [d["id"] for d in docs] == page.selected_ids()
    # cancelled: nothing is left behind
    page.last_export = None
    page.export_to(tmp_path / "cancelled.csv", "csv")
    page.cancel_export()
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=30_000)
    assert page.last_export[1] == -1
    assert not (tmp_path / "cancelled.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []


def test_column_chooser_hides_columns_and_remembers(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "executions", db)
    menu = page.columns_menu()
    titles = [a.text() for a in menu.actions()]
    assert titles == [c.header for c in page.columns]
    error = titles.index("Error")
    menu.actions()[error].setChecked(False)
    assert page.view.isColumnHidden(error)
    again = make_page(qtbot, ctx, "executions", db)  # a new page reads the saved header
    assert again.view.isColumnHidden(error)
    assert not again.columns_menu().actions()[error].isChecked()
    again.columns_menu().actions()[error].setChecked(True)
    assert not again.view.isColumnHidden(error) and again.view.columnWidth(error) >= 20


@pytest.mark.parametrize(
    ("key", "column", "sql"),
    [
        ("workflows", "status", "SELECT id FROM workflows ORDER BY status {d}, id {d}"),
        ("workflows", "updated_at", "SELECT id FROM workflows ORDER BY updated_at {d}, id {d}"),
        (
            "integrations",
            "health_status",
            "SELECT id FROM integrations ORDER BY health_status {d}, id {d}",
        ),
        ("integrations", "type", "SELECT id FROM integrations ORDER BY type {d}, id {d}"),
        ("executions", "status", "SELECT id FROM workflow_executions ORDER BY status {d}, id {d}"),
        (
            "logs",
            "level",  # by severity, not by spelling
            "SELECT id FROM execution_logs ORDER BY array_position("
            "ARRAY['DEBUG','INFO','WARNING','ERROR','CRITICAL'], level) {d}, id {d}",
        ),
        ("events", "status", "SELECT id FROM integration_events ORDER BY status {d}, id {d}"),
    ],
)
def test_tables_sort_by_status_and_indexed_columns(qtbot, ctx, db, key, column, sql) -> None:
    page = make_page(qtbot, ctx, key, db)
    index = next(i for i, c in enumerate(page.columns) if c.name == column)
    for order, d in ((Qt.SortOrder.AscendingOrder, "ASC"), (Qt.SortOrder.DescendingOrder, "DESC")):
        page.view.sortByColumn(index, order)
        settle(qtbot, page)
        assert page.current_sort().name == column
        expected = sql_ids(db.engine, sql.format(d=d))[: len(page.model.rows)]
        assert model_ids(page)[: len(expected)] == expected


def test_saved_views_per_page(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "executions", db)
    page.apply_filters({"status": ["failed"], "trigger_type": ["manual"]})
    settle(qtbot, page)
    assert page.save_view("failed by hand")
    page.apply_filters({"status": ["running"]})
    settle(qtbot, page)
    assert page.save_view("running")
    assert not page.save_view("   ")  # a view needs a name
    assert page.view_names() == ["failed by hand", "running"]
    page.clear_filters()
    settle(qtbot, page)
    page.apply_view("failed by hand")
    settle(qtbot, page)
    assert page.current_filters() == {"status": ["failed"], "trigger_type": ["manual"]}
    assert {r.raw["status"] for r in page.model.rows} == {"failed"}
    page.views_menu.aboutToShow.emit()  # as when the menu opens
    texts = [a.text() for a in page.views_menu.actions()]
    assert texts[:2] == ["failed by hand", "running"]
    page.delete_view("running")
    assert page.view_names() == ["failed by hand"]
    logs = make_page(qtbot, ctx, "logs", db)
    assert logs.view_names() == []  # views belong to their page
