"""SQLAlchemy models of the AutoPR Engine schema.

``models.schema`` defines the tables (Core, the one definition); the ORM classes
below are mapped onto them.  The names load on first use (PEP 562): ``models.vocab``,
the plain status and level tuples the window's filters and colours use, and
``models.schema`` import without the ORM (about 12 MiB and 200 ms that the console
does not need), and ``metadata`` is the Core tables' alone.
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
        return importlib.import_module("models.schema").metadata
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
