"""ORM classes of the seven contract tables, mapped onto the Core tables of :mod:`models.schema`.

The tables (columns, defaults, constraints, indexes) are defined there once; these
classes add the attributes' types and the relationships, for tests and scripts that
use the ORM.  Console code uses the Core tables and never imports this module.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Mapped, relationship

from models import schema
from models.base import AuditMixin, Base


class Workflow(AuditMixin, Base):
    __table__ = schema.WORKFLOWS

    id: Mapped[uuid.UUID]
    name: Mapped[str]
    description: Mapped[str | None]
    status: Mapped[str]
    config: Mapped[dict[str, Any]]
    created_by: Mapped[str | None]

    executions: Mapped[list[WorkflowExecution]] = relationship(
        back_populates="workflow", passive_deletes=True, cascade="all, delete-orphan"
    )
    actions: Mapped[list[WorkflowAction]] = relationship(
        back_populates="workflow",
        passive_deletes=True,
        cascade="all, delete-orphan",
        order_by="WorkflowAction.order_index",
    )
    triggers: Mapped[list[WorkflowTrigger]] = relationship(
        back_populates="workflow", passive_deletes=True, cascade="all, delete-orphan"
    )


class WorkflowExecution(Base):
    __table__ = schema.WORKFLOW_EXECUTIONS

    id: Mapped[uuid.UUID]
    workflow_id: Mapped[uuid.UUID]
    execution_id: Mapped[str]
    status: Mapped[str]
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None]
    error_message: Mapped[str | None]
    retry_count: Mapped[int]
    parent_execution_id: Mapped[uuid.UUID | None]
    trigger_type: Mapped[str | None]
    trigger_data: Mapped[dict[str, Any] | None]

    workflow: Mapped[Workflow] = relationship(back_populates="executions")
    logs: Mapped[list[ExecutionLog]] = relationship(
        back_populates="execution", passive_deletes=True, cascade="all, delete-orphan"
    )
    parent: Mapped[WorkflowExecution | None] = relationship(
        back_populates="retries", remote_side="WorkflowExecution.id"
    )
    retries: Mapped[list[WorkflowExecution]] = relationship(back_populates="parent")


class WorkflowAction(AuditMixin, Base):
    __table__ = schema.WORKFLOW_ACTIONS

    id: Mapped[uuid.UUID]
    workflow_id: Mapped[uuid.UUID]
    action_type: Mapped[str]
    action_name: Mapped[str]
    config: Mapped[dict[str, Any]]
    order_index: Mapped[int]
    conditions: Mapped[dict[str, Any] | None]

    workflow: Mapped[Workflow] = relationship(back_populates="actions")
    logs: Mapped[list[ExecutionLog]] = relationship(back_populates="action")


class ExecutionLog(Base):
    __table__ = schema.EXECUTION_LOGS

    id: Mapped[uuid.UUID]
    execution_id: Mapped[uuid.UUID]
    level: Mapped[str]
    message: Mapped[str]
    log_metadata: Mapped[dict[str, Any] | None]
    action_id: Mapped[uuid.UUID | None]
    step_name: Mapped[str | None]
    created_at: Mapped[datetime]

    execution: Mapped[WorkflowExecution] = relationship(back_populates="logs")
    action: Mapped[WorkflowAction | None] = relationship(back_populates="logs")


class Integration(AuditMixin, Base):
    __table__ = schema.INTEGRATIONS

    id: Mapped[uuid.UUID]
    name: Mapped[str]
    type: Mapped[str]
    config: Mapped[dict[str, Any]]
    enabled: Mapped[bool]
    health_status: Mapped[str]
    last_health_check: Mapped[datetime | None]
    credentials_encrypted: Mapped[str | None]

    events: Mapped[list[IntegrationEvent]] = relationship(
        back_populates="integration", passive_deletes=True, cascade="all, delete-orphan"
    )


class IntegrationEvent(Base):
    __table__ = schema.INTEGRATION_EVENTS

    id: Mapped[uuid.UUID]
    integration_id: Mapped[uuid.UUID]
    event_type: Mapped[str]
    event_id: Mapped[str | None]
    payload: Mapped[dict[str, Any]]
    status: Mapped[str]
    processed_at: Mapped[datetime | None]
    error_message: Mapped[str | None]
    retry_count: Mapped[int]
    created_at: Mapped[datetime]

    integration: Mapped[Integration] = relationship(back_populates="events")


class WorkflowTrigger(AuditMixin, Base):
    __table__ = schema.WORKFLOW_TRIGGERS

    id: Mapped[uuid.UUID]
    workflow_id: Mapped[uuid.UUID]
    trigger_type: Mapped[str]
    conditions: Mapped[dict[str, Any]]
    enabled: Mapped[bool]

    workflow: Mapped[Workflow] = relationship(back_populates="triggers")
