"""Log retention from the window: the confirmation names lines and bytes; the removal is guarded."""

from __future__ import annotations

import psycopg
from PySide6.QtWidgets import QWidget

from console.actions.guard import WriteGuard
from console.db.connection import open_database
from console.db.urls import libpq_conninfo, normalize_url
from console.profiles import Profile
from console.ui.actions.controller import ActionController
from console.ui.actions.dialogs import ConfirmDialog
from console.ui.actions.retention import ask_age, retain
from console.ui.tasks import TaskRunner
from tests.helpers.retention import AGES_DAYS, expected_after, fill_aged_lines, messages


def test_confirm_then_remove_through_the_guard(db_url: str, qtbot) -> None:
    conninfo = libpq_conninfo(normalize_url(db_url))
    fill_aged_lines(conninfo)
    db = open_database(Profile("stage", environment="staging", url=db_url))
    try:
        parent = QWidget()
        qtbot.addWidget(parent)
        statuses: list[str] = []
        controller = ActionController(
            parent,
            TaskRunner(parent),
            db,
            WriteGuard("stage", "staging"),
            show_status=statuses.append,
        )
        asked = ask_age(controller)
        assert asked.intValue() == 90
        asked.setIntValue(100)
        asked.accept()
        qtbot.waitUntil(lambda: isinstance(controller.dialog, ConfirmDialog), timeout=10_000)
        dialog = controller.dialog
        text = " ".join(
            w.text() for w in dialog.findChildren(type(dialog.question)) if hasattr(w, "text")
        )
        removed = sum(1 for d in AGES_DAYS if d >= 100) * 3
        assert f"Remove {removed:,} log lines" in text
        assert "frees about" in text and "pending/running executions are kept" in text
        assert len(messages(conninfo)) == len(AGES_DAYS) * 3 + 1  # nothing before the answer
        dialog.accept()
        qtbot.waitUntil(lambda: any("removed" in s for s in statuses), timeout=15_000)
        assert messages(conninfo) == expected_after(100)
        with psycopg.connect(conninfo) as conn:
            audited = conn.execute(
                "SELECT count(*) FROM audit_log WHERE action = 'logs.retain'"
            ).fetchone()[0]
        assert audited >= 1
        # nothing older left: says so, no dialog
        retain(controller, 100)
        qtbot.waitUntil(lambda: any("no log lines older" in s for s in statuses), timeout=10_000)
    finally:
        db.close()
