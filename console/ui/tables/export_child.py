"""Exporting every row matching a page's filter in a process of its own.

Formatting a million rows is about 30 s of Python.  On a thread of the window's
process that thread holds the interpreter lock nearly all the time, and each time
the machine's scheduler preempts it while it holds the lock (a busy machine does so
for tens of milliseconds), the GUI thread waits for the lock that long: the
window stalled 100-400 ms at a time during a 1M-row export.  A child process has
its own interpreter, so the window never waits for it.

The window (console.ui.tables.export_ui) starts ``command()`` and writes one JSON
line, the job: the read conninfo (it carries the password: a pipe, never the
command line or the environment), the engine settings, the table, filters, sort,
columns, target path and format.  It may then write ``cancel``.  The child prints
``progress DONE TOTAL`` after each batch, then ``done COUNT``, ``cancelled`` or
``failed MESSAGE``.  The rows are read and written by :mod:`console.ui.tables.export`
(keyset batches, the secrets policy, a temporary file renamed when complete); a
cancel, or the window going away (end of input), removes the temporary file.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
from pathlib import Path
from typing import Any

ENV_MODE = "AUTOPR_EXPORT_WORKER"  # the frozen app runs as this child when it is set to 1
APPLICATION_NAME = "autopr-console export"


def command() -> list[str]:
    """The program and arguments that run :func:`main` (the frozen app: itself, by ENV_MODE)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "console.ui.tables.export_child"]


def job(db: Any, q: Any, columns: tuple, path: Path, fmt: str, total: int, batch: int) -> str:
    """The job line for a page's query ``q`` on ``db`` (a console.db.connection.Database)."""
    return json.dumps(
        {
            "conninfo": db.read_conninfo(),
            "settings": dataclasses.asdict(db.settings),
            "table": q.spec.key,
            "filters": q.filter_dict(),
            "sort": [q.sort.name, q.sort.descending],
            "columns": [dataclasses.asdict(c) for c in columns],
            "path": str(path),
            "format": fmt,
            "total": total,
            "batch": batch,
        },
        default=str,
    )


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> int:
    from console.db.engine import EngineSettings, raw_engine
    from console.queries import specs
    from console.queries.keyset import Sort, WindowQuery
    from console.ui.tables import export
    from console.ui.tables.columns import Column
    from console.ui.tables.controller import user_message

    task = json.loads(sys.stdin.readline() or "{}")
    cancelled = threading.Event()

    def watch_input() -> None:
        for line in sys.stdin:
            if line.strip() == "cancel":
                break
        cancelled.set()  # asked to, or the window went away

    threading.Thread(target=watch_input, daemon=True).start()
    try:
        settings = EngineSettings(**task["settings"])
        conninfo = task["conninfo"]
        engine = raw_engine(conninfo, settings, APPLICATION_NAME)
        q = WindowQuery.make(
            specs.SPECS[task["table"]], task["filters"], Sort(task["sort"][0], task["sort"][1])
        )
        columns = tuple(Column(**c) for c in task["columns"])

        def progress(done: int, total: int) -> bool:
            _say(f"progress {done} {total}")
            return not cancelled.is_set()

        count = export.write_rows(
            Path(task["path"]),
            task["format"],
            columns,
            export.batches(engine, q, int(task["batch"])),
            int(task["total"]),
            progress,
        )
        engine.dispose()
    except export.ExportCancelled:
        _say("cancelled")
        return 0
    except Exception as exc:  # told to the window in one line
        _say("failed " + " ".join(user_message(exc).split()))
        return 1
    _say(f"done {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
