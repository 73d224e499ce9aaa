"""Saving the whole log of one execution to a file, streamed (a server-side cursor).

Runs off the GUI thread; ``progress(done, total)`` is called every batch and may
return False to cancel (the partial file is removed).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from console.tail import sql
from console.tail.lines import TailLine, format_jsonl, format_text

Progress = Callable[[int, int], bool | None]
# Opens the read connection: ``Database.connect_raw`` (the engine's timeouts, prod read-only).
Connect = Callable[[], psycopg.Connection[tuple[Any, ...]]]

COUNT = "SELECT count(*) FROM execution_logs WHERE execution_id = %(execution)s"
ALL_LINES = f"""
SELECT {sql.COLUMNS}
FROM execution_logs AS c
LEFT JOIN workflow_executions AS e ON e.id = c.execution_id
WHERE c.execution_id = %(execution)s
ORDER BY c.created_at, c.id
"""


class ExportCancelled(Exception):
    pass


def export_execution_log(
    connect: Connect,
    execution: uuid.UUID,
    path: Path,
    fmt: str = "text",
    progress: Progress | None = None,
    batch_rows: int = 5000,
) -> int:
    """Write every line of ``execution`` to ``path`` (``text`` or ``jsonl``); returns the count.

    The file is written next to its final name and renamed at the end, so a
    failure or a cancel never leaves half a log under the chosen name.
    """
    if fmt not in ("text", "jsonl"):
        raise ValueError("format must be text or jsonl")
    render = format_jsonl if fmt == "jsonl" else format_text
    path = Path(path)
    partial = path.with_name(path.name + ".part")
    params = {"execution": execution}
    done = 0
    try:
        with (
            connect() as conn,
            open(partial, "w", encoding="utf-8", newline="\n") as out,
        ):
            conn.read_only = True
            with conn.transaction():
                total = int(conn.execute(COUNT, params).fetchone()[0])  # type: ignore[index]
                if progress is not None and progress(0, total) is False:
                    raise ExportCancelled()
                with conn.cursor(name="autopr_export") as cur:
                    cur.execute(ALL_LINES, params)
                    while rows := cur.fetchmany(batch_rows):
                        out.write("\n".join(render(TailLine.from_row(r)) for r in rows))
                        out.write("\n")
                        done += len(rows)
                        if progress is not None and progress(done, max(total, done)) is False:
                            raise ExportCancelled()
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return done
