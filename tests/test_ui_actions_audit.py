"""The Audit page: newest first, keyset paging, filters, before/after detail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from console.actions.audit_query import AuditFilter, fetch_audit
from console.actions.errors import BulkItem
from console.actions.executions import bulk_cancel
from console.actions.workflows import set_workflow_status
from console.db.connection import Database
from console.ui.actions import audit_page
from console.ui.pages import PageContext
from console.ui.tasks import TaskRunner
from tests.helpers.actions import execution, make_ctx, workflow


@pytest.fixture
def page(qtbot, dev_db: Database) -> Iterator[audit_page.AuditPage]:
    runner = TaskRunner()
    widget = audit_page.AuditPage(PageContext(runner=runner))
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    yield widget
    runner.wait_idle()


def _seed(engine: Engine, n: int) -> None:
    wf = workflow(engine, "nightly", status="active")
    items = [BulkItem(execution(engine, wf["id"], "running")["execution_id"]) for _ in range(n)]
    bulk_cancel(make_ctx(engine), items)
    set_workflow_status(make_ctx(engine), "nightly", "inactive")


def _wait_loaded(qtbot, page) -> None:
    qtbot.waitUntil(lambda: page.runner.in_flight() == 0 and "shown" in page.status_label.text())


def test_lists_newest_first_and_pages_by_keyset(qtbot, page, dev_db, engine, monkeypatch):
    monkeypatch.setattr(audit_page, "PAGE_SIZE", 4)
    _seed(engine, 9)
    page.set_database(dev_db)
    _wait_loaded(qtbot, page)
    assert len(page.model.rows) == 4
    assert page.model.rows[0]["action"] == "workflow.set_status"  # the latest action
    page.load_more()
    qtbot.waitUntil(lambda: len(page.model.rows) == 8)
    page.load_more()
    qtbot.waitUntil(lambda: len(page.model.rows) == 10)
    assert not page.more_button.isEnabled()
    keys = [(r["occurred_at"], r["id"]) for r in page.model.rows]
    assert keys == sorted(keys, reverse=True)
    assert len({r["id"] for r in page.model.rows}) == 10


def test_filters_and_detail(qtbot, page, dev_db, engine, tmp_path):
    _seed(engine, 3)
    page.set_database(dev_db)
    _wait_loaded(qtbot, page)
    page.apply_filters({"action": "execution.cancel"})
    qtbot.waitUntil(lambda: len(page.model.rows) == 3)
    page.view.selectRow(0)
    assert '"status": "running"' in page.before_text.toPlainText()
    assert '"status": "cancelled"' in page.after_text.toPlainText()
    assert "execution.cancel" in page.detail_title.text()
    page.grab().save(str(tmp_path / "ui_actions_audit.png"))
    page.apply_filters({"target_table": "workflows"})
    qtbot.waitUntil(lambda: len(page.model.rows) == 1)
    page.apply_filters({"actor": "no-such-user"})
    qtbot.waitUntil(lambda: page.runner.in_flight() == 0 and len(page.model.rows) == 0)
    page.apply_filters({"action": "workflow.", "time_range": "1h"})
    qtbot.waitUntil(lambda: len(page.model.rows) == 1)
    page.apply_filters({"time_to": "2000-01-01T00:00:00+00:00"})
    qtbot.waitUntil(lambda: page.runner.in_flight() == 0 and len(page.model.rows) == 0)
    page.apply_filters({"time_from": "2000-01-01T00:00:00+00:00"})
    qtbot.waitUntil(lambda: len(page.model.rows) == 4)


def test_fetch_audit_time_bounds(engine: Engine) -> None:
    _seed(engine, 2)
    now = datetime.now(UTC)
    assert len(fetch_audit(engine, AuditFilter(time_to=now.replace(year=2000)))) == 0
    assert len(fetch_audit(engine, AuditFilter(time_from=now.replace(year=2000)))) == 3
    # LIKE wildcards in the actor filter are taken literally.
    assert fetch_audit(engine, AuditFilter(actor="%")) == []


def test_disconnect_clears(qtbot, page, dev_db, engine):
    _seed(engine, 1)
    page.set_database(dev_db)
    _wait_loaded(qtbot, page)
    page.set_database(None)
    assert page.model.rowCount() == 0
