"""The Ctrl+K palette: database matches against an SQL oracle, menu actions, opening a row."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import create_engine, text

from console.profiles import Profile
from console.queries.palette import search
from console.ui import reach
from console.ui.main_window import build_main_window

ENGINE_ID = "pr-review_2026-12-01T14:51:25.318347"
CONNECT_TIMEOUT_MS = 60_000


def oracle(conn, typed: str, limit: int = 8) -> list[tuple[str, str]]:
    """What the palette must find: plain starts_with over each table, no index tricks."""
    out: list[tuple[str, str]] = []
    for kind, table, column in (
        ("execution", "workflow_executions", "execution_id"),
        ("workflow", "workflows", "name"),
        ("integration", "integrations", "name"),
    ):
        rows = conn.execute(
            text(
                f"SELECT {column} FROM {table} WHERE starts_with({column}, :t)"
                f' ORDER BY {column} COLLATE "C" LIMIT {limit}'
            ),
            {"t": typed},
        ).scalars()
        out.extend((kind, r) for r in rows)
    return sorted(out)


@pytest.fixture
def demo_engine(demo_db_url):
    eng = create_engine(demo_db_url)
    with eng.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workflow_executions (workflow_id, execution_id, status, started_at,"
                " retry_count) SELECT id, :x, 'failed', now(), 0 FROM workflows ORDER BY name"
                " LIMIT 1"
            ),
            {"x": ENGINE_ID},
        )
    yield eng
    eng.dispose()


def test_palette_search_matches_the_sql_oracle(demo_engine) -> None:
    with demo_engine.connect() as conn:
        some_exec = conn.execute(
            text("SELECT execution_id FROM workflow_executions LIMIT 1")
        ).scalar()
        some_wf = conn.execute(text("SELECT name FROM workflows LIMIT 1")).scalar()
        some_int = conn.execute(text("SELECT name FROM integrations LIMIT 1")).scalar()
        uuid = conn.execute(
            text("SELECT id::text FROM workflow_executions WHERE execution_id = :x"),
            {"x": ENGINE_ID},
        ).scalar()
        typed_all = [
            "exec-",
            some_exec[:12],
            some_exec,
            "pr-review_2026-12-01T14:51",
            ENGINE_ID,
            some_wf[:3],
            some_int[:2],
            "zzz-nothing",
            "100%_\\",
        ]
        for typed in typed_all:
            got = sorted((m.kind, m.label) for m in search(conn, typed))
            assert got == oracle(conn, typed), typed
        assert [(m.kind, m.label) for m in search(conn, uuid.upper())] == [("execution", ENGINE_ID)]
        assert search(conn, "   ") == []


def test_palette_lists_menu_actions_and_opens_a_typed_execution(qtbot, demo_engine, demo_db_url):
    win = build_main_window(remember=False)
    hooks = reach.install(win)
    win.build_pages()
    qtbot.addWidget(win)
    win.show()
    win.connect_profile(Profile("demo", environment="dev", url=demo_db_url))
    qtbot.waitUntil(lambda: win.state == "connected", timeout=CONNECT_TIMEOUT_MS)
    palette = hooks.open_palette()
    assert palette.isVisible()

    texts = {e.text: e.hint for e in palette.static}
    assert texts["Refresh"].startswith("F5")
    assert texts["Go to Executions"] == win.page_shortcuts["executions"].key().toString()
    assert texts["Go to Executions"].startswith("Ctrl+")
    assert "Command palette" in texts and texts["Command palette"].startswith("Ctrl+K")
    actions = [e for e in palette.static if e.hint.endswith("Actions")]
    for wanted in ("Cancel selected executions", "Retry selected executions", "Requeue"):
        assert any(wanted in e.text for e in actions), [e.text for e in actions]

    qtbot.keyClicks(palette.input, "pr-review_2026-12")
    # Enter at once: the palette waits for the rows of what was typed, then opens the first.
    qtbot.keyClick(palette.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not palette.isVisible(), timeout=10_000)
    assert palette.answered_for == "pr-review_2026-12"
    with demo_engine.connect() as conn:
        want = [label for kind, label in oracle(conn, "pr-review_2026-12")]
    assert [e.text for e in palette.db_entries] == want == [ENGINE_ID]
    assert palette.last_query_ms is not None
    page = win.pages["executions"]
    qtbot.waitUntil(lambda: bool(page.selected_ids()), timeout=CONNECT_TIMEOUT_MS)
    assert page.model.row_at(page.view.currentIndex().row()).raw["execution_id"] == ENGINE_ID

    # A page by name: typed words filter the window's own entries.
    palette = hooks.open_palette()
    qtbot.keyClicks(palette.input, "go to logs")
    assert palette.shown[0].text == "Go to Logs"
    qtbot.keyClick(palette.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.current_key() == "logs", timeout=10_000)
    win.close()
