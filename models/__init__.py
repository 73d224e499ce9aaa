"""SQLAlchemy models of the AutoPR Engine schema."""

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

metadata = Base.metadata

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
