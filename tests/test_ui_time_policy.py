"""One time format policy (console.ui.timefmt) on every page: every time shown in a
label, a table cell or a tooltip is one of the policy's forms, and the exact ones follow
the UTC setting."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QAbstractListModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel

from console.ui import timefmt
from console.ui.main_window import MainWindow
from tests.helpers.windows import connected_window, each_page_state

ZONE = r"[A-Z]{2,5}|[+-]\d{4}"
POLICY = re.compile(
    "|".join(
        (
            rf"\d{{4}}-\d{{2}}-\d{{2}} \d{{2}}:\d{{2}}:\d{{2}}(\.\d{{3}})? (?:{ZONE})",  # exact
            r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",  # clock, another year
            r"\d{2}-\d{2} \d{2}:\d{2}:\d{2}",  # clock, this year
            r"\d{2}:\d{2}:\d{2}(\.\d{3})?",  # clock / short, today
            r"[A-Z][a-z]{2} \d{2} \d{2}:\d{2}",  # short, this year
        )
    )
)
EXACT = re.compile(rf"\d{{4}}-\d{{2}}-\d{{2}} \d{{2}}:\d{{2}}:\d{{2}}(\.\d{{3}})? ({ZONE})")
TIME_OF_DAY = re.compile(r"\d:\d\d")


@pytest.fixture
def win(qtbot, demo_db_url) -> Iterator[MainWindow]:
    with connected_window(qtbot, demo_db_url, "demo-times", remember=False) as window:
        yield window
    timefmt.set_utc(False)


def shown_texts(win: MainWindow) -> list[tuple[str, str]]:
    """(where, text) of every visible label, and the cells and tooltips of the views."""
    out: list[tuple[str, str]] = []
    for label in win.findChildren(QLabel):
        if label.isVisible():
            out += [(f"label {label.objectName()}", label.text()), ("tip", label.toolTip())]
    for view in win.findChildren(QAbstractItemView):
        model = view.model()
        if not view.isVisible() or model is None:
            continue
        root = view.rootIndex()
        for row in range(min(model.rowCount(root), 40)):
            columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount(root)
            for col in range(columns):
                index = model.index(row, col, root)
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    value = index.data(role)
                    if isinstance(value, str):
                        out.append((f"{view.objectName()}[{row},{col}]", value))
    return out


def off_policy(texts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(w, t) for w, t in texts if TIME_OF_DAY.search(POLICY.sub("", t))]


def test_every_page_shows_times_in_the_policys_forms_and_follows_utc(qtbot, win) -> None:
    seen_times = 0
    for utc in (False, True):
        win.utc_action.setChecked(utc)
        assert timefmt.use_utc() is utc
        for where in each_page_state(qtbot, win):
            texts = shown_texts(win)
            assert off_policy(texts) == [], where
            exact = [m for _, t in texts for m in EXACT.finditer(t)]
            seen_times += len(exact)
            if utc:
                assert {m.group(2) for m in exact} <= {"UTC"}, where
    assert seen_times > 50  # the walk did see times (tables, details, Overview tooltips)
