"""Accessibility: every visible control is named, every text colour reads (WCAG AA),
and the window fits the screen at 150 % and 200 % scaling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette

from console.ui import a11y, theme
from console.ui.main_window import MainWindow
from tests.helpers.windows import connected_window, each_page_state

AA = 4.5


@pytest.fixture
def win(qtbot, demo_db_url) -> Iterator[MainWindow]:
    with connected_window(qtbot, demo_db_url, "demo-a11y") as window:
        yield window


def test_every_visible_control_on_every_page_has_an_accessible_name(qtbot, win):
    seen = 0
    for where in each_page_state(qtbot, win):
        controls = a11y.controls(win)
        seen += len(controls)
        unnamed = [a11y.describe(w) for w in a11y.unnamed_controls(win)]
        assert unnamed == [], f"{where}: {unnamed}"
        unbound = [label.text() for label in a11y.labels_without_buddy(win)]
        assert unbound == [], f"{where}: labels with a mnemonic and no field"
    assert seen > 100  # the walk did see the pages' controls
    # the dialogs a keyboard user meets
    win.show_shortcuts()
    assert a11y.unnamed_controls(win.shortcuts_dialog) == []
    win.shortcuts_dialog.close()


def _text_colours(index: int) -> dict[str, QColor]:
    colours = {}
    for group in ("_STATUS", "_HEALTH", "_LEVEL"):
        for key, pair in getattr(theme, group).items():
            colours[f"{group[1:].lower()} {key}"] = QColor(pair[index])
    return colours


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_and_status_colour_meets_wcag_aa(qapp, scheme):
    """Ratios computed from the palettes themselves: text against every background it is
    drawn on, selected text on the selection, the focus ring against the window (3:1)."""
    index = 0 if scheme == "light" else 1
    palette = theme.light_palette() if scheme == "light" else theme.dark_palette()
    role = QPalette.ColorRole
    backgrounds = {
        name: palette.color(r)
        for name, r in (("base", role.Base), ("alternate rows", role.AlternateBase))
    }
    backgrounds["window"] = palette.color(role.Window)
    colours = _text_colours(index)
    theme.apply_theme(qapp, scheme)
    try:
        colours["muted"] = theme.muted_color()
        for key in ("failed", "completed", "timeout", "cancelled", "running"):
            colours[f"tail banner on {key}"] = theme.text_on(theme.status_color(key))
        focus = theme.focus_color()
        banner = {key: theme.status_color(key) for key in ("failed", "completed", "timeout")}
    finally:
        theme.apply_theme(qapp, "light")
    for r in (role.Text, role.WindowText, role.Link, role.PlaceholderText, role.ButtonText):
        colours[f"palette {r.name}"] = palette.color(r)
    failures = []
    for name, colour in colours.items():
        if name.startswith("tail banner on "):
            ratio = a11y.contrast(colour, banner.get(name.rsplit(" ", 1)[1], colour))
            if name.rsplit(" ", 1)[1] in banner and ratio < AA:
                failures.append((name, round(ratio, 2)))
            continue
        for where, bg in backgrounds.items():
            ratio = a11y.contrast(colour, bg)
            if ratio < AA:
                failures.append((f"{name} on {where}", round(ratio, 2)))
    selected = a11y.contrast(palette.color(role.HighlightedText), palette.color(role.Highlight))
    if selected < AA:
        failures.append(("selected text", round(selected, 2)))
    for where, bg in backgrounds.items():
        if a11y.contrast(focus, bg) < 3.0:
            failures.append((f"focus ring on {where}", round(a11y.contrast(focus, bg), 2)))
    for env in ("prod", "staging", "dev", "local"):
        ratio = a11y.contrast(theme.environment_text_color(env), theme.environment_color(env))
        if ratio < AA:
            failures.append((f"{env} banner", round(ratio, 2)))
    assert failures == []


def test_contrast_formula():
    assert a11y.contrast(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert a11y.contrast(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)


_FIT = """
from PySide6.QtWidgets import QApplication
app = QApplication([])
from console.ui.main_window import build_main_window
w = build_main_window(remember=False)
w.build_pages()
w.show()
app.processEvents()
import json
area = app.primaryScreen().availableGeometry()
print(json.dumps([w.frameGeometry().getRect(), area.getRect()]))
"""


@pytest.mark.parametrize("scale", ["1.5", "2"])
def test_the_window_fits_a_1920x1080_screen_at_150_and_200_percent(tmp_path, scale):
    config = tmp_path / "screen.json"
    config.write_text(
        json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": 1920, "height": 1080}]})
    )
    env = {
        **os.environ,
        "QT_SCALE_FACTOR": scale,
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "AUTOPR_CONSOLE_HOME": str(tmp_path / "home"),
    }
    out = subprocess.run(
        [sys.executable, "-c", _FIT], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    (x, y, w, h), (ax, ay, aw, ah) = json.loads(out.stdout.strip().splitlines()[-1])
    assert (aw, ah) == (1920 / float(scale), 1080 / float(scale))
    assert ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah
