"""Settings are declared once (key, type, default, meaning) and read through the declaration."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from console.queries.overview import DEFAULT_RANGE, DEFAULT_STUCK_EVENT_AFTER
from console.ui import settings
from console.ui.tail.model import DEFAULT_CAPACITY

ROOT = Path(__file__).resolve().parents[1]
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


STORE_CALLS = {"get", "put", "get_bool", "get_int", "remove", "save_bytes", "load_bytes"}
DECLARATION_MODULES = {"console/settings_store.py", "console/ui/settings.py"}


def key_literals(source: str) -> list[int]:
    """Lines where a settings key is written out at a call site: ``settings.get("x")``,
    ``settings_store.put(f"...", v)``, ``store().value("x")``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func, first = node.func, node.args[0]
        if not isinstance(first, ast.Constant | ast.JoinedStr):
            continue
        if not isinstance(first, ast.JoinedStr) and not isinstance(first.value, str):
            continue
        if not isinstance(func, ast.Attribute):
            continue
        owner = ast.unparse(func.value)
        through_store = owner in {"settings", "settings_store"} and func.attr in STORE_CALLS
        through_qsettings = owner.endswith("store()") and func.attr in {"value", "setValue"}
        if through_store or through_qsettings:
            lines.append(node.lineno)
    return lines


def test_no_settings_key_is_written_out_outside_its_declaration():
    assert key_literals('settings.get("window/page")\nsettings.WINDOW_PAGE.get()\n') == [1]
    assert key_literals('settings_store.put(f"a/{b}", 1)\nstore().value("x")\n') == [1, 2]
    found = []
    for path in sorted((ROOT / "console").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel not in DECLARATION_MODULES:
            found += [f"{rel}:{n}" for n in key_literals(path.read_text(encoding="utf-8"))]
    assert found == [], "settings keys written out at call sites: " + ", ".join(found)


def test_widget_states_are_declared_with_a_meaning():
    states = [v for v in vars(settings).values() if isinstance(v, settings.WidgetState)]
    assert {s.key for s in states} >= {"window/geometry", "window/state", "window/splitter"}
    assert all(s.meaning for s in states)
    keys = [s.key for s in states] + [s.key_pattern for s in DECLARED]
    assert len(set(keys)) == len(keys)
