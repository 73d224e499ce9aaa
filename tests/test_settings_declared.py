"""Settings are declared once (key, type, default, meaning) and read through the declaration."""

from __future__ import annotations

import pytest

from console.queries.overview import DEFAULT_RANGE, DEFAULT_STUCK_EVENT_AFTER
from console.ui import settings
from console.ui.tail.model import DEFAULT_CAPACITY

DECLARED = [v for v in vars(settings).values() if isinstance(v, settings.Setting)]


def test_every_setting_is_declared_with_a_meaning_and_a_default_of_its_type():
    assert len(DECLARED) >= 10
    assert len({s.key_pattern for s in DECLARED}) == len(DECLARED)
    for s in DECLARED:
        assert s.meaning and isinstance(s.default, s.kind), s.key_pattern


def test_defaults_agree_with_the_layers_that_use_them():
    assert settings.OVERVIEW_RANGE.default == DEFAULT_RANGE
    assert settings.OVERVIEW_STUCK_MINUTES.default * 60 == DEFAULT_STUCK_EVENT_AFTER.total_seconds()
    assert settings.TAIL_CAPACITY.default == DEFAULT_CAPACITY


def test_values_of_the_wrong_type_read_as_the_default(qapp):
    settings.put(settings.THEME.key(), 42)
    assert settings.THEME.get() == "system"
    settings.put(settings.AUTO_REFRESH_S.key(), "often")
    assert settings.AUTO_REFRESH_S.get() == settings.AUTO_REFRESH_S.default
    settings.UTC.put(True)
    assert settings.UTC.get() is True
    settings.PAGE_SORT.put("started:desc", "executions")
    assert settings.store().value("pages/executions/sort") == "started:desc"
    assert settings.PAGE_SORT.get("executions") == "started:desc"
    with pytest.raises(ValueError):
        settings.PAGE_SORT.key()
