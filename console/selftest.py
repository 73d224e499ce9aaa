"""``autopr-console self-test``: prove an installation works end to end.

It runs in a throw-away home (``AUTOPR_CONSOLE_HOME`` pointed at a temporary
directory), so it never touches the user's profiles, data or server:

1. ``server``   start an embedded PostgreSQL server in that directory;
2. ``migrate``  open the ``local`` profile on it, which migrates to head;
3. ``demo``     load the demo data set (and one running execution to follow);
4. ``window``   build the main window offscreen and connect it;
5. ``pages``    show every page of :func:`console.ui.pages.page_specs`;
6. ``tail``     follow the running execution while a writer thread adds lines.

Each step raises on failure; :func:`run_selftest` turns that into
:class:`SelfTestFailed` naming the step.  ``quick`` mode only builds and
paints the window (no database): the cold-start measurement uses it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console import paths

TAIL_LINES = 5
STEP_TIMEOUT_S = 60.0
SELFTEST_DB = "autopr_selftest"

Report = Callable[[str], None]


class SelfTestFailed(Exception):
    """A step failed; ``str()`` is the one line the command prints."""

    def __init__(self, step: str, cause: BaseException | str) -> None:
        detail = cause if isinstance(cause, str) else (str(cause) or type(cause).__name__)
        super().__init__(f"self-test failed at step {step!r}: {detail}")
        self.step = step
        self.cause = cause
        self.home: Path | None = None  # the kept temporary home, for the log files


@dataclass
class _State:
    home: Path
    report: Report
    server: Any = None  # console.db.embedded.EmbeddedServer
    db: Any = None  # console.db.connection.Database
    app: Any = None  # QApplication
    window: Any = None  # the main window
    running_execution: uuid.UUID | None = None
    timings: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- the steps


def _step_server(state: _State) -> None:
    from console.db.embedded import EmbeddedServer

    state.server = EmbeddedServer(paths.embedded_root())
    address = state.server.start()
    state.server.ensure_database(SELFTEST_DB)
    state.report(f"  server listening on {address.socket_dir or address.host}:{address.port}")


def _step_migrate(state: _State) -> None:
    from sqlalchemy import inspect

    from console.db.connection import open_database
    from console.db.migrator import CONTRACT_TABLES
    from console.profiles import Profile

    profile = Profile(name="local", environment="local", embedded=True, dbname=SELFTEST_DB)
    state.db = open_database(profile)
    if state.db.read_only:
        raise RuntimeError(f"database opened read-only: {state.db.read_only_reason}")
    tables = set(inspect(state.db.engine).get_table_names())
    missing = sorted(set(CONTRACT_TABLES) - tables)
    if missing:
        raise RuntimeError(f"tables missing after migration: {', '.join(missing)}")
    report = state.db.migration
    if not report.applied:  # a new database: the shipped revisions must have run
        raise RuntimeError(f"no revision applied to a new database (state {report.state.value})")
    state.report(
        f"  PostgreSQL {state.db.server_version}, applied {', '.join(report.applied)} "
        f"(head {report.head})"
    )


def _step_demo(state: _State) -> None:
    from sqlalchemy import text

    from console.selftest_data import insert_running_execution, load_demo_data

    engine = state.db.engine
    source = load_demo_data(engine)
    state.running_execution = insert_running_execution(engine)
    with engine.connect() as conn:
        counts = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("workflows", "workflow_executions", "execution_logs", "integrations")
        }
    empty = [table for table, count in counts.items() if not count]
    if empty:
        raise RuntimeError(f"no rows in {', '.join(empty)} after loading demo data")
    state.report(f"  {source}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))


def _ensure_app() -> Any:
    """The running QApplication, or a new offscreen one (no display needed)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from console.app import make_application

        app = make_application(["autopr-console"], theme_mode="light")
    return app


def _step_window(state: _State) -> None:
    state.app = _ensure_app()
    from console.selftest_ui import build_window

    state.window = build_window(state.db)
    state.window.resize(1280, 800)
    state.window.show()
    _process_until(lambda: state.window.isVisible(), "the window never became visible")
    title = state.window.windowTitle()
    from console import APP_NAME, __version__

    if APP_NAME not in title or __version__ not in title:
        raise RuntimeError(f"window title {title!r} lacks the name and version")
    state.report(f"  window {title!r}")


def _step_pages(state: _State) -> None:
    from console.selftest_ui import visit_pages

    visited = visit_pages(state.window, _process_until)
    state.report(f"  visited {len(visited)} pages: {', '.join(visited)}")


def _step_tail(state: _State) -> None:
    from console.selftest_ui import follow_tail

    if state.running_execution is None:
        raise RuntimeError("no running execution to follow")
    received = follow_tail(
        state.db, state.running_execution, TAIL_LINES, _process_until, STEP_TIMEOUT_S
    )
    state.report(f"  received {received} live lines")


STEPS: tuple[tuple[str, Callable[[_State], None]], ...] = (
    ("server", _step_server),
    ("migrate", _step_migrate),
    ("demo", _step_demo),
    ("window", _step_window),
    ("pages", _step_pages),
    ("tail", _step_tail),
)


# ----------------------------------------------------------------- plumbing


def _process_until(
    condition: Callable[[], bool], failure: str, timeout: float = STEP_TIMEOUT_S
) -> None:
    """Run the Qt event loop until ``condition()`` holds; raise ``failure`` on timeout."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QThread

    app = QCoreApplication.instance()
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(failure)
        if app is not None:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        QThread.msleep(5)


@contextmanager
def _temporary_home(keep: bool) -> Iterator[Path]:
    """A throw-away AUTOPR_CONSOLE_HOME with a debug log; kept when asked or on failure."""
    import logging

    from console.applog import FORMAT, RedactingFilter

    previous = os.environ.get(paths.ENV_HOME)
    home = Path(tempfile.mkdtemp(prefix="autopr-selftest-"))
    os.environ[paths.ENV_HOME] = str(home)
    handler = logging.FileHandler(home / "selftest.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    failed = False
    try:
        yield home
    except BaseException:
        failed = True
        raise
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        handler.close()
        if previous is None:
            os.environ.pop(paths.ENV_HOME, None)
        else:
            os.environ[paths.ENV_HOME] = previous
        if not (keep or failed):
            shutil.rmtree(home, ignore_errors=True)


def _teardown(state: _State) -> None:
    if state.window is not None:
        with suppress(Exception):
            state.window.close()
            state.window.deleteLater()
            _process_until(lambda: True, "")
    if state.db is not None:
        with suppress(Exception):
            state.db.close()
    if state.server is not None:
        with suppress(Exception):
            state.server.stop(force=True)


def run_selftest(
    *, report: Report = print, keep: bool = False, steps: tuple[str, ...] | None = None
) -> dict[str, float]:
    """Run the steps (all, or those named in ``steps``, in order); return seconds per step.

    Raises :class:`SelfTestFailed` naming the first step that failed.
    """
    with _temporary_home(keep) as home:
        state = _State(home=home, report=report)
        report(f"self-test in {home}")
        try:
            for name, fn in STEPS:
                if steps is not None and name not in steps:
                    continue
                started = time.perf_counter()
                try:
                    fn(state)
                except Exception as exc:
                    failure = SelfTestFailed(name, exc)
                    failure.home = home
                    raise failure from exc
                state.timings[name] = time.perf_counter() - started
                report(f"ok   {name:<8} {state.timings[name]:6.2f} s")
        finally:
            _teardown(state)
    return state.timings


def run_quick(report: Report = print) -> float:
    """Build and paint the main window without a database; return seconds since process start.

    Used to measure cold start (``self-test --quick``); nothing is written anywhere.
    """
    import psutil

    try:
        app = _ensure_app()
        from console.selftest_ui import build_window, wait_first_paint

        window = build_window(None)
        window.resize(1280, 800)
        window.show()
        wait_first_paint(window, _process_until)
        elapsed = time.time() - psutil.Process().create_time()
        report(f"first paint {elapsed * 1000:.0f} ms after process start")
        window.close()
        app.processEvents()
        return elapsed
    except Exception as exc:
        raise SelfTestFailed("quick", exc) from exc
