"""The self-test's window side: build the main window, visit its pages, follow a tail.

Kept apart from :mod:`console.selftest` so the database steps import no Qt.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

ProcessUntil = Callable[..., None]


class _ErrorCollector(logging.Handler):
    """Collects ERROR records (failed background tasks) and unhandled slot exceptions."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(f"{record.name}: {record.getMessage().splitlines()[0]}")


@contextmanager
def collect_errors() -> Iterator[list[str]]:
    """Errors logged, or raised in Qt slots, while the block runs."""
    collector = _ErrorCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    previous = sys.excepthook

    def hook(exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        collector.errors.append(f"{exc_type.__name__}: {exc}")
        logging.getLogger("console.selftest").error(
            "exception in a Qt slot", exc_info=(exc_type, exc, tb)
        )

    sys.excepthook = hook
    try:
        yield collector.errors
    finally:
        sys.excepthook = previous
        root.removeHandler(collector)


def build_window(db: Any) -> Any:
    """The application's main window on ``db`` (None: disconnected); remembers nothing."""
    from console.ui.main_window import build_main_window

    return build_main_window(db=db, remember=False)


def visit_pages(window: Any, process_until: ProcessUntil) -> list[str]:
    """Show every page of ``page_specs()`` in turn; fail on any error it logs or raises."""
    from console.ui.pages import page_specs

    keys = [spec.key for spec in page_specs()]
    if not keys:
        raise RuntimeError("the main window has no pages")
    visited: list[str] = []
    with collect_errors() as errors:
        for key in keys:
            try:
                page = window.pages[key]  # built on first use
            except KeyError:
                raise RuntimeError(f"the window has no page {key!r}") from None
            if type(page).__name__ == "BrokenPage":
                raise RuntimeError(f"page {key!r} failed to build")
            window.open_page(key, {})
            process_until(
                lambda: window.runner.in_flight() == 0, f"page {key!r} never finished loading"
            )
            if window.current_key() != key:
                raise RuntimeError(
                    f"asked for page {key!r}, the window shows {window.current_key()!r}"
                )
            if not page.isVisible():
                raise RuntimeError(f"page {key!r} is not visible")
            if errors:
                raise RuntimeError(f"page {key!r}: {errors[0]}")
            visited.append(key)
    return visited


def wait_first_paint(window: Any, process_until: ProcessUntil) -> None:
    """Return once ``window`` has painted at least once."""
    from PySide6.QtCore import QEvent, QObject

    painted = threading.Event()

    class _Watcher(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                painted.set()
            return False

    watcher = _Watcher()
    window.installEventFilter(watcher)
    window.update()
    try:
        process_until(painted.is_set, "the window never painted")
    finally:
        window.removeEventFilter(watcher)


def follow_tail(
    db: Any,
    execution: uuid.UUID,
    lines: int,
    process_until: ProcessUntil,
    timeout: float,
) -> int:
    """Follow ``execution`` with the tail engine while a writer thread commits ``lines`` lines.

    Every line must arrive once, in commit order; returns how many arrived.
    """
    from console.selftest_data import append_log_lines
    from console.tail.engine import TailEngine, TailOptions

    tag = f"selftest-{uuid.uuid4().hex[:8]}"
    received: list[str] = []
    states: list[str] = []
    engine = TailEngine(
        db.conninfo(),
        TailOptions(execution=execution, application_name="autopr-console-selftest"),
        lambda batch: received.extend(line.message for line in batch),
        lambda state: states.append(state.phase),
        listen_allowed=db.listen_allowed,
    )
    failures: list[BaseException] = []

    def follow() -> None:
        try:
            engine.run()
        except BaseException as exc:
            failures.append(exc)

    def write() -> None:
        try:
            process_deadline = time.monotonic() + timeout
            while "live" not in states and time.monotonic() < process_deadline:
                time.sleep(0.02)  # write once the tail is live, like an operator watching
            append_log_lines(db.engine, execution, lines, tag)
        except BaseException as exc:
            failures.append(exc)

    follower = threading.Thread(target=follow, name="selftest-tail", daemon=True)
    writer = threading.Thread(target=write, name="selftest-writer", daemon=True)
    follower.start()
    writer.start()

    def done() -> bool:
        if failures:
            raise RuntimeError(str(failures[0]) or type(failures[0]).__name__)
        return sum(tag in line for line in received) >= lines

    try:
        with collect_errors() as errors:
            process_until(
                done,
                f"only {sum(tag in line for line in received)} of {lines} live lines arrived "
                f"(tail states: {', '.join(dict.fromkeys(states)) or 'none'})",
                timeout,
            )
            if errors:
                raise RuntimeError(errors[0])
    finally:
        engine.stop()
        writer.join(timeout)
        follower.join(timeout)
    mine = [line for line in received if tag in line]
    expected = [f"{tag} line {i + 1}" for i in range(lines)]
    if mine != expected:
        raise RuntimeError(f"live lines duplicated, missing or out of order: {mine}")
    return len(mine)
