"""The embedded server counts open handles, not processes; ``demo --open`` on ``local``.

Both on the default ``local`` profile (the bundled server in the user's data
dir), never ``--url``: that is where one process holds two handles.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from console import paths
from console.cli import main
from console.db.connection import open_database
from console.db.embedded import EmbeddedServer
from console.profiles import resolve_profile


@pytest.fixture(autouse=True)
def server_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The user's home outside pytest's basetemp (see tests/test_embedded.py: server_home)."""
    home = Path(tempfile.mkdtemp(prefix="autopr-test-"))
    monkeypatch.setenv("AUTOPR_CONSOLE_HOME", str(home))
    yield home
    EmbeddedServer(paths.embedded_root()).stop(force=True)  # never leave a server behind
    shutil.rmtree(home, ignore_errors=True)


def test_two_handles_in_one_process_keep_the_server_until_the_last_closes() -> None:
    """Switching back to ``local`` while the old handle still closes, on the default profile."""
    first = open_database(resolve_profile())
    second = open_database(resolve_profile())
    server = EmbeddedServer(paths.embedded_root())
    try:
        assert first.profile.name == second.profile.name == "local"
        handles = server.owners()
        assert len(handles) == 2 and len({pid for pid, _h in handles}) == 1
        first.close()  # the first handle leaves: the server must stay for the second
        assert server.is_running()
        with psycopg.connect(second.conninfo()) as conn:
            assert conn.execute("SELECT count(*) FROM workflows").fetchone() == (0,)
        assert len(server.owners()) == 1
    finally:
        first.close()
        second.close()
    assert not server.is_running()  # the last handle stopped it
    print(
        "embedded: 2 handles in one process; the first close kept the server, the last stopped it"
    )


def test_demo_open_on_local_opens_its_database_and_stops_the_simulator_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from console.ui import settings
    from tests.helpers.windows import close_windows_when

    # The window used prod last time: demo --open must not open it there.
    settings.LAST_PROFILE.put("prod")
    seen: dict = {"profile": None, "database": None, "running": 0}

    def simulator_running(window) -> bool:
        db = window.db
        if db is None:
            return False
        seen["profile"], seen["database"] = db.profile.name, db.database_name
        with psycopg.connect(db.conninfo()) as conn:
            seen["running"] = conn.execute(
                "SELECT count(*) FROM workflow_executions WHERE status = 'running' "
                "AND trigger_data->>'source' = 'demo-simulator'"
            ).fetchone()[0]
        return seen["running"] >= 1

    watch = close_windows_when(monkeypatch, simulator_running, timeout_s=90)
    assert main(["demo", "--open"]) == 0
    watch.timer.stop()
    assert watch.windows_seen >= 1
    # The window was on the database the simulator ran on, not on the last-used profile.
    assert (seen["profile"], seen["database"]) == ("local", "autopr_dev")
    assert seen["running"] >= 1  # the window closed while executions were running

    server = EmbeddedServer(paths.embedded_root())
    assert not server.is_running()  # stopped at the end, by the last handle
    address = server.start()
    try:
        with psycopg.connect(address.conninfo("autopr_dev")) as conn:
            left, cancelled = conn.execute(
                "SELECT count(*) FILTER (WHERE status IN ('pending', 'running')), "
                "count(*) FILTER (WHERE status = 'cancelled' AND error_message = "
                "'Cancelled: demo simulator stopped') FROM workflow_executions "
                "WHERE trigger_data->>'source' = 'demo-simulator'"
            ).fetchone()
    finally:
        server.stop()
    # The simulator stopped (cancelling its leftovers) while the server still ran.
    assert left == 0
    assert cancelled >= 1
    print(
        f"demo --open on local: window on {seen['profile']}/{seen['database']}, "
        f"{seen['running']} running at close, {cancelled} cancelled by the simulator, "
        f"{left} left pending/running"
    )
