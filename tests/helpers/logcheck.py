"""A WARNING-or-worse log record during a test fails it, unless the test expects it.

A background task that fails only logs (the GUI thread must not raise): without this
a test whose worker failed would pass.  Tests that provoke a warning on purpose carry
``@pytest.mark.expects_log_warnings``.  The check applies to the test modules listed in
:data:`AUDITED` (each ran clean, or marks the tests that warn on purpose); the list
grows until it holds every module, then it goes and the check applies to all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

MARKER = "expects_log_warnings"

AUDITED: frozenset[str] = frozenset(
    {
        "test_cli_version",
        "test_db_errors",
        "test_gui_gc",
        "test_migrations",
        "test_models_paging",
        "test_overview_queries",
        "test_platform_check",
        "test_profiles",
        "test_queries_seed",
        "test_queries_tables",
        "test_secret_policy",
        "test_session",
        "test_settings_declared",
        "test_shape",
        "test_tail_tracker",
    }
)


class Collector(logging.Handler):
    """Keeps the records at or above its level (any thread)."""

    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def unexpected(records: list[logging.LogRecord]) -> str | None:
    """The failure text for ``records`` logged by a test that expected none, or None."""
    if not records:
        return None
    shown = "\n".join(
        f"  {r.levelname} {r.name}: {r.getMessage().splitlines()[0][:200]}" for r in records[:5]
    )
    return (
        f"{len(records)} unexpected log record(s) at WARNING or worse "
        f"(mark the test @pytest.mark.{MARKER} if it provokes them):\n{shown}"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: the test provokes WARNING-or-worse logs")


@pytest.fixture(autouse=True)
def _no_unexpected_log_warnings(request: pytest.FixtureRequest) -> Iterator[None]:
    module = request.node.module.__name__.rsplit(".", 1)[-1] if request.node.module else ""
    if module not in AUDITED or request.node.get_closest_marker(MARKER) is not None:
        yield
        return
    collector = Collector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield
    finally:
        root.removeHandler(collector)
    failure = unexpected(collector.records)
    if failure is not None:
        pytest.fail(failure, pytrace=False)
