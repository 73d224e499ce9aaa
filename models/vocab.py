"""Status, level and type vocabularies of the schema contract.

One place for every enum-like value: the models build their CHECK constraints
from these tuples and the UI imports them for filters, colours and menus.
"""

from __future__ import annotations

WORKFLOW_STATUSES: tuple[str, ...] = ("active", "inactive", "archived", "draft")
EXECUTION_STATUSES: tuple[str, ...] = (
    "pending",
    "running",
    "completed",
    "failed",
    "timeout",
    "cancelled",
)
EXECUTION_TERMINAL_STATUSES: tuple[str, ...] = ("completed", "failed", "timeout", "cancelled")
EXECUTION_ACTIVE_STATUSES: tuple[str, ...] = ("pending", "running")
EXECUTION_RETRYABLE_STATUSES: tuple[str, ...] = ("failed", "timeout", "cancelled")

LOG_LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LOG_LEVELS)}

INTEGRATION_TYPES: tuple[str, ...] = (
    "github",
    "linear",
    "slack",
    "axolo",
    "teams",
    "discord",
    "jira",
    "sentry",
    "datadog",
)
HEALTH_STATUSES: tuple[str, ...] = ("healthy", "degraded", "unhealthy", "unknown")

EVENT_STATUSES: tuple[str, ...] = ("pending", "processing", "completed", "failed", "ignored")
EVENT_QUEUE_STATUSES: tuple[str, ...] = ("pending", "processing")

TRIGGER_TYPES: tuple[str, ...] = ("event", "schedule", "webhook", "manual")


def sql_in_list(values: tuple[str, ...]) -> str:
    """Render values as a SQL ``IN`` list literal: ``('a', 'b')``."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def levels_at_least(level: str) -> tuple[str, ...]:
    """Levels at or above ``level`` (for a minimum-level filter)."""
    rank = LOG_LEVEL_RANK[level.upper()]
    return LOG_LEVELS[rank:]
