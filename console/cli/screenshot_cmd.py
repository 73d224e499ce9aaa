"""``autopr-console screenshot DIR``: render every view and detail pane to PNG files, offscreen.

Pages may offer ``screenshot_states()`` (see :mod:`console.ui.pages`) to put
themselves into named detail states; each one becomes ``NN-<page>-<state>.png``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from console.cli import CommandError

if TYPE_CHECKING:
    from console.db.connection import Database
    from console.ui.main_window import MainWindow

QUIET_S = 0.3  # no query in flight for this long: the page has settled
SETTLE_TIMEOUT_S = 30.0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser(
        "screenshot",
        parents=[common],
        help="render every view and detail pane to PNG files (offscreen) and exit",
    )
    p.add_argument("directory", type=Path, metavar="DIR", help="where the PNG files go")
    p.add_argument("--theme", choices=("light", "dark"), default="light")
    p.add_argument("--size", default="1280x800", metavar="WxH", help="window size in pixels")
    p.add_argument(
        "--yes", action="store_true", help="apply pending migrations on staging/prod profiles"
    )
    p.set_defaults(func=run_screenshot)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(part) for part in text.lower().split("x", 1))
    except ValueError:
        raise CommandError(f"--size must look like 1280x800 (got {text!r})", 2) from None
    if not (320 <= w <= 7680 and 240 <= h <= 4320):
        raise CommandError("--size must be between 320x240 and 7680x4320", 2)
    return w, h


def run_screenshot(args: argparse.Namespace) -> int:
    size = _size(args.size)
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # never needs a display
    from console.cli.common import open_from_args

    db = open_from_args(args)
    try:
        args.directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        db.close()
        raise CommandError(f"cannot create {args.directory}: {exc}") from exc
    for path in take_screenshots(db, args.directory, theme=args.theme, size=size):
        print(path)
    return 0


def settle(window: MainWindow, timeout_s: float = SETTLE_TIMEOUT_S) -> bool:
    """Process events until no query has been in flight for ``QUIET_S``; False on timeout."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert app is not None  # the window exists, so does its application
    deadline = time.monotonic() + timeout_s
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        app.processEvents()
        now = time.monotonic()
        if window.runner.in_flight() == 0 and not window.connector.busy:
            quiet_since = quiet_since or now
            if now - quiet_since >= QUIET_S:
                app.processEvents()
                return True
        else:
            quiet_since = None
        time.sleep(0.01)
    return False


def take_screenshots(
    db: Database, directory: Path, *, theme: str = "light", size: tuple[int, int] = (1280, 800)
) -> list[Path]:
    """Render each page (and its screenshot states) of a window on ``db``; closes ``db``."""
    from console.app import make_application
    from console.ui.main_window import build_main_window

    make_application(theme_mode=theme)
    window = build_main_window(db=db, remember=False)
    written: list[Path] = []

    def save(name: str) -> None:
        settle(window)
        path = directory / f"{name}.png"
        if not window.grab().save(str(path)):
            raise CommandError(f"could not write {path}")
        written.append(path)

    try:
        window.resize(*size)
        window.show()
        settle(window)
        if not window.specs:
            save("00-window")
        for n, spec in enumerate(window.specs, start=1):
            window.show_page(spec.key)
            page = window.pages[spec.key]
            save(f"{n:02d}-{spec.key}")
            states = getattr(page, "screenshot_states", None)
            for state_name, enter in states() if callable(states) else []:
                try:
                    enter()
                except Exception as exc:  # one broken state must not lose the others
                    window.show_status(f"{spec.key}/{state_name}: {exc}")
                save(f"{n:02d}-{spec.key}-{state_name}")
    finally:
        window.close()
    return written
