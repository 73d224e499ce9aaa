"""The embedded PostgreSQL server: start, stop, restart, crash recovery, shared ownership."""

from __future__ import annotations

import json
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

from console.db.embedded import SERVER_OS_USER, EmbeddedServer, ServerAddress

ROOT = Path(__file__).resolve().parents[1]

# A console process owning the server: starts it, says so, stops it when told.
OWNER = textwrap.dedent(
    """
    import sys
    from console.db.embedded import EmbeddedServer
    server = EmbeddedServer(sys.argv[1])
    server.start()
    print("started", flush=True)
    if sys.stdin.readline().strip() == "stop":
        print("stopped" if server.stop() else "kept", flush=True)
    """
)


def server_home() -> Path:
    """A fresh directory outside pytest's basetemp.

    Run as root, the server's OS user must traverse every parent directory, and
    each pytest session that starts resets /tmp/pytest-of-root to mode 0700:
    a cluster kept there cannot start while another session begins.
    """
    return Path(tempfile.mkdtemp(prefix="autopr-test-"))


@pytest.fixture
def root() -> Iterator[Path]:
    home = server_home()
    root = home / "embedded"
    yield root
    # Never leave a server behind, whatever the test did.
    EmbeddedServer(root).stop(force=True)
    shutil.rmtree(home, ignore_errors=True)


def _postmaster_pid(root: Path) -> int:
    return int((root / "pgdata" / "postmaster.pid").read_text().splitlines()[0])


def _query(address: ServerAddress, sql: str, db: str = "postgres") -> list[tuple]:
    with psycopg.connect(address.conninfo(db), autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def _owner(root: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(root)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    return proc


def test_start_stop(root: Path) -> None:
    server = EmbeddedServer(root)
    address = server.start()
    assert _query(address, "SELECT 1") == [(1,)]
    assert server.is_running()
    pid = _postmaster_pid(root)
    assert server.stop() is True
    assert not server.is_running()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not (root / "pgdata" / "postmaster.pid").exists()


def test_the_server_listens_on_a_private_socket_only(root: Path) -> None:
    address = EmbeddedServer(root).start()
    assert address.socket_dir is not None and address.host is None
    assert _query(address, "SHOW listen_addresses") == [("",)]
    assert (address.socket_dir.stat().st_mode & 0o777) == 0o700


def test_server_runs_as_the_unprivileged_os_user_when_started_as_root(root: Path) -> None:
    EmbeddedServer(root).start()
    postmaster = psutil.Process(_postmaster_pid(root))
    users = {p.username() for p in [postmaster, *postmaster.children()]}
    expected = SERVER_OS_USER if os.geteuid() == 0 else psutil.Process().username()
    assert users == {expected}


def test_restart_on_the_same_data_dir_keeps_data(root: Path) -> None:
    server = EmbeddedServer(root)
    server.start()
    server.ensure_database("autopr_dev")
    server.ensure_database("autopr_dev")  # idempotent
    _query(server.address, "CREATE TABLE kept (v text)", "autopr_dev")
    _query(server.address, "INSERT INTO kept VALUES ('still here')", "autopr_dev")
    server.stop()

    again = EmbeddedServer(root)
    address = again.start()
    assert _query(address, "SELECT v FROM kept", "autopr_dev") == [("still here",)]


def _write_pidfile(root: Path, pid: int) -> None:
    pgdata = root / "pgdata"
    lines = [str(pid), str(pgdata), "1700000000", "5432", str(root / "run"), "", "0 0", "ready"]
    (pgdata / "postmaster.pid").write_text("\n".join(lines) + "\n")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("holder", ["dead", "alive-but-not-postgres"])
@pytest.mark.expects_log_warnings(
    r"^console\.db\.embedded: removing stale .*postmaster\.pid left by a crashed server"
)
def test_recovers_from_a_stale_postmaster_pid(root: Path, holder: str) -> None:
    server = EmbeddedServer(root)
    server.start()
    _query(server.address, "CREATE TABLE t (v int); INSERT INTO t VALUES (7)")
    server.stop()
    # A crash leaves postmaster.pid behind; its pid is gone, or reused by another program.
    _write_pidfile(root, _dead_pid() if holder == "dead" else os.getpid())

    address = EmbeddedServer(root).start()
    assert _query(address, "SELECT v FROM t") == [(7,)]
    assert _postmaster_pid(root) != os.getpid()


def test_adopts_the_server_of_a_killed_console(root: Path) -> None:
    owner = _owner(root)
    pid = _postmaster_pid(root)
    lines = (root / "pgdata" / "postmaster.pid").read_text().splitlines()
    address = ServerAddress(port=int(lines[3]), socket_dir=Path(lines[4]))
    _query(address, "CREATE TABLE t (v int); INSERT INTO t VALUES (42)")

    owner.send_signal(signal.SIGKILL)
    owner.wait()
    assert psutil.Process(pid).is_running()  # the server outlives its owner

    server = EmbeddedServer(root)
    address = server.start()
    assert _postmaster_pid(root) == pid  # adopted, not restarted
    assert _query(address, "SELECT v FROM t") == [(42,)]
    assert server.stop() is True  # the dead owner does not count
    assert not server.is_running()


def test_the_last_owner_stops_it_the_first_to_leave_does_not(root: Path) -> None:
    other = _owner(root)
    try:
        server = EmbeddedServer(root)
        address = server.start()
        pid = _postmaster_pid(root)
        assert server.stop() is False  # the other console still uses it
        assert _query(address, "SELECT 1") == [(1,)]
        assert _postmaster_pid(root) == pid
    finally:
        out, _ = other.communicate("stop\n", timeout=60)
    assert out.strip() == "stopped"
    assert not EmbeddedServer(root).is_running()


def test_a_second_owner_leaving_first_keeps_it_for_the_first(root: Path) -> None:
    server = EmbeddedServer(root)
    address = server.start()
    other = _owner(root)
    out, _ = other.communicate("stop\n", timeout=60)
    assert out.strip() == "kept"
    assert _query(address, "SELECT 1") == [(1,)]
    assert server.stop() is True


def test_a_data_dir_with_spaces_and_quotes() -> None:
    # macOS keeps user data under "~/Library/Application Support".  Short enough
    # for the socket to live inside it (long paths fall back to a temp dir).
    base = Path(tempfile.mkdtemp(prefix="ap "))  # short: the socket must fit inside
    root = base / "Application Support" / "it's"
    server = EmbeddedServer(root)
    try:
        address = server.start()
        assert address.socket_dir is not None and " " in str(address.socket_dir)
        assert _query(address, "SELECT 1") == [(1,)]
    finally:
        server.stop(force=True)
        shutil.rmtree(base, ignore_errors=True)


def test_an_owner_pid_reused_by_another_program_does_not_keep_the_server(root: Path) -> None:
    server = EmbeddedServer(root)
    server.start()
    # A crashed console's pid now belongs to some other program (its start time differs),
    # and another crashed console's pid is gone altogether.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        owners = json.loads((root / "owners.json").read_text())
        owners += [[other.pid, 12.5], [_dead_pid(), 1.0]]
        (root / "owners.json").write_text(json.dumps(owners))
        assert server.stop() is True
        assert not server.is_running()
    finally:
        other.kill()
        other.wait()


def test_a_live_server_that_does_not_answer_is_never_treated_as_stale(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.db import embedded

    EmbeddedServer(root).start()
    pid = _postmaster_pid(root)
    monkeypatch.setattr(embedded, "START_TIMEOUT_S", 2)
    os.kill(pid, signal.SIGSTOP)  # alive, but answers nobody (as if still in recovery)
    try:
        with pytest.raises(embedded.EmbeddedServerError, match=f"pid {pid}"):
            EmbeddedServer(root).start()
        assert _postmaster_pid(root) == pid  # its postmaster.pid was left alone
    finally:
        os.kill(pid, signal.SIGCONT)
    assert EmbeddedServer(root).is_running()


def test_the_local_profile_needs_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    from console.db.connection import open_database
    from console.profiles import resolve_profile

    home = server_home()
    monkeypatch.setenv("AUTOPR_CONSOLE_HOME", str(home))
    profile = resolve_profile()
    assert profile.name == "local" and profile.embedded
    db = open_database(profile)
    try:
        assert db.embedded is not None
        assert db.embedded.root.is_relative_to(home / "data")
        assert db.database_name == "autopr_dev"
        assert db.migration.applied and not db.read_only
        with psycopg.connect(db.conninfo()) as conn:
            assert conn.execute("SELECT count(*) FROM workflows").fetchone() == (0,)
    finally:
        db.close()
    assert not db.embedded.is_running()  # stopped on exit

    again = open_database(resolve_profile())  # restarts, finds it migrated
    try:
        assert again.migration.applied == [] and again.migration.state.value == "current"
    finally:
        again.close()
        EmbeddedServer(home / "data" / "embedded").stop(force=True)
        shutil.rmtree(home, ignore_errors=True)


NORMAL_USER_RUN = textwrap.dedent(
    """
    import json, os, sys
    import psutil, psycopg
    from console.db.embedded import EmbeddedServer
    server = EmbeddedServer(sys.argv[1])
    address = server.start()
    pid = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    with psycopg.connect(address.conninfo()) as conn:
        one = conn.execute("SELECT 1").fetchone()[0]
    print(json.dumps({"uid": os.geteuid(), "server_user": psutil.Process(pid).username(),
                      "one": one, "stopped": server.stop()}))
    """
)


def test_works_as_a_normal_user() -> None:
    if os.geteuid() != 0:
        pytest.skip("this whole file already runs as a normal user")
    home = server_home()
    try:
        os.chown(home, 65534, 65534)  # nobody
        result = subprocess.run(
            [sys.executable, "-c", NORMAL_USER_RUN, str(home / "embedded")],
            cwd=ROOT,
            user=65534,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert report["uid"] == 65534
        assert report["server_user"] == pwd_name(65534)
        assert report == {**report, "one": 1, "stopped": True}
    finally:
        EmbeddedServer(home / "embedded").stop(force=True)
        shutil.rmtree(home, ignore_errors=True)


def pwd_name(uid: int) -> str:
    import pwd

    return pwd.getpwuid(uid).pw_name
