"""Logs outlive a removed action: ``execution_logs.action_id`` ON DELETE SET NULL.

The schema document promises "delete workflow → delete all executions, actions,
triggers (and their logs)", but with the literal ``REFERENCES workflow_actions(id)``
(no ON DELETE) deleting a workflow whose logs name its actions fails on
``execution_logs_action_id_fkey``.  SET NULL keeps a log line whose action was
removed (its execution still owns it) and lets the documented cascade complete.

Only tables this console created are changed (their ``execution_id`` defaults to
``autopr_new_execution_id()``); a database whose tables the engine made keeps the
engine's definition.  The constraint is added NOT VALID and validated after, so
the validation scan does not block writers (a month-partitioned
``execution_logs`` takes no NOT VALID key: there it is added and checked at once).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MADE_BY_CONSOLE = """
    EXISTS (
        SELECT 1 FROM pg_attrdef d
        JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        WHERE d.adrelid = to_regclass('workflow_executions') AND a.attname = 'execution_id'
          AND pg_get_expr(d.adbin, d.adrelid) LIKE '%autopr_new_execution_id()%'
    )
"""


def _replace_fk(on_delete: str) -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT {_MADE_BY_CONSOLE} THEN
                RETURN;
            END IF;
            ALTER TABLE execution_logs DROP CONSTRAINT IF EXISTS execution_logs_action_id_fkey;
            IF (SELECT relkind FROM pg_class WHERE oid = to_regclass('execution_logs')) = 'p' THEN
                -- a partitioned table takes no NOT VALID foreign key
                ALTER TABLE execution_logs ADD CONSTRAINT execution_logs_action_id_fkey
                    FOREIGN KEY (action_id) REFERENCES workflow_actions(id) {on_delete};
            ELSE
                ALTER TABLE execution_logs ADD CONSTRAINT execution_logs_action_id_fkey
                    FOREIGN KEY (action_id) REFERENCES workflow_actions(id) {on_delete} NOT VALID;
                ALTER TABLE execution_logs VALIDATE CONSTRAINT execution_logs_action_id_fkey;
            END IF;
        END
        $$
        """
    )


def upgrade() -> None:
    _replace_fk("ON DELETE SET NULL")


def downgrade() -> None:
    _replace_fk("")
