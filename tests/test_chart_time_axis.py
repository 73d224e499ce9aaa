"""The Overview chart's time axis follows the time-format policy and its UTC setting."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from console.queries.overview import StatusBuckets, make_window
from console.ui import timefmt
from console.ui.overview.chart import StatusChart

NOW = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)
ZONE = "America/New_York"


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", ZONE)
    time.tzset()
    yield
    timefmt.set_utc(False)
    monkeypatch.undo()
    time.tzset()


def chart_for(qtbot, range_key: str) -> tuple[StatusChart, list[datetime]]:
    window = make_window(range_key, NOW)
    n = window.range.buckets
    chart = StatusChart()
    qtbot.addWidget(chart)
    chart.resize(800, 300)
    chart.set_data(StatusBuckets(window, {"completed": [1] * n}))
    return chart, [window.start + i * window.range.bucket for i in range(n + 1)]


def test_axis_labels_follow_the_utc_setting(qtbot, new_york) -> None:
    chart, edges = chart_for(qtbot, "24h")
    timefmt.set_utc(False)
    local = chart.axis_labels()
    assert local == [e.astimezone(ZoneInfo(ZONE)).strftime("%H:%M") for e in edges]
    timefmt.set_utc(True)
    assert chart.axis_labels() == [e.strftime("%H:%M") for e in edges]
    assert chart.axis_labels() != local
    chart.grab()  # paints through the same labels


def test_day_buckets_are_labelled_by_date(qtbot, new_york) -> None:
    chart, edges = chart_for(qtbot, "30d")
    timefmt.set_utc(True)
    labels = chart.axis_labels()
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{2}", t) for t in labels)
    assert labels[-1] == edges[-1].strftime("%b %d")
