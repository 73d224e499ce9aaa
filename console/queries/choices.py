"""Short pick lists for filter fields (the workflow picker)."""

from __future__ import annotations

from sqlalchemy import Connection, text

WORKFLOW_CHOICES_LIMIT = 5000


def workflow_choices(
    conn: Connection, limit: int = WORKFLOW_CHOICES_LIMIT
) -> list[tuple[str, str]]:
    """``(id, name)`` of the workflows by name, at most ``limit`` of them."""
    rows = conn.execute(
        text("SELECT id, name FROM workflows ORDER BY name LIMIT :limit"), {"limit": limit}
    )
    return [(str(r[0]), r[1]) for r in rows]
