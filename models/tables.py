"""The seven tables of the AutoPR Engine schema contract (spec/DATABASE_SCHEMA.md).

Every column, type, nullability, index name, constraint name and cascade follows
the document.  Server-side defaults let the engine and people with psql insert
rows naming only the business columns.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import AuditMixin, Base, utcnow
from models.execution_ids import EXECUTION_ID_DDL
from models.vocab import (
    EVENT_QUEUE_STATUSES,
    EVENT_STATUSES,
    EXECUTION_STATUSES,
    HEALTH_STATUSES,
    INTEGRATION_TYPES,
    LOG_LEVELS,
    TRIGGER_TYPES,
    WORKFLOW_STATUSES,
    sql_in_list,
)

EMPTY_JSON = text("'{}'::jsonb")
ZERO = text("0")
TRUE = text("true")

# exec-YYYYMMDD-HHMMSS-xxxxxx, stamped in UTC, for rows inserted without one; the
# sequence and function are installed by the migrations (see models.execution_ids).
EXECUTION_ID_DEFAULT = text("autopr_new_execution_id()")

# So metadata.create_all() (scratch databases, not the console) gets them as well.
for _statement in EXECUTION_ID_DDL:
    event.listen(Base.metadata, "before_create", DDL(_statement))  # type: ignore[no-untyped-call]


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True),
        primary_key=True,
        default=uuid.uuid4,
        server_default=func.gen_random_uuid(),
    )


class Workflow(AuditMixin, Base):
    __tablename__ = "workflows"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(
        String(50), nullable=False, server_default=text("'draft'"), default="draft"
    )
    config: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=EMPTY_JSON, default=dict
    )
    created_by: Mapped[str | None] = mapped_column(String(255), nullable=True)

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

    __table_args__ = (
        UniqueConstraint("name", name="uq_workflow_name"),
        CheckConstraint(f"status IN {sql_in_list(WORKFLOW_STATUSES)}", name="chk_workflow_status"),
        Index("idx_workflows_status", "status"),
        Index("idx_workflows_created_at", "created_at"),
        Index("idx_workflows_config", "config", postgresql_using="gin"),
    )


class WorkflowExecution(Base):
    __tablename__ = "workflow_executions"

    id: Mapped[uuid.UUID] = _uuid_pk()
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("workflows.id", ondelete="CASCADE"), nullable=False
    )
    execution_id: Mapped[str] = mapped_column(
        String(255), nullable=False, server_default=EXECUTION_ID_DEFAULT
    )
    status: Mapped[str] = mapped_column(
        String(50), nullable=False, server_default=text("'pending'"), default="pending"
    )
    started_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), default=utcnow
    )
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    retry_count: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=ZERO, default=0
    )
    parent_execution_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("workflow_executions.id"), nullable=True
    )
    trigger_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    trigger_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)

    workflow: Mapped[Workflow] = relationship(back_populates="executions")
    logs: Mapped[list[ExecutionLog]] = relationship(
        back_populates="execution", passive_deletes=True, cascade="all, delete-orphan"
    )
    parent: Mapped[WorkflowExecution | None] = relationship(
        back_populates="retries", remote_side="WorkflowExecution.id"
    )
    retries: Mapped[list[WorkflowExecution]] = relationship(back_populates="parent")

    __table_args__ = (
        UniqueConstraint("execution_id", name="uq_execution_id"),
        CheckConstraint(
            f"status IN {sql_in_list(EXECUTION_STATUSES)}", name="chk_execution_status"
        ),
        CheckConstraint(
            "completed_at IS NULL OR completed_at >= started_at",
            name="chk_completed_at_after_started",
        ),
        Index("idx_workflow_executions_workflow_id", "workflow_id"),
        Index("idx_workflow_executions_status", "status"),
        Index("idx_workflow_executions_started_at", "started_at"),
        Index("idx_workflow_executions_trigger_type", "trigger_type"),
        Index("idx_workflow_executions_composite", "workflow_id", "status", "started_at"),
    )


class WorkflowAction(AuditMixin, Base):
    __tablename__ = "workflow_actions"

    id: Mapped[uuid.UUID] = _uuid_pk()
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("workflows.id", ondelete="CASCADE"), nullable=False
    )
    action_type: Mapped[str] = mapped_column(String(100), nullable=False)
    action_name: Mapped[str] = mapped_column(String(255), nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=EMPTY_JSON, default=dict
    )
    order_index: Mapped[int] = mapped_column(Integer, nullable=False)
    conditions: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)

    workflow: Mapped[Workflow] = relationship(back_populates="actions")
    logs: Mapped[list[ExecutionLog]] = relationship(back_populates="action")

    __table_args__ = (
        UniqueConstraint("workflow_id", "order_index", name="uq_workflow_action_order"),
        CheckConstraint("order_index >= 0", name="chk_order_index_positive"),
        Index("idx_workflow_actions_workflow_id", "workflow_id"),
        Index("idx_workflow_actions_type", "action_type"),
        Index("idx_workflow_actions_order", "workflow_id", "order_index"),
    )


class ExecutionLog(Base):
    __tablename__ = "execution_logs"

    id: Mapped[uuid.UUID] = _uuid_pk()
    execution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("workflow_executions.id", ondelete="CASCADE"),
        nullable=False,
    )
    level: Mapped[str] = mapped_column(
        String(20), nullable=False, server_default=text("'INFO'"), default="INFO"
    )
    message: Mapped[str] = mapped_column(Text, nullable=False)
    log_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    action_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey("workflow_actions.id", ondelete="SET NULL"),
        nullable=True,
    )
    step_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), default=utcnow
    )

    execution: Mapped[WorkflowExecution] = relationship(back_populates="logs")
    action: Mapped[WorkflowAction | None] = relationship(back_populates="logs")

    __table_args__ = (
        CheckConstraint(f"level IN {sql_in_list(LOG_LEVELS)}", name="chk_log_level"),
        Index("idx_execution_logs_execution_id", "execution_id"),
        Index("idx_execution_logs_level", "level"),
        Index("idx_execution_logs_created_at", "created_at"),
        Index("idx_execution_logs_composite", "execution_id", "level", "created_at"),
    )


class Integration(AuditMixin, Base):
    __tablename__ = "integrations"

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=EMPTY_JSON, default=dict
    )
    enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=TRUE, default=True
    )
    health_status: Mapped[str] = mapped_column(
        String(50), nullable=False, server_default=text("'unknown'"), default="unknown"
    )
    last_health_check: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # Never read into the console: queries name their columns and leave this one out.
    credentials_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)

    events: Mapped[list[IntegrationEvent]] = relationship(
        back_populates="integration", passive_deletes=True, cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("name", name="uq_integration_name"),
        CheckConstraint(f"type IN {sql_in_list(INTEGRATION_TYPES)}", name="chk_integration_type"),
        CheckConstraint(
            f"health_status IN {sql_in_list(HEALTH_STATUSES)}", name="chk_integration_health"
        ),
        Index("idx_integrations_type", "type"),
        Index("idx_integrations_enabled", "enabled"),
        Index("idx_integrations_health", "health_status"),
    )


class IntegrationEvent(Base):
    __tablename__ = "integration_events"

    id: Mapped[uuid.UUID] = _uuid_pk()
    integration_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False
    )
    event_type: Mapped[str] = mapped_column(String(100), nullable=False)
    event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=EMPTY_JSON, default=dict
    )
    status: Mapped[str] = mapped_column(
        String(50), nullable=False, server_default=text("'pending'"), default="pending"
    )
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    retry_count: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=ZERO, default=0
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), default=utcnow
    )

    integration: Mapped[Integration] = relationship(back_populates="events")

    __table_args__ = (
        CheckConstraint(f"status IN {sql_in_list(EVENT_STATUSES)}", name="chk_event_status"),
        Index("idx_integration_events_integration_id", "integration_id"),
        Index("idx_integration_events_status", "status"),
        Index("idx_integration_events_type", "event_type"),
        Index("idx_integration_events_created_at", "created_at"),
        Index(
            "idx_integration_events_queue",
            "status",
            "created_at",
            postgresql_where=text(f"status IN {sql_in_list(EVENT_QUEUE_STATUSES)}"),
        ),
    )


class WorkflowTrigger(AuditMixin, Base):
    __tablename__ = "workflow_triggers"

    id: Mapped[uuid.UUID] = _uuid_pk()
    workflow_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("workflows.id", ondelete="CASCADE"), nullable=False
    )
    trigger_type: Mapped[str] = mapped_column(String(100), nullable=False)
    conditions: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=EMPTY_JSON, default=dict
    )
    enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=TRUE, default=True
    )

    workflow: Mapped[Workflow] = relationship(back_populates="triggers")

    __table_args__ = (
        CheckConstraint(f"trigger_type IN {sql_in_list(TRIGGER_TYPES)}", name="chk_trigger_type"),
        Index("idx_workflow_triggers_workflow_id", "workflow_id"),
        Index("idx_workflow_triggers_type", "trigger_type"),
        Index("idx_workflow_triggers_enabled", "enabled"),
    )
