"""Crash safety of the local profile's embedded server (issue 7, item 7).

A console process opens the local profile, commits rows, leaves a transaction
open and is killed with SIGKILL; or the postmaster itself is killed, leaving a
stale ``postmaster.pid``.  The next start must recover on its own and every
committed row must still be there (the uncommitted one must not).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from console.db.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parents[1]

# A console: opens the local profile, commits N workflows, starts a transaction
# it never commits, says "ready <postmaster pid>" and waits to be killed.
CONSOLE = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy import text
    from console.db.connection import open_database
    from console.profiles import resolve_profile

    db = open_database(resolve_profile())
    n, prefix = int(sys.argv[1]), sys.argv[2]
    with db.engine.begin() as conn:
        for i in range(n):
            conn.execute(text("INSERT INTO workflows (name) VALUES (:n)"), {"n": f"{prefix}-{i}"})
    open_tx = db.engine.connect()
    open_tx.execute(text("BEGIN"))
    open_tx.execute(text("INSERT INTO workflows (name) VALUES ('never-committed')"))
    pid = (db.embedded.pgdata / "postmaster.pid").read_text().split()[0]
    print("ready", pid, flush=True)
    time.sleep(600)
    """
)


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Outside pytest's basetemp: as root, the server's OS user must reach it.
    path = Path(tempfile.mkdtemp(prefix="autopr-crash-"))
    monkeypatch.setenv("AUTOPR_CONSOLE_HOME", str(path))
    yield path
    EmbeddedServer(path / "data" / "embedded").stop(force=True)
    shutil.rmtree(path, ignore_errors=True)


def _start_console(
    home: Path, rows: int, prefix: str = "kept"
) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "AUTOPR_CONSOLE_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CONSOLE, str(rows), prefix],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    assert line and line[0] == "ready", f"console did not start: {line}"
    return proc, int(line[1])


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _names_after_restart() -> tuple[list[str], int]:
    """Open the local profile as a new console would; committed names and the serving pid."""
    from console.db.connection import open_database
    from console.profiles import resolve_profile

    db = open_database(resolve_profile())
    try:
        serving = int((db.embedded.pgdata / "postmaster.pid").read_text().split()[0])
        with psycopg.connect(db.conninfo()) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM workflows ORDER BY name")]
            # The server accepts writes again, not only reads.
            conn.execute("INSERT INTO workflows (name) VALUES ('after-restart')")
        assert db.migration.state.value == "current"
        return names, serving
    finally:
        db.close()


def test_sigkill_of_the_console_leaves_a_server_the_next_start_adopts(home: Path) -> None:
    console, postmaster = _start_console(home, rows=50)
    console.send_signal(signal.SIGKILL)
    console.wait()
    assert psutil.Process(postmaster).is_running()  # the orphan server is still up

    names, serving = _names_after_restart()
    assert names == sorted(f"kept-{i}" for i in range(50))  # committed rows, nothing else
    assert serving == postmaster  # adopted, not a second server on the same data
    # As its last (live) user the new console stopped it on close.
    assert _gone(postmaster)
    assert not (home / "data" / "embedded" / "pgdata" / "postmaster.pid").exists()


@pytest.mark.expects_log_warnings(
    r"^console\.db\.embedded: removing stale .*postmaster\.pid left by a crashed server"
)
def test_sigkill_of_the_postmaster_leaves_a_stale_pid_the_next_start_clears(home: Path) -> None:
    console, postmaster = _start_console(home, rows=30)
    pgdata = home / "data" / "embedded" / "pgdata"
    children = psutil.Process(postmaster).children()
    os.kill(postmaster, signal.SIGKILL)
    console.send_signal(signal.SIGKILL)
    console.wait()
    # Orphaned backends notice the postmaster's death and leave by themselves.
    _, alive = psutil.wait_procs(children, timeout=30)
    assert alive == []
    assert (pgdata / "postmaster.pid").exists()  # stale: its process is gone

    names, serving = _names_after_restart()
    assert names == sorted(f"kept-{i}" for i in range(30))
    assert serving != postmaster
    # Crash recovery ran: the server log says so.
    assert "not properly shut down" in (pgdata.parent / "server.log").read_text()


def test_a_crash_during_writes_twice_in_a_row_still_loses_no_committed_row(home: Path) -> None:
    first, postmaster = _start_console(home, rows=10)
    os.kill(postmaster, signal.SIGKILL)
    first.send_signal(signal.SIGKILL)
    first.wait()

    # Recovers, adds 10 more, is killed in turn (its server left running).
    second, _ = _start_console(home, rows=10, prefix="second")
    second.send_signal(signal.SIGKILL)
    second.wait()

    names, _ = _names_after_restart()
    expected = [f"kept-{i}" for i in range(10)] + [f"second-{i}" for i in range(10)]
    assert names == sorted(expected)
