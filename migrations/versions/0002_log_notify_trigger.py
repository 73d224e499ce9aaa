"""Wake live tails: a statement-level trigger that NOTIFYs ``autopr_execution_logs``.

The notification carries no log line (payloads are capped at 8000 bytes and a
tail must read committed rows anyway); it only says "look now".  PostgreSQL
folds identical notifications of one transaction into one, so a writer pays
for at most one NOTIFY per transaction, delivered at commit (never for a
rolled-back one).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "autopr_execution_logs"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION autopr_notify_execution_logs() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    # Idempotent: a database whose console history was lost is adopted again.
    op.execute("DROP TRIGGER IF EXISTS trg_execution_logs_notify ON execution_logs")
    op.execute(
        """
        CREATE TRIGGER trg_execution_logs_notify
        AFTER INSERT ON execution_logs
        FOR EACH STATEMENT EXECUTE FUNCTION autopr_notify_execution_logs()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_execution_logs_notify ON execution_logs")
    op.execute("DROP FUNCTION IF EXISTS autopr_notify_execution_logs()")
