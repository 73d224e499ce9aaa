"""Table pages under test: the page classes, a seeded database, a page context, settling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from console.db.connection import Database, open_database
from console.profiles import profile_from_url
from console.ui.pages import PageContext
from console.ui.tables.base import TablePage
from console.ui.tables.events_page import EventsPage
from console.ui.tables.executions_page import ExecutionsPage
from console.ui.tables.integrations_page import IntegrationsPage
from console.ui.tables.logs_page import LogsPage
from console.ui.tables.workflows_page import WorkflowsPage
from console.ui.tasks import TaskRunner
from tests.helpers.seeding import seed_engine

PAGES = {
    "workflows": WorkflowsPage,
    "executions": ExecutionsPage,
    "logs": LogsPage,
    "integrations": IntegrationsPage,
    "events": EventsPage,
}


@pytest.fixture
def seeded_url(db_url: str) -> str:
    from console.db.engine import make_engine

    eng = make_engine(db_url)
    try:
        seed_engine(eng)
    finally:
        eng.dispose()
    return db_url


def connect(url: str) -> Database:
    return open_database(profile_from_url(url, name="tables-test"))


@pytest.fixture
def db(seeded_url: str) -> Iterator[Database]:
    database = connect(seeded_url)
    yield database
    database.close()


@pytest.fixture
def ctx(qtbot) -> Iterator[PageContext]:
    runner = TaskRunner()
    messages: list[str] = []
    context = PageContext(runner=runner, show_status=messages.append)
    context.extras["messages"] = messages
    yield context
    runner.wait_idle()


def settle(qtbot, page: TablePage) -> None:
    """Wait until no read is in flight or planned, twice in a row (paints plan new reads)."""
    runner = page.ctx.runner
    models = [page.model]
    for name in ("logs", "events"):
        sub = getattr(page.detail, name, None)
        if sub is not None and hasattr(sub, "model"):
            models.append(sub.model)

    def idle() -> bool:
        return runner.in_flight() == 0 and all(m.in_flight is None for m in models)

    for _ in range(3):
        qtbot.waitUntil(idle, timeout=15_000)
        qtbot.wait(30)
    qtbot.waitUntil(idle, timeout=15_000)


def make_page(qtbot, ctx: PageContext, key: str, db: Database | None) -> TablePage:
    page = PAGES[key](ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    page.set_database(db)
    settle(qtbot, page)
    return page


def model_ids(page: TablePage) -> list[str]:
    return [r.id for r in page.model.rows]


def sql_ids(engine: Engine, sql: str, **params: Any) -> list[str]:
    with engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(text(sql), params)]


# ------------------------------------------------------------------ rows per filter
