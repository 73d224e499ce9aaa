"""SQLAlchemy models of the AutoPR Engine schema.

The names below load on first use (PEP 562): ``models.vocab``, the plain status
and level tuples the window's filters and colours use, imports without the ORM
(about 12 MiB and 200 ms that the Overview does not need).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.audit import AuditLog
    from models.base import AuditMixin, Base
    from models.tables import (
        ExecutionLog,
        Integration,
        IntegrationEvent,
        Workflow,
        WorkflowAction,
        WorkflowExecution,
        WorkflowTrigger,
    )

_HOMES = {
    "AuditLog": "models.audit",
    "AuditMixin": "models.base",
    "Base": "models.base",
    "ExecutionLog": "models.tables",
    "Integration": "models.tables",
    "IntegrationEvent": "models.tables",
    "Workflow": "models.tables",
    "WorkflowAction": "models.tables",
    "WorkflowExecution": "models.tables",
    "WorkflowTrigger": "models.tables",
}


def __getattr__(name: str) -> Any:
    if name == "metadata":
        importlib.import_module("models.audit")  # every table registers on Base.metadata
        importlib.import_module("models.tables")
        return importlib.import_module("models.base").Base.metadata
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'models' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)


__all__ = [
    "AuditLog",
    "AuditMixin",
    "Base",
    "ExecutionLog",
    "Integration",
    "IntegrationEvent",
    "Workflow",
    "WorkflowAction",
    "WorkflowExecution",
    "WorkflowTrigger",
    "metadata",
]
