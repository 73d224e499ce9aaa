"""Accessibility figures of the window: named controls, label buddies, contrast ratios.

On its own embedded server with the demo data (or ``--url``, a demo database it only
reads), the window at 1280x800 walks every page and each page's states (list, detail,
…), as tests/test_ui_a11y.py does, and counts per page: the visible interactive
controls and how many announce an empty accessible name; the visible labels, how many
are the buddy of a field, and how many look like a field's label (end in ":" or carry
a mnemonic) without one.  Then the WCAG contrast ratios computed from both palettes:
the lowest ratio of each group of text colours (status, health, level, muted, palette
text roles) against the backgrounds it is drawn on, selected text on the selection,
and the focus ring (AA asks 4.5:1 for text, 3:1 for a focus ring).

    python benchmarks/bench_a11y.py [--url URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication

    from console.ui.main_window import MainWindow

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def spin(app: QCoreApplication, win: MainWindow, seconds: float = 0.3, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while win.runner.in_flight() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def field_like(text: str) -> bool:
    from console.ui import a11y

    plain = text.strip()
    return "<" not in plain and (plain.endswith(":") or bool(a11y._MNEMONIC.search(plain)))


def walk(url: str) -> None:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication([])
    from console.profiles import Profile
    from console.ui import a11y
    from console.ui.main_window import build_main_window

    win = build_main_window(remember=False)
    win.build_pages()
    win.resize(1280, 800)
    win.show()
    win.connect_profile(Profile("a11y-figures", environment="dev", url=url))
    deadline = time.monotonic() + 120
    while win.state != "connected" and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    spin(app, win)
    print(
        f"{'page/state':<28} {'controls':>8} {'unnamed':>8} {'labels':>7} {'buddies':>8}"
        f" {'field label, no buddy':>22}"
    )
    totals = [0, 0, 0, 0, 0]
    seen_controls: set[int] = set()
    seen_labels: set[int] = set()
    for key in win.page_keys():
        win.show_page(key)
        spin(app, win)
        page = win.pages[key]
        for name, enter in [("list", lambda: None), *getattr(page, "screenshot_states", list)()]:
            enter()
            spin(app, win)
            controls = a11y.controls(win)
            unnamed = a11y.unnamed_controls(win)
            labels = [w for w in win.findChildren(QLabel) if w.isVisible() and w.text().strip()]
            buddies = [w for w in labels if w.buddy() is not None]
            loose = [w for w in labels if w.buddy() is None and field_like(w.text())]
            row = [len(controls), len(unnamed), len(labels), len(buddies), len(loose)]
            totals = [a + b for a, b in zip(totals, row, strict=True)]
            seen_controls |= {id(w) for w in controls}
            seen_labels |= {id(w) for w in labels}
            print(
                f"{key + '/' + name:<28} {row[0]:>8} {row[1]:>8} {row[2]:>7} {row[3]:>8}"
                f" {row[4]:>22}"
            )
            for w in unnamed:
                print(f"    unnamed: {a11y.describe(w)}")
            for w in loose:
                print(f"    label without buddy: {w.text()!r}")
    print(
        f"{'all states':<28} {totals[0]:>8} {totals[1]:>8} {totals[2]:>7} {totals[3]:>8}"
        f" {totals[4]:>22}"
    )
    print(f"distinct widgets: {len(seen_controls)} controls, {len(seen_labels)} labels")
    win.close()


def contrast_figures() -> None:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)  # the theme is applied to a GUI application
    from console.ui import a11y, theme

    role = QPalette.ColorRole
    print()
    print(f"{'contrast (lowest of the group)':<44} {'light':>7} {'dark':>7}   AA")
    rows: dict[str, list[float]] = {}
    for index, scheme in enumerate(("light", "dark")):
        palette = theme.light_palette() if scheme == "light" else theme.dark_palette()
        backgrounds = [palette.color(r) for r in (role.Base, role.AlternateBase, role.Window)]
        theme.apply_theme(app, scheme)
        groups: dict[str, list[QColor]] = {}
        for group in ("_STATUS", "_HEALTH", "_LEVEL"):
            groups[f"{group[1:].lower()} text on base/alternate/window"] = [
                QColor(pair[index]) for pair in getattr(theme, group).values()
            ]
        groups["muted text on base/alternate/window"] = [theme.muted_color()]
        groups["palette text roles on base/alternate/window"] = [
            palette.color(r)
            for r in (role.Text, role.WindowText, role.Link, role.PlaceholderText, role.ButtonText)
        ]
        for name, colours in groups.items():
            rows.setdefault(name, []).append(
                min(a11y.contrast(c, bg) for c in colours for bg in backgrounds)
            )
        rows.setdefault("selected text on the selection", []).append(
            a11y.contrast(palette.color(role.HighlightedText), palette.color(role.Highlight))
        )
        rows.setdefault("focus ring on base/alternate/window (3:1)", []).append(
            min(a11y.contrast(theme.focus_color(), bg) for bg in backgrounds)
        )
    theme.apply_theme(app, "light")
    for name, (light, dark) in rows.items():
        need = 3.0 if "(3:1)" in name else 4.5
        ok = "yes" if min(light, dark) >= need else "NO"
        print(f"{name:<44} {light:>6.2f}: {dark:>6.2f}:  {ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a demo database to read (default: its own server)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-a11y-home-"))
    os.environ["AUTOPR_CONSOLE_HOME"] = str(home)  # the operator's settings stay untouched
    try:
        if args.url:
            walk(args.url)
        else:
            import psycopg

            from console.db.embedded import EmbeddedServer
            from console.db.engine import EngineSettings, make_engine
            from console.db.migrator import ensure_schema
            from console.demo.dataset import DEFAULT_SEED, fill_demo

            root = Path(tempfile.mkdtemp(prefix="bench-a11y-"))
            server = EmbeddedServer(root / "srv")
            address = server.start()
            try:
                with psycopg.connect(address.conninfo("postgres"), autocommit=True) as conn:
                    conn.execute("CREATE DATABASE demo")
                engine = make_engine(address.url("demo"), EngineSettings(statement_timeout_ms=0))
                ensure_schema(engine, apply=True)
                fill_demo(engine, seed=DEFAULT_SEED)
                engine.dispose()
                walk(address.url("demo"))
            finally:
                server.stop(force=True)
                shutil.rmtree(root, ignore_errors=True)
        contrast_figures()
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
