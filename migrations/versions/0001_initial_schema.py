"""Initial schema: the seven tables of the AutoPR schema contract.

Hand-reviewed against spec/DATABASE_SCHEMA.md: column types and nullability,
index names (GIN on workflows.config, the partial queue index), the named CHECK
and UNIQUE constraints, and ON DELETE CASCADE exactly on the five documented
foreign keys.  Server defaults let other writers insert business columns only.

On a database whose seven tables already exist (made by the engine, and found to
match the contract before any revision runs) only the console's function is
created: the engine's tables are never altered, and a downgrade never drops them.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 07:43:37.612886
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

NEW_EXECUTION_ID_FUNCTION = """
CREATE OR REPLACE FUNCTION autopr_new_execution_id() RETURNS varchar
LANGUAGE sql VOLATILE AS $$
  SELECT 'exec-' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD-HH24MISS')
      || '-' || substr(md5(random()::text || clock_timestamp()::text), 1, 6)
$$
"""

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _contract_tables_exist() -> bool:
    """True when the engine made the tables (offline: as told by the caller)."""
    if context.is_offline_mode():
        return bool(context.config.attributes.get("contract_tables_exist"))
    return sa.inspect(op.get_bind()).has_table("workflows")


def _tables_made_by_console() -> bool:
    """Tables this revision created have execution_id default to our function."""
    if context.is_offline_mode():
        return not context.config.attributes.get("contract_tables_exist")
    default = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
                "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                "WHERE d.adrelid = to_regclass('workflow_executions') AND a.attname = 'execution_id'"
            )
        )
        .scalar()
    )
    return bool(default) and "autopr_new_execution_id" in default


def upgrade() -> None:
    # Frozen copy of models.tables.NEW_EXECUTION_ID_FUNCTION as of this revision.
    op.execute(NEW_EXECUTION_ID_FUNCTION)
    if _contract_tables_exist():
        return
    op.create_table(
        "integrations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column(
            "config",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "health_status",
            sa.String(length=50),
            server_default=sa.text("'unknown'"),
            nullable=False,
        ),
        sa.Column("last_health_check", sa.DateTime(timezone=True), nullable=True),
        sa.Column("credentials_encrypted", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "health_status IN ('healthy', 'degraded', 'unhealthy', 'unknown')",
            name="chk_integration_health",
        ),
        sa.CheckConstraint(
            "type IN ('github', 'linear', 'slack', 'axolo', 'teams', 'discord', 'jira', 'sentry', 'datadog')",
            name="chk_integration_type",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("integrations_pkey")),
        sa.UniqueConstraint("name", name="uq_integration_name"),
    )
    op.create_index("idx_integrations_enabled", "integrations", ["enabled"], unique=False)
    op.create_index("idx_integrations_health", "integrations", ["health_status"], unique=False)
    op.create_index("idx_integrations_type", "integrations", ["type"], unique=False)
    op.create_table(
        "workflows",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "status", sa.String(length=50), server_default=sa.text("'draft'"), nullable=False
        ),
        sa.Column(
            "config",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('active', 'inactive', 'archived', 'draft')", name="chk_workflow_status"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("workflows_pkey")),
        sa.UniqueConstraint("name", name="uq_workflow_name"),
    )
    op.create_index(
        "idx_workflows_config", "workflows", ["config"], unique=False, postgresql_using="gin"
    )
    op.create_index("idx_workflows_created_at", "workflows", ["created_at"], unique=False)
    op.create_index("idx_workflows_status", "workflows", ["status"], unique=False)
    op.create_table(
        "integration_events",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("integration_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "status", sa.String(length=50), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("retry_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed', 'ignored')",
            name="chk_event_status",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("integration_events_integration_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("integration_events_pkey")),
    )
    op.create_index(
        "idx_integration_events_created_at", "integration_events", ["created_at"], unique=False
    )
    op.create_index(
        "idx_integration_events_integration_id",
        "integration_events",
        ["integration_id"],
        unique=False,
    )
    op.create_index(
        "idx_integration_events_queue",
        "integration_events",
        ["status", "created_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'processing')"),
    )
    op.create_index("idx_integration_events_status", "integration_events", ["status"], unique=False)
    op.create_index(
        "idx_integration_events_type", "integration_events", ["event_type"], unique=False
    )
    op.create_table(
        "workflow_actions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("workflow_id", sa.UUID(), nullable=False),
        sa.Column("action_type", sa.String(length=100), nullable=False),
        sa.Column("action_name", sa.String(length=255), nullable=False),
        sa.Column(
            "config",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("order_index", sa.Integer(), nullable=False),
        sa.Column("conditions", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("order_index >= 0", name="chk_order_index_positive"),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("workflow_actions_workflow_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("workflow_actions_pkey")),
        sa.UniqueConstraint("workflow_id", "order_index", name="uq_workflow_action_order"),
    )
    op.create_index(
        "idx_workflow_actions_order",
        "workflow_actions",
        ["workflow_id", "order_index"],
        unique=False,
    )
    op.create_index("idx_workflow_actions_type", "workflow_actions", ["action_type"], unique=False)
    op.create_index(
        "idx_workflow_actions_workflow_id", "workflow_actions", ["workflow_id"], unique=False
    )
    op.create_table(
        "workflow_executions",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("workflow_id", sa.UUID(), nullable=False),
        sa.Column(
            "execution_id",
            sa.String(length=255),
            server_default=sa.text("autopr_new_execution_id()"),
            nullable=False,
        ),
        sa.Column(
            "status", sa.String(length=50), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("retry_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("parent_execution_id", sa.UUID(), nullable=True),
        sa.Column("trigger_type", sa.String(length=100), nullable=True),
        sa.Column("trigger_data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'failed', 'timeout', 'cancelled')",
            name="chk_execution_status",
        ),
        sa.CheckConstraint(
            "completed_at IS NULL OR completed_at >= started_at",
            name="chk_completed_at_after_started",
        ),
        sa.ForeignKeyConstraint(
            ["parent_execution_id"],
            ["workflow_executions.id"],
            name=op.f("workflow_executions_parent_execution_id_fkey"),
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("workflow_executions_workflow_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("workflow_executions_pkey")),
        sa.UniqueConstraint("execution_id", name="uq_execution_id"),
    )
    op.create_index(
        "idx_workflow_executions_composite",
        "workflow_executions",
        ["workflow_id", "status", "started_at"],
        unique=False,
    )
    op.create_index(
        "idx_workflow_executions_started_at", "workflow_executions", ["started_at"], unique=False
    )
    op.create_index(
        "idx_workflow_executions_status", "workflow_executions", ["status"], unique=False
    )
    op.create_index(
        "idx_workflow_executions_trigger_type",
        "workflow_executions",
        ["trigger_type"],
        unique=False,
    )
    op.create_index(
        "idx_workflow_executions_workflow_id", "workflow_executions", ["workflow_id"], unique=False
    )
    op.create_table(
        "workflow_triggers",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("workflow_id", sa.UUID(), nullable=False),
        sa.Column("trigger_type", sa.String(length=100), nullable=False),
        sa.Column(
            "conditions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "trigger_type IN ('event', 'schedule', 'webhook', 'manual')", name="chk_trigger_type"
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("workflow_triggers_workflow_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("workflow_triggers_pkey")),
    )
    op.create_index("idx_workflow_triggers_enabled", "workflow_triggers", ["enabled"], unique=False)
    op.create_index(
        "idx_workflow_triggers_type", "workflow_triggers", ["trigger_type"], unique=False
    )
    op.create_index(
        "idx_workflow_triggers_workflow_id", "workflow_triggers", ["workflow_id"], unique=False
    )
    op.create_table(
        "execution_logs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("execution_id", sa.UUID(), nullable=False),
        sa.Column("level", sa.String(length=20), server_default=sa.text("'INFO'"), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("log_metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("action_id", sa.UUID(), nullable=True),
        sa.Column("step_name", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')", name="chk_log_level"
        ),
        sa.ForeignKeyConstraint(
            ["action_id"], ["workflow_actions.id"], name=op.f("execution_logs_action_id_fkey")
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["workflow_executions.id"],
            name=op.f("execution_logs_execution_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("execution_logs_pkey")),
    )
    op.create_index(
        "idx_execution_logs_composite",
        "execution_logs",
        ["execution_id", "level", "created_at"],
        unique=False,
    )
    op.create_index("idx_execution_logs_created_at", "execution_logs", ["created_at"], unique=False)
    op.create_index(
        "idx_execution_logs_execution_id", "execution_logs", ["execution_id"], unique=False
    )
    op.create_index("idx_execution_logs_level", "execution_logs", ["level"], unique=False)


def downgrade() -> None:
    if not _tables_made_by_console():
        op.execute("DROP FUNCTION IF EXISTS autopr_new_execution_id()")
        return
    op.drop_index("idx_execution_logs_level", table_name="execution_logs")
    op.drop_index("idx_execution_logs_execution_id", table_name="execution_logs")
    op.drop_index("idx_execution_logs_created_at", table_name="execution_logs")
    op.drop_index("idx_execution_logs_composite", table_name="execution_logs")
    op.drop_table("execution_logs")
    op.drop_index("idx_workflow_triggers_workflow_id", table_name="workflow_triggers")
    op.drop_index("idx_workflow_triggers_type", table_name="workflow_triggers")
    op.drop_index("idx_workflow_triggers_enabled", table_name="workflow_triggers")
    op.drop_table("workflow_triggers")
    op.drop_index("idx_workflow_executions_workflow_id", table_name="workflow_executions")
    op.drop_index("idx_workflow_executions_trigger_type", table_name="workflow_executions")
    op.drop_index("idx_workflow_executions_status", table_name="workflow_executions")
    op.drop_index("idx_workflow_executions_started_at", table_name="workflow_executions")
    op.drop_index("idx_workflow_executions_composite", table_name="workflow_executions")
    op.drop_table("workflow_executions")
    op.drop_index("idx_workflow_actions_workflow_id", table_name="workflow_actions")
    op.drop_index("idx_workflow_actions_type", table_name="workflow_actions")
    op.drop_index("idx_workflow_actions_order", table_name="workflow_actions")
    op.drop_table("workflow_actions")
    op.drop_index("idx_integration_events_type", table_name="integration_events")
    op.drop_index("idx_integration_events_status", table_name="integration_events")
    op.drop_index(
        "idx_integration_events_queue",
        table_name="integration_events",
        postgresql_where=sa.text("status IN ('pending', 'processing')"),
    )
    op.drop_index("idx_integration_events_integration_id", table_name="integration_events")
    op.drop_index("idx_integration_events_created_at", table_name="integration_events")
    op.drop_table("integration_events")
    op.drop_index("idx_workflows_status", table_name="workflows")
    op.drop_index("idx_workflows_created_at", table_name="workflows")
    op.drop_index("idx_workflows_config", table_name="workflows", postgresql_using="gin")
    op.drop_table("workflows")
    op.drop_index("idx_integrations_type", table_name="integrations")
    op.drop_index("idx_integrations_health", table_name="integrations")
    op.drop_index("idx_integrations_enabled", table_name="integrations")
    op.drop_table("integrations")
    op.execute("DROP FUNCTION IF EXISTS autopr_new_execution_id()")
