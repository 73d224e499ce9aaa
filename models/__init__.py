"""SQLAlchemy models of the AutoPR Engine schema."""

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
