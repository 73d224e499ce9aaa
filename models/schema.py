"""The schema as SQLAlchemy Core tables: the seven of the AutoPR Engine contract
(spec/DATABASE_SCHEMA.md) and the console's own ``audit_log``.

This is the one definition of the schema: migrations' autogenerate, ``create_all()``
and the contract snapshot read :data:`metadata`; the ORM classes of
:mod:`models.tables` and :mod:`models.audit` are mapped onto these tables.  Console
code builds its statements on the tables directly, so that it never loads
``sqlalchemy.orm`` (about 60 modules and 10 MiB of every console).

Every column, type, nullability, index name, constraint name and cascade follows
the document.  Server-side defaults let the engine and people with psql insert
rows naming only the business columns; the Python-side ``default``/``onupdate``
fill the same columns on the console's own inserts and updates.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

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

# Names PostgreSQL itself would choose for primary and foreign keys, so a
# database created by hand from the contract and one created by our migration
# have identical catalogs.  CHECK, UNIQUE and index names are always explicit.
NAMING_CONVENTION = {
    "pk": "%(table_name)s_pkey",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

EMPTY_JSON = text("'{}'::jsonb")
ZERO = text("0")
TRUE = text("true")

# exec-YYYYMMDD-HHMMSS-xxxxxx, stamped in UTC, for rows inserted without one; the
# sequence and function are installed by the migrations (see models.execution_ids).
EXECUTION_ID_DEFAULT = text("autopr_new_execution_id()")

# So metadata.create_all() (scratch databases, not the console) gets them as well.
for _statement in EXECUTION_ID_DDL:
    event.listen(metadata, "before_create", DDL(_statement))  # type: ignore[no-untyped-call]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _uuid_pk() -> Column[uuid.UUID]:
    return Column(
        "id",
        UUID(as_uuid=True),
        primary_key=True,
        default=uuid.uuid4,
        server_default=func.gen_random_uuid(),
    )


def _audit_columns() -> tuple[Column[datetime], Column[datetime]]:
    """created_at / updated_at, set by Python on the console's writes and by the server
    otherwise; ``updated_at`` is bumped by every update the console makes."""
    return (
        Column(
            "created_at",
            DateTime(timezone=True),
            default=utcnow,
            server_default=func.now(),
            nullable=False,
        ),
        Column(
            "updated_at",
            DateTime(timezone=True),
            default=utcnow,
            onupdate=utcnow,
            server_default=func.now(),
            nullable=False,
        ),
    )


def _created_at() -> Column[datetime]:
    return Column(
        "created_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        default=utcnow,
    )


def _json_object(name: str) -> Column[dict[str, object]]:
    """A JSONB column that is ``{}`` unless given."""
    return Column(name, JSONB, nullable=False, server_default=EMPTY_JSON, default=dict)


def _status(name: str, length: int, default: str) -> Column[str]:
    return Column(
        name, String(length), nullable=False, server_default=text(f"'{default}'"), default=default
    )


def _retry_count() -> Column[int]:
    return Column("retry_count", Integer, nullable=False, server_default=ZERO, default=0)


def _enabled() -> Column[bool]:
    return Column("enabled", Boolean, nullable=False, server_default=TRUE, default=True)


def _workflow_fk() -> Column[uuid.UUID]:
    return Column(
        "workflow_id",
        UUID(as_uuid=True),
        ForeignKey("workflows.id", ondelete="CASCADE"),
        nullable=False,
    )


WORKFLOWS = Table(
    "workflows",
    metadata,
    _uuid_pk(),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=True),
    _status("status", 50, "draft"),
    _json_object("config"),
    Column("created_by", String(255), nullable=True),
    *_audit_columns(),
    UniqueConstraint("name", name="uq_workflow_name"),
    CheckConstraint(f"status IN {sql_in_list(WORKFLOW_STATUSES)}", name="chk_workflow_status"),
    Index("idx_workflows_status", "status"),
    Index("idx_workflows_created_at", "created_at"),
    Index("idx_workflows_config", "config", postgresql_using="gin"),
)

WORKFLOW_EXECUTIONS = Table(
    "workflow_executions",
    metadata,
    _uuid_pk(),
    _workflow_fk(),
    Column("execution_id", String(255), nullable=False, server_default=EXECUTION_ID_DEFAULT),
    _status("status", 50, "pending"),
    Column(
        "started_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        default=utcnow,
    ),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("result", JSONB, nullable=True),
    Column("error_message", Text, nullable=True),
    _retry_count(),
    Column(
        "parent_execution_id",
        UUID(as_uuid=True),
        ForeignKey("workflow_executions.id"),
        nullable=True,
    ),
    Column("trigger_type", String(100), nullable=True),
    Column("trigger_data", JSONB, nullable=True),
    UniqueConstraint("execution_id", name="uq_execution_id"),
    CheckConstraint(f"status IN {sql_in_list(EXECUTION_STATUSES)}", name="chk_execution_status"),
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

WORKFLOW_ACTIONS = Table(
    "workflow_actions",
    metadata,
    _uuid_pk(),
    _workflow_fk(),
    Column("action_type", String(100), nullable=False),
    Column("action_name", String(255), nullable=False),
    _json_object("config"),
    Column("order_index", Integer, nullable=False),
    Column("conditions", JSONB, nullable=True),
    *_audit_columns(),
    UniqueConstraint("workflow_id", "order_index", name="uq_workflow_action_order"),
    CheckConstraint("order_index >= 0", name="chk_order_index_positive"),
    Index("idx_workflow_actions_workflow_id", "workflow_id"),
    Index("idx_workflow_actions_type", "action_type"),
    Index("idx_workflow_actions_order", "workflow_id", "order_index"),
)

EXECUTION_LOGS = Table(
    "execution_logs",
    metadata,
    _uuid_pk(),
    Column(
        "execution_id",
        UUID(as_uuid=True),
        ForeignKey("workflow_executions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _status("level", 20, "INFO"),
    Column("message", Text, nullable=False),
    Column("log_metadata", JSONB, nullable=True),
    Column(
        "action_id",
        UUID(as_uuid=True),
        ForeignKey("workflow_actions.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("step_name", String(255), nullable=True),
    _created_at(),
    CheckConstraint(f"level IN {sql_in_list(LOG_LEVELS)}", name="chk_log_level"),
    Index("idx_execution_logs_execution_id", "execution_id"),
    Index("idx_execution_logs_level", "level"),
    Index("idx_execution_logs_created_at", "created_at"),
    Index("idx_execution_logs_composite", "execution_id", "level", "created_at"),
)

INTEGRATIONS = Table(
    "integrations",
    metadata,
    _uuid_pk(),
    Column("name", String(255), nullable=False),
    Column("type", String(100), nullable=False),
    _json_object("config"),
    _enabled(),
    _status("health_status", 50, "unknown"),
    Column("last_health_check", DateTime(timezone=True), nullable=True),
    # Never read into the console: queries name their columns and leave this one out.
    Column("credentials_encrypted", Text, nullable=True),
    *_audit_columns(),
    UniqueConstraint("name", name="uq_integration_name"),
    CheckConstraint(f"type IN {sql_in_list(INTEGRATION_TYPES)}", name="chk_integration_type"),
    CheckConstraint(
        f"health_status IN {sql_in_list(HEALTH_STATUSES)}", name="chk_integration_health"
    ),
    Index("idx_integrations_type", "type"),
    Index("idx_integrations_enabled", "enabled"),
    Index("idx_integrations_health", "health_status"),
)

INTEGRATION_EVENTS = Table(
    "integration_events",
    metadata,
    _uuid_pk(),
    Column(
        "integration_id",
        UUID(as_uuid=True),
        ForeignKey("integrations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_type", String(100), nullable=False),
    Column("event_id", String(255), nullable=True),
    _json_object("payload"),
    _status("status", 50, "pending"),
    Column("processed_at", DateTime(timezone=True), nullable=True),
    Column("error_message", Text, nullable=True),
    _retry_count(),
    _created_at(),
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

WORKFLOW_TRIGGERS = Table(
    "workflow_triggers",
    metadata,
    _uuid_pk(),
    _workflow_fk(),
    Column("trigger_type", String(100), nullable=False),
    _json_object("conditions"),
    _enabled(),
    *_audit_columns(),
    CheckConstraint(f"trigger_type IN {sql_in_list(TRIGGER_TYPES)}", name="chk_trigger_type"),
    Index("idx_workflow_triggers_workflow_id", "workflow_id"),
    Index("idx_workflow_triggers_type", "trigger_type"),
    Index("idx_workflow_triggers_enabled", "enabled"),
)

# The console's own table: one row per operator action, written in the action's transaction.
AUDIT_LOG = Table(
    "audit_log",
    metadata,
    _uuid_pk(),
    Column(
        "occurred_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        default=utcnow,
    ),
    Column("actor", String(255), nullable=False),  # OS user
    Column("actor_host", String(255), nullable=True),
    Column("profile", String(100), nullable=True),
    Column("action", String(100), nullable=False),
    Column("target_table", String(100), nullable=False),
    Column("target_id", String(255), nullable=True),
    Column("before", JSONB, nullable=True),
    Column("after", JSONB, nullable=True),
    Index("idx_audit_log_occurred_at", "occurred_at"),
    Index("idx_audit_log_target", "target_table", "target_id"),
    Index("idx_audit_log_action", "action"),
)
