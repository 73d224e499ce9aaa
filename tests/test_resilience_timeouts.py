"""Statement timeout per profile, and cancelling a running query from the window (issue 7, item 2).

``pg_sleep`` stands for a query that takes too long.  The cancel must stop the
statement on the server (it leaves ``pg_stat_activity``), not just drop the
answer.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from console.db.connection import open_database
from console.profiles import Profile
from console.ui.tables.controller import user_message
from tests.helpers.windows import shown_window

WAIT_MS = 30_000


def _sleepers(conninfo: str) -> int:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(%'"
        ).fetchone()[0]


def test_the_profile_statement_timeout_stops_a_slow_query(db_url: str) -> None:
    db = open_database(Profile("slow", environment="dev", url=db_url, statement_timeout_ms=200))
    try:
        with pytest.raises(OperationalError) as caught, db.engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(30)"))
        assert "statement timeout" in str(caught.value)
        assert user_message(caught.value).startswith("The query took too long")
        with db.engine.connect() as conn:  # the pool is fine afterwards
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        db.close()


@pytest.fixture
def window(qtbot) -> Iterator:
    win = shown_window(qtbot, size=None)
    yield win
    win.close()


def test_cancel_from_the_window_stops_the_statement_on_the_server(qtbot, window, db_url) -> None:
    window.connect_profile(Profile("cancel-me", environment="dev", url=db_url))
    qtbot.waitUntil(lambda: window.state == "connected", timeout=WAIT_MS)
    db = window.db
    conninfo = db.conninfo()
    outcome: list[BaseException | str] = []

    def slow() -> None:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(600)"))

    window.runner.submit(
        slow, lambda _r: outcome.append("finished"), outcome.append, owner=window, key="slow"
    )
    qtbot.waitUntil(lambda: _sleepers(conninfo) == 1, timeout=WAIT_MS)
    assert window.canceller is not None and window.canceller.in_use() >= 1

    window.cancel_action.trigger()
    qtbot.waitUntil(lambda: bool(outcome), timeout=WAIT_MS)
    assert isinstance(outcome[0], OperationalError)
    assert user_message(outcome[0]) == "The query was cancelled."
    assert _sleepers(conninfo) == 0  # stopped on the server, not merely forgotten
    assert window.state == "connected"
    with db.engine.connect() as conn:  # and the connection is usable again
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_cancel_with_nothing_running_is_harmless(qtbot, window, db_url) -> None:
    window.connect_profile(Profile("idle", environment="dev", url=db_url))
    qtbot.waitUntil(lambda: window.state == "connected", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.runner.in_flight() == 0, timeout=WAIT_MS)
    window.cancel_queries()
    qtbot.wait(200)
    with window.db.engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
