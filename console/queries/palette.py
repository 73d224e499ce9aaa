"""The command palette's database matches: one statement per keystroke, every part indexed.

What is typed is matched as a prefix of an execution id (``exec-…`` and engine ids
such as ``pr-review_2026-12-01T14:51:25.318347``; the unique ``execution_id``
index), of a workflow name and of an integration name (their unique name
indexes), or as a whole UUID of an execution.  A prefix is a range on the
index (:func:`console.queries.filters.prefix_range`) with the LIKE beside it,
so the answer is exact and each part reads at most ``limit`` index entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, text

from console.queries.filters import escape_like, looks_like_uuid, prefix_range

MAX_TEXT = 200
MatchKind = Literal["execution", "workflow", "integration"]
MATCH_KINDS: tuple[MatchKind, ...] = ("execution", "workflow", "integration")


@dataclass(frozen=True)
class PaletteMatch:
    kind: MatchKind
    label: str  # execution id or name
    detail: str  # status, type …
    row_id: str


def _part(table: str, column: str, kind: MatchKind, detail: str, n: int, bounded: bool) -> str:
    upper = f" AND {column} < :hi" if bounded else ""
    # The range alone inside: with the LIKE beside it the planner takes the range for a
    # handful of rows and reads all of them (bitmap scan and sort: 200 ms for a day of
    # ids); alone it walks the index in order and stops after the first ones.
    return (
        f"(SELECT '{kind}' AS kind, label, detail, row_id FROM ("
        f"SELECT {column} AS label, {detail} AS detail, id::text AS row_id"
        f" FROM {table} WHERE {column} >= :lo{upper} ORDER BY {column} LIMIT {n * 4}"
        f") r WHERE label LIKE :pattern ORDER BY label LIMIT {n})"
    )


def palette_sql(limit: int, bounded: bool = True) -> str:
    """The statement (``bounded``: with the prefix's upper bound ``:hi``)."""
    return " UNION ALL ".join(
        (
            _part("workflow_executions", "execution_id", "execution", "status", limit, bounded),
            _part("workflows", "name", "workflow", "status", limit, bounded),
            _part("integrations", "name", "integration", "type", limit, bounded),
        )
    )


UUID_SQL = (
    "SELECT 'execution', execution_id, status, id::text FROM workflow_executions WHERE id = :id"
)


def search(conn: Connection, typed: str, limit: int = 8) -> list[PaletteMatch]:
    """Executions, workflows and integrations whose id or name starts with ``typed``."""
    typed = typed.strip()[:MAX_TEXT]
    if not typed:
        return []
    if looks_like_uuid(typed):
        rows = conn.execute(text(UUID_SQL), {"id": typed.lower()}).all()
    else:
        lo, hi = prefix_range(typed)
        params = {"lo": lo, "hi": hi, "pattern": f"{escape_like(typed)}%"}
        rows = conn.execute(text(palette_sql(limit, hi is not None)), params).all()
    kinds = {kind: kind for kind in MATCH_KINDS}  # the statement's own literals, typed
    return [PaletteMatch(kinds[k], str(label), str(d or ""), str(i)) for k, label, d, i in rows]
