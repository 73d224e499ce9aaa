"""The pydantic models of the JSON columns whose shape the engine relies on.

Imported by :mod:`console.actions.schemas` only when a value is checked.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError


class WorkflowConfig(BaseModel):
    """``workflows.config``: the keys the engine reads; anything else is kept as is."""

    model_config = ConfigDict(extra="allow", strict=True)

    max_retries: Annotated[int, Field(ge=0)] | None = None
    timeout_seconds: Annotated[float, Field(gt=0)] | None = None
    notification_channels: list[StrictStr] | None = None
    auto_rollback: StrictBool | None = None


MODELS: dict[str, type[BaseModel]] = {"WorkflowConfig": WorkflowConfig}


def problems(model: str, value: dict[str, Any]) -> list[str]:
    """pydantic's complaints about ``value`` as model ``model``: ``key: message`` lines
    (empty when valid)."""
    try:
        MODELS[model].model_validate(value)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            out.append(f"{where}: {err['msg']}")
        return out
    return []
