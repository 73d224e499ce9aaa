"""PySide6 reads each later-imported module's source; with the console's check it keeps none."""

from __future__ import annotations

import sys
from pathlib import Path

from console.ui import pyside_sources
from tests.helpers.child import run_snippet

ROOT = Path(__file__).resolve().parents[1]

# Loads the window's module (which imports ~50 more from PySide6-using modules, as the
# application does) and reports which source files linecache holds afterwards.
CHILD = """
import json, linecache, sys
import PySide6.QtCore
from console.ui import pyside_sources
installed = pyside_sources.install() if sys.argv[1] == "install" else None
linecache.clearcache()
import console.ui.main_window
import PySide6.support.feature as feature
print(json.dumps({
    "installed": installed,
    "cached": sorted(f for f in linecache.cache if f.endswith(".py")),
    "flags": [feature.pyside_feature_dict.get(n) for n in
              ("console.ui.window.navigation", "console.secret_policy", "urllib.parse")],
}))
"""


def _child(mode: str) -> dict:
    return run_snippet(CHILD, mode, env={"QT_QPA_PLATFORM": "offscreen"})


def test_without_the_check_pyside_keeps_every_imported_source_in_linecache() -> None:
    got = _child("plain")
    # what install() is for: ~450 files and 10 MiB of lines once the Overview has loaded
    assert str(ROOT / "console" / "ui" / "window" / "navigation.py") in got["cached"]
    assert len(got["cached"]) > 20


def test_with_the_check_no_source_is_kept_and_pyside_gets_the_same_answers() -> None:
    plain, patched = _child("plain"), _child("install")
    assert patched["installed"] is True
    assert patched["cached"] == []
    # navigation names PySide6 (0: "uses PySide6, no feature"); the others do not (-1)
    assert patched["flags"] == plain["flags"] == [0, -1, -1]


def test_uses_pyside_reads_the_source_file() -> None:
    import email.message

    import console.db.urls
    import console.ui.theme

    assert pyside_sources.uses_pyside(console.ui.theme) is True
    assert pyside_sources.uses_pyside(console.db.urls) is False
    assert pyside_sources.uses_pyside(email.message) is False
    assert pyside_sources.uses_pyside(sys) is False  # builtin: no file
