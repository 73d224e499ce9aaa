"""Export a table page's rows (all matching its filter, or a selection) as CSV or JSON.

Rows are read in keyset batches in the page's order (never one huge result in
memory: a 10M-row table streams), written to a temporary file that replaces
the target only when complete, and every row goes through the secrets policy.
``progress(done, total)`` is called after each batch; it returns False to
cancel, and the temporary file is then removed.  No Qt here: the page runs it
on a worker and relays the progress.

Every row matching a filter is exported by a process of its own
(console.ui.tables.export_child); a selection, already in memory, on a worker.
Batches are of 1,000 rows (run on a thread of the window, 5,000 rows in flight
took the GUI thread's collector 8-13 ms to walk, 1,000 about 2 ms).
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from console.queries.keyset import WindowQuery, fetch_window, sort_value
from console.queries.source import Connectable
from console.secret_policy import mask
from console.ui.tables.columns import Column, json_value

BATCH = 1000
Progress = Callable[[int, int], bool]  # (rows written, expected total) -> go on?
FORMATS = ("csv", "json")


class ExportCancelled(Exception):
    """The operator cancelled; nothing was left at the target path."""


def batches(
    engine: Connectable, q: WindowQuery, batch: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Every row matching ``q`` in its display order, ``batch`` rows per read."""
    batch = batch or BATCH
    anchor = None
    while True:
        with engine.connect() as conn:
            mode: Literal["top", "after"] = "top" if anchor is None else "after"
            rows = fetch_window(conn, q, mode, batch, anchor)
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        anchor = sort_value(rows[-1], q)


def _document(row: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return mask({name: json_value(row.get(name)) for name in names})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_rows(
    path: Path,
    fmt: str,
    columns: tuple[Column, ...],
    row_batches: Iterable[list[dict[str, Any]]],
    total: int,
    progress: Progress,
) -> int:
    """Write the rows to ``path`` (``fmt`` "csv" or "json"); returns how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"export format must be one of {FORMATS}")
    names = ["id", *(c.name for c in columns if c.name != "id")]
    headers = ["id", *(c.header for c in columns if c.name != "id")]
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    written = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out) if fmt == "csv" else None
            if writer is not None:
                writer.writerow(headers)
            else:
                out.write("[")
            for rows in row_batches:
                for row in rows:
                    doc = _document(row, names)
                    if writer is not None:
                        writer.writerow([_cell(doc[n]) for n in names])
                    else:
                        out.write(",\n" if written else "\n")
                        out.write(json.dumps(doc, ensure_ascii=False, default=str))
                    written += 1
                if not progress(written, max(total, written)):
                    raise ExportCancelled(f"cancelled after {written:,} rows")
            if writer is None:
                out.write("\n]\n" if written else "]\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return written
