"""Bad input reaching real pages: filters saved in console.ini and the custom range picker.

A page reads its saved filters on every connect; whatever console.ini holds (a
hand edit, an older version's format, wrong JSON types, the first and last
representable day) must leave the page working, keep the usable filters and say
in one line what was not applied.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime

from console.ui import settings
from console.ui.actions.json_editor import JsonEditorDialog
from console.ui.tables.filterbar import CustomRangeDialog
from console.ui.tasks import TaskRunner
from tests.helpers.time_zone import local_zone
from tests.helpers.ui_tables import make_page, model_ids, settle

PROFILE = "tables-test"
# (page, what console.ini holds, the filters kept, the key reported as not applied)
SAVED = [
    ("workflows", {"status": 5, "text": "workflow-01"}, {"text": "workflow-01"}, "status"),
    (
        "executions",
        {"time_range": {"a": 1}, "status": ["failed"]},
        {"status": ["failed"]},
        "time_range",
    ),
    (
        "logs",
        {"min_level": ["ERROR"], "time_from": "0001-01-01"},
        {"time_from": "0001-01-01"},
        "min_level",
    ),
    ("integrations", {"health": [["x"]], "text": 3}, {}, "health"),
    (
        "events",
        {"status": "pending", "time_to": "9999-12-31", "json": 7},
        {"status": "pending", "time_to": "9999-12-31"},
        "json",
    ),
]


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles"])
def test_saved_filters_of_any_type_never_break_a_page(qtbot, ctx, db, zone) -> None:
    messages = ctx.extras["messages"]
    with local_zone(zone):
        for key, saved, kept, reported in SAVED:
            settings.put(settings.page_key(key, "filters", PROFILE), json.dumps(saved))
            messages.clear()
            page = make_page(qtbot, ctx, key, db)
            notes = [m for m in messages if "Saved filter" in m]
            reference = make_page(qtbot, ctx, key, None)
            reference.set_database(db)
            reference.apply_filters(kept)
            settle(qtbot, reference)
            assert page.current_filters() == kept, key
            assert model_ids(page) == model_ids(reference), key
            assert page.model.rows or key == "integrations"
            assert len(notes) == 1 and reported in notes[0] and "\n" not in notes[0], messages
            print(f"{key}: {notes[0]}")


def test_hand_edited_console_ini_never_breaks_a_page(qtbot, ctx, db) -> None:
    """Written the way a person edits the file: JSON without INI quoting (QSettings
    splits it at the commas), broken JSON, another JSON type, a 5,000-digit number."""
    messages = ctx.extras["messages"]
    path = Path(settings.settings_file())
    for value in (
        '{"status": ["active", "draft"], "time_from": "0001-01-01"}',
        '"{not json"',
        '"[1, 2]"',
        "9" * 5_000,
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"[profiles]\n{PROFILE}\\pages\\workflows\\filters={value}\n")
        messages.clear()
        page = make_page(qtbot, ctx, "workflows", db)
        assert page.current_filters() == {} and page.model.rows
        notes = [m for m in messages if "Saved filter" in m]
        assert len(notes) == 1 and "\n" not in notes[0], messages
        print(notes[0][:100])


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_custom_range_picker_first_and_last_day(qtbot, ctx, db, zone) -> None:
    with local_zone(zone):
        page = make_page(qtbot, ctx, "executions", db)
        everything = model_ids(page)
        dialog = CustomRangeDialog(page, datetime(2026, 1, 1), datetime(2026, 1, 2))
        qtbot.addWidget(dialog)
        dialog.start.setDateTime(dialog.start.minimumDateTime())
        dialog.end.setDateTime(QDateTime.fromString("9999-12-31 23:59:59", "yyyy-MM-dd HH:mm:ss"))
        start, end = dialog.range()
        page.apply_filters({"time_from": start, "time_to": end})
        settle(qtbot, page)
        assert page.filter_bar.error.text() == ""
        assert model_ids(page) == everything and everything
        labels = page.title_suffix()
        assert "9999-12-31" in labels, labels
        print(f"{zone}: {labels}")


def test_filter_box_explains_a_huge_integer_and_keeps_the_rows(qtbot, ctx, db) -> None:
    page = make_page(qtbot, ctx, "workflows", db)
    shown = model_ids(page)
    page.apply_filters({"json": '{"max_retries": %s}' % ("9" * 5_000)})
    settle(qtbot, page)
    message = page.filter_bar.error.text()
    assert "5000 digits" in message and "\n" not in message, message
    assert model_ids(page) == shown  # the previous answer stays
    print(message)


def test_config_editor_explains_a_huge_integer_and_saves_backslash_u0000(qtbot) -> None:
    runner = TaskRunner()
    saved: list = []
    huge = '{"max_retries": %s}' % ("9" * 5_000)
    dialog = JsonEditorDialog("Config", "workflow.config", huge, saved.append, runner)
    qtbot.addWidget(dialog)
    dialog.try_save()
    assert "5000 digits" in dialog.status.text() and dialog.text() == huge  # nothing lost
    print(dialog.status.text())
    six = '{"note": "C:\\\\u0000"}'  # the text C:\u0000, not a NUL
    dialog.editor.setPlainText(six)
    dialog.try_save()
    qtbot.waitUntil(lambda: bool(saved), timeout=5_000)
    assert saved == [{"note": "C:\\u0000"}]
    runner.wait_idle()
