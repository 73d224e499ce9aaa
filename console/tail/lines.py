"""A tailed log line and its two renderings (text and JSON Lines)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from console.secret_policy import mask, redact_text


@dataclass(frozen=True, slots=True)
class TailLine:
    id: uuid.UUID
    execution_id: uuid.UUID
    execution_code: str | None  # the human ``workflow_executions.execution_id``
    created_at: datetime
    level: str
    message: str
    step_name: str | None
    action_id: uuid.UUID | None
    log_metadata: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> TailLine:
        """From the first nine columns of ``console.tail.sql.COLUMNS``; the message is free
        text written by the engine, so it passes the secrets policy here, once, for the
        window, the command line and saved files alike."""
        values = list(row[:9])
        if isinstance(values[5], str):
            values[5] = redact_text(values[5])
        return cls(*values)

    def to_json(self) -> dict[str, Any]:
        """The line as a JSON object (``log_metadata`` masked by the secrets policy)."""
        return {
            "id": str(self.id),
            "execution_id": str(self.execution_id),
            "execution": self.execution_code,
            "created_at": self.created_at.isoformat(),
            "level": self.level,
            "message": self.message,
            "step_name": self.step_name,
            "action_id": str(self.action_id) if self.action_id else None,
            "log_metadata": mask(self.log_metadata),
        }


def utc_stamp(dt: datetime) -> str:
    """``2026-11-25T09:03:12.123Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def format_text(line: TailLine, with_execution: bool = False) -> str:
    """One line of text: time, level, [execution], step / message (newlines kept visible)."""
    parts = [utc_stamp(line.created_at), f"{line.level:<8}"]
    if with_execution:
        parts.append(f"[{line.execution_code or line.execution_id}]")
    if line.step_name:
        parts.append(f"{line.step_name}:")
    parts.append(line.message.replace("\r\n", "\n").replace("\n", "\n    "))
    return " ".join(parts)


def format_jsonl(line: TailLine) -> str:
    return json.dumps(line.to_json(), ensure_ascii=False, default=str)
