"""A WARNING-or-worse log record during a test fails it, unless the test expects it.

A background task that fails only logs (the GUI thread must not raise): without this
a test whose worker failed would pass.  Every logger counts: the project's, the
libraries', and Qt's own messages, which :mod:`console.ui.qtlog` routes into logging
(pytest-qt's capture of them is off, ``--no-qt-log`` in pyproject.toml, so nothing
takes them away first).  The check covers the test's setup, call and teardown.

A test that provokes warnings on purpose says which, and checks them with ``caplog``::

    @pytest.mark.expects_log_warnings(r"console\\.tail: .*reconnect")
    def test_reconnects(caplog): ...

Each argument is a regular expression searched in ``"<logger>: <message>"``; a record
that none matches still fails the test.  Without arguments every warning is allowed
(for tests whose warnings vary, such as killing a server mid-query).
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from collections.abc import Iterator

import pytest

MARKER = "expects_log_warnings"

# What the offscreen platform plugin (the tests' display) says where a real display says
# nothing: allowed in every test.
OFFSCREEN_NOISE: tuple[str, ...] = (
    r"^qt: This plugin does not support (propagateSizeHints\(\)|raise\(\)|grabbing the keyboard)",
)


def platform_noise() -> tuple[str, ...]:
    """Patterns of harmless messages of the platform the tests run on."""
    return OFFSCREEN_NOISE if os.environ.get("QT_QPA_PLATFORM") == "offscreen" else ()


class Collector(logging.Handler):
    """Keeps the records at or above its level (any thread)."""

    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def describe(record: logging.LogRecord) -> str:
    """``"<logger>: <first line of the message>"``, what the marker's patterns match."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string still shows what it was
        message = str(record.msg)
    return f"{record.name}: {(message.splitlines() or [''])[0]}"


def _tail(record: logging.LogRecord) -> str:
    """The last lines of a multi-line message or its traceback: where it came from."""
    try:
        text = record.getMessage()
    except Exception:
        text = str(record.msg)
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + "".join(traceback.format_exception(*record.exc_info))
    lines = [line for line in text.splitlines()[1:] if line.strip()]
    return "".join(f"\n      {line[:200]}" for line in lines[-6:])


def unexpected(
    records: list[logging.LogRecord], allowed: tuple[str, ...] | None = ()
) -> str | None:
    """The failure text for the ``records`` no pattern of ``allowed`` matches, or None.

    ``allowed=None`` allows every record (the marker without arguments)."""
    if allowed is None:
        return None
    left = [r for r in records if not any(re.search(p, describe(r)) for p in allowed)]
    if not left:
        return None
    shown = "\n".join(f"  {r.levelname} {describe(r)[:200]}{_tail(r)}" for r in left[:5])
    return (
        f"{len(left)} unexpected log record(s) at WARNING or worse "
        f"(a test that provokes them declares them: @pytest.mark.{MARKER}(pattern, ...)):\n"
        f"{shown}"
    )


def allowed_by(item: pytest.Item) -> tuple[str, ...] | None:
    """The patterns the test's markers allow; None when a bare marker allows everything."""
    patterns: list[str] = []
    for marker in item.iter_markers(MARKER):
        if not marker.args:
            return None
        patterns.extend(str(a) for a in marker.args)
    return tuple(patterns)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*patterns): the test provokes WARNING-or-worse logs matching the patterns "
        "(regular expressions on '<logger>: <message>'; none: any)",
    )
    from console.ui.qtlog import route_qt_messages

    route_qt_messages()


CHECK = pytest.StashKey[tuple[Collector, "tuple[str, ...] | None"]]()


@pytest.fixture(autouse=True)
def _no_unexpected_log_warnings(request: pytest.FixtureRequest) -> Iterator[None]:
    """Collects from the first fixture's set-up to the last one's teardown; what the set-up
    and the test logged fails the test, what a teardown logged is an error of the test."""
    allowed = allowed_by(request.node)
    if allowed is not None:
        allowed += platform_noise()
    collector = Collector()
    request.node.stash[CHECK] = (collector, allowed)
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield
    finally:
        root.removeHandler(collector)
    failure = unexpected(collector.records, allowed)
    if failure is not None:
        pytest.fail(failure, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield
    check = item.stash.get(CHECK, None)
    if check is not None:
        collector, allowed = check
        failure = unexpected(collector.records, allowed)
        if failure is not None:
            collector.records.clear()  # reported here, not again at teardown
            pytest.fail(failure, pytrace=False)
    return result
