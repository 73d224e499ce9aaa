"""Audit trail: ``audit_log``, one row per operator action.

Written by the console in the same transaction as the change it records
(actor = OS user and host, profile, action, target, before and after).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _exists() -> bool:
    """A database whose console history was lost keeps its audit trail (online only)."""
    if context.is_offline_mode():
        return False
    return sa.inspect(op.get_bind()).has_table("audit_log")


def upgrade() -> None:
    if _exists():
        return
    op.create_table(
        "audit_log",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("actor_host", sa.String(length=255), nullable=True),
        sa.Column("profile", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target_table", sa.String(length=100), nullable=False),
        sa.Column("target_id", sa.String(length=255), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("audit_log_pkey")),
    )
    op.create_index("idx_audit_log_action", "audit_log", ["action"], unique=False)
    op.create_index("idx_audit_log_occurred_at", "audit_log", ["occurred_at"], unique=False)
    op.create_index(
        "idx_audit_log_target", "audit_log", ["target_table", "target_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("idx_audit_log_target", table_name="audit_log")
    op.drop_index("idx_audit_log_occurred_at", table_name="audit_log")
    op.drop_index("idx_audit_log_action", table_name="audit_log")
    op.drop_table("audit_log")
