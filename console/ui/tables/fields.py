"""The filter widgets of each table page, and what their free-text boxes search."""

from __future__ import annotations

from console.ui.tables.filterbar import Field
from models.vocab import (
    EVENT_STATUSES,
    EXECUTION_STATUSES,
    HEALTH_STATUSES,
    INTEGRATION_TYPES,
    LOG_LEVELS,
    TRIGGER_TYPES,
    WORKFLOW_STATUSES,
)

TIME = Field("time", "Time", "time")
WORKFLOW = Field("workflow_id", "Workflow", "workflow")

WORKFLOW_FIELDS = (
    Field("status", "Status", "multi", WORKFLOW_STATUSES),
    TIME,
    Field("text", "Text", "text", placeholder="Name or creator contains… (Enter)", width=160),
    Field(
        "json",
        "JSON",
        "json",
        placeholder='Config contains JSON, e.g. {"notification_channels": ["slack"]} (Enter)',
        width=200,
    ),
)
EXECUTION_FIELDS = (
    Field("status", "Status", "multi", EXECUTION_STATUSES),
    WORKFLOW,
    TIME,
    Field("trigger_type", "Trigger", "multi", TRIGGER_TYPES),
    Field(
        "text",
        "Text",
        "text",
        placeholder="Execution id or its start (exec-2025…, pr-review_2026-…) or UUID (Enter)",
        width=200,
    ),
)
LOG_FIELDS = (
    Field("min_level", "Level", "level", LOG_LEVELS),
    WORKFLOW,
    TIME,
    Field(
        "text",
        "Text",
        "text",
        placeholder="Execution id or its start, UUID, or message text (Enter)",
        width=240,
    ),
)
INTEGRATION_FIELDS = (
    Field("integration_type", "Type", "multi", INTEGRATION_TYPES),
    Field("health", "Health", "multi", HEALTH_STATUSES),
    Field("text", "Text", "text", placeholder="Name contains… (Enter)", width=160),
    Field(
        "json",
        "JSON",
        "json",
        placeholder='Config contains JSON, e.g. {"channel": "#ops"} (Enter)',
        width=200,
    ),
)
EVENT_FIELDS = (
    Field("status", "Status", "multi", EVENT_STATUSES),
    Field("integration_type", "Type", "multi", INTEGRATION_TYPES),
    TIME,
    Field("text", "Text", "text", placeholder="Event type starts with… (Enter)", width=160),
    Field(
        "json",
        "JSON",
        "json",
        placeholder="Payload contains JSON (no index: searches the time range, default 24 h)",
        width=220,
    ),
)
