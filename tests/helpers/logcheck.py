"""A WARNING-or-worse log record during a test fails it, unless the test expects it.

A background task that fails only logs (the GUI thread must not raise): without this
a test whose worker failed would pass.  Tests that provoke a warning on purpose carry
``@pytest.mark.expects_log_warnings``.  Test modules not yet audited are listed in
:data:`UNAUDITED`; a module leaves the list once it runs clean (never add one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

MARKER = "expects_log_warnings"

UNAUDITED: frozenset[str] = frozenset(
    {
        "test_actions_cli",
        "test_actions_demo",
        "test_actions_executions",
        "test_actions_safety",
        "test_actions_workflows",
        "test_applog",
        "test_applog_dialogs",
        "test_cli_version",
        "test_constraints",
        "test_counts_trust",
        "test_demo_cli",
        "test_demo_dataset",
        "test_demo_scale",
        "test_demo_simulator",
        "test_demo_simulator_own_rows",
        "test_embedded",
        "test_embedded_handles",
        "test_engine_database",
        "test_environment_declared",
        "test_first_connect",
        "test_gui_gc",
        "test_integration_cli",
        "test_links",
        "test_links_open",
        "test_logs_partition",
        "test_logs_retention",
        "test_logs_retention_ui",
        "test_long_session",
        "test_migrations",
        "test_overview_page",
        "test_overview_queries",
        "test_packaging_build",
        "test_palette",
        "test_plain_text_ui",
        "test_platform_check",
        "test_profiles",
        "test_pyside_refcount",
        "test_queries_seed",
        "test_queries_tables",
        "test_replica",
        "test_resilience_connection",
        "test_resilience_consoles",
        "test_resilience_crash",
        "test_resilience_data",
        "test_resilience_inputs",
        "test_resilience_inputs_ui",
        "test_resilience_timeouts",
        "test_schema_conformance",
        "test_schema_smoke",
        "test_screenshot",
        "test_secret_policy",
        "test_secrets_editor_ui",
        "test_secrets_everywhere",
        "test_secrets_on_disk",
        "test_selftest",
        "test_startup_path",
        "test_status_cli",
        "test_tail_cli",
        "test_tail_engine",
        "test_tail_tracker",
        "test_tail_ui",
        "test_tasks",
        "test_tunnel_tls",
        "test_ui_a11y",
        "test_ui_actions",
        "test_ui_actions_audit",
        "test_ui_actions_menus",
        "test_ui_keyboard",
        "test_ui_shell",
        "test_ui_shell_real",
        "test_ui_shell_theme",
        "test_ui_tables",
        "test_watches",
        "test_wheel_resources",
        "test_write_guard_entry_points",
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
    if module in UNAUDITED or request.node.get_closest_marker(MARKER) is not None:
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
