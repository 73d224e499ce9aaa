"""Values present in the data, for filter drop-downs (the workflow picker, trigger types)."""

from __future__ import annotations

from sqlalchemy import Connection, text

from models.vocab import TRIGGER_TYPES

# A loose index scan over idx_workflow_executions_trigger_type: one index probe per
# distinct value, however many executions there are.
_DISTINCT_TRIGGER_TYPES = text(
    """
    WITH RECURSIVE t(v) AS (
        (SELECT trigger_type FROM workflow_executions WHERE trigger_type IS NOT NULL
         ORDER BY trigger_type LIMIT 1)
        UNION ALL
        SELECT (SELECT trigger_type FROM workflow_executions
                WHERE trigger_type > t.v ORDER BY trigger_type LIMIT 1)
        FROM t WHERE t.v IS NOT NULL
    )
    SELECT v FROM t WHERE v IS NOT NULL LIMIT :cap
    """
)


def trigger_types(conn: Connection, cap: int = 200) -> list[str]:
    """The documented trigger types, then the others ``workflow_executions`` holds."""
    found = conn.execute(_DISTINCT_TRIGGER_TYPES, {"cap": cap}).scalars().all()
    return list(TRIGGER_TYPES) + sorted(v for v in found if v not in TRIGGER_TYPES)


WORKFLOW_CHOICES_LIMIT = 5000


def workflow_choices(
    conn: Connection, limit: int = WORKFLOW_CHOICES_LIMIT
) -> list[tuple[str, str]]:
    """``(id, name)`` of the workflows by name, at most ``limit`` of them."""
    rows = conn.execute(
        text("SELECT id, name FROM workflows ORDER BY name LIMIT :limit"), {"limit": limit}
    )
    return [(str(r[0]), r[1]) for r in rows]
