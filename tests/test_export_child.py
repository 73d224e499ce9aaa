"""The export child process: the job on one input line, progress and the outcome on its
output; a cancel, or the window going away (end of input), leaves no file behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from sqlalchemy import Engine

from console.db.connection import open_database
from console.profiles import profile_from_url
from console.queries import specs
from console.queries.keyset import Sort, WindowQuery
from console.ui.tables import columns, export_child
from tests.helpers.seeding import seed_engine


def start(line: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        export_child.command(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc


def test_the_child_exports_and_cancels_cleanly(engine: Engine, db_url: str, tmp_path) -> None:
    seed_engine(engine)
    db = open_database(profile_from_url(db_url, name="export-child"))
    try:
        q = WindowQuery.make(specs.EXECUTIONS, {"status": ["failed"]}, Sort("status", False))
        target = tmp_path / "failed.csv"
        line = export_child.job(db, q, columns.EXECUTIONS, target, "csv", 10, 5)
        assert "conninfo" in json.loads(line)
        proc = start(line)
        assert proc.stdout is not None
        out = []
        for text in proc.stdout:  # input stays open until the outcome is told
            out.append(text.strip())
            if not text.startswith("progress"):
                break
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(60)
        assert out[-1].startswith("done ") and out[0].startswith("progress 5 ")
        written = int(out[-1].split()[1])
        assert written > 5 and len(target.read_text().splitlines()) == written + 1

        # the window goes away (end of input) before the child is done: nothing is left
        gone = tmp_path / "gone.json"
        proc = start(export_child.job(db, q, columns.EXECUTIONS, gone, "json", 10, 1))
        stdout, _ = proc.communicate(timeout=60)  # closes the input at once
        assert stdout.strip().splitlines()[-1] == "cancelled"
        assert list(tmp_path.glob("*gone*")) == []

        # a failure is one line
        bad = json.loads(line)
        bad["filters"] = {"status": ["no-such-status"]}
        proc = start(json.dumps(bad))
        stdout, _ = proc.communicate(timeout=60)
        last = stdout.strip().splitlines()[-1]
        assert last.startswith("failed ") and "no-such-status" in last and proc.returncode == 1
    finally:
        db.close()
    assert [p.name for p in Path(tmp_path).iterdir() if p.suffix == ".part"] == []


def test_a_crashed_childs_last_error_line_is_redacted(qapp) -> None:
    """Without an outcome line the window shows the child's last stderr line: a traceback
    quoting the conninfo it was handed must not show the password."""
    import sys

    from PySide6.QtCore import QProcess

    from console.ui.tables.export_ui import last_error_line

    proc = QProcess()
    proc.start(
        sys.executable,
        [
            "-c",
            "raise SystemExit(\"OperationalError: 'host=db user=ops password=s3cret-pw'"
            ' refused; postgresql://ops:an0ther@db/x")',
        ],
    )
    assert proc.waitForFinished(30_000)
    line = last_error_line(proc)
    assert "OperationalError" in line and "refused" in line
    assert "s3cret-pw" not in line and "an0ther" not in line
