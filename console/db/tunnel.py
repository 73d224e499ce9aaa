"""SSH tunnels through a bastion, run by the system OpenSSH client.

``ssh -N -L 127.0.0.1:PORT:dbhost:dbport user@bastion`` with ``ExitOnForwardFailure``
and ``StrictHostKeyChecking=yes``: the operator's ``~/.ssh/config``, ``known_hosts``,
agent, ``ProxyJump`` chains and hardware keys work as they do in a terminal, on Linux,
macOS and Windows (which ships OpenSSH).  An unknown or changed host key is refused
and reported with its fingerprint, never accepted.  A key passphrase comes from the
console's memory through an SSH_ASKPASS helper (:mod:`console.db.askpass`), never
from disk; when it is missing the tunnel fails with kind ``tunnel-passphrase`` so the
caller can ask once and retry.

The local port stays the same for the tunnel's life: when ssh exits (network drop,
bastion restart) a keeper thread reopens it with backoff, and every new database
connection first calls :meth:`SSHTunnel.ensure_open`, so the engine's pool, the
window's reconnect and the live tail's own connections all come back through it.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.db import askpass
from console.db.ssh_errors import TunnelFailed, explain_ssh_failure
from console.db.transport import SSHHop

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL

    from console.profiles import Profile

log = logging.getLogger(__name__)

LOCAL_HOST = "127.0.0.1"
KEEPER_MAX_DELAY_S = 30.0


def ssh_executable() -> str:
    found = shutil.which("ssh")
    if not found:
        raise TunnelFailed(
            "SSH tunnel: no ssh client found on this machine (install OpenSSH)", "tunnel-client"
        )
    return found


_askpass_dir: Path | None = None
_askpass_lock = threading.Lock()


def askpass_program() -> str:
    """A tiny launcher for :mod:`console.db.askpass` (ssh wants one program path).

    From source it runs the helper script with this Python; in the frozen app, the
    app itself, which acts as the helper when ``AUTOPR_ASKPASS=1`` (packaging/entry.py).
    """
    global _askpass_dir
    with _askpass_lock:
        if _askpass_dir is None:
            _askpass_dir = Path(tempfile.mkdtemp(prefix="autopr-askpass-"))
            atexit.register(shutil.rmtree, _askpass_dir, True)
        frozen = bool(getattr(sys, "frozen", False))
        target = [sys.executable] if frozen else [sys.executable, str(Path(askpass.__file__))]
        if os.name == "nt":
            launcher = _askpass_dir / "askpass.cmd"
            quoted = " ".join(f'"{part}"' for part in target)
            body = (f"@set {askpass.ENV_MODE}=1\r\n" if frozen else "") + f"@{quoted} %*\r\n"
        else:
            launcher = _askpass_dir / "askpass.sh"
            quoted = " ".join("'" + part.replace("'", "'\\''") + "'" for part in target)
            mode = f"{askpass.ENV_MODE}=1 " if frozen else ""
            body = f'#!/bin/sh\n{mode}exec {quoted} "$@"\n'
        if not launcher.exists():
            launcher.write_text(body, encoding="utf-8")
            launcher.chmod(0o700)
        return str(launcher)


def free_local_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCAL_HOST, 0))
        return int(sock.getsockname()[1])


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class SSHTunnel:
    """One local forward to ``remote_host:remote_port`` as the last hop sees it."""

    def __init__(
        self,
        hops: list[SSHHop],
        remote_host: str,
        remote_port: int,
        *,
        key: str | None = None,
        config: str | None = None,
        connect_timeout_s: int = 10,
        passphrase: str | None = None,
    ) -> None:
        self.hops = hops
        self.remote_host = remote_host
        self.remote_port = remote_port
        self.key = os.path.expanduser(key) if key else None
        self.config = os.path.expanduser(config) if config else None
        self.connect_timeout_s = connect_timeout_s
        self.passphrase = passphrase
        self.local_port = free_local_port()
        self.opened_ms: float | None = None  # how long the last open took
        self.reopened = 0
        self.last_error: TunnelFailed | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._keeper: threading.Thread | None = None

    @property
    def bastion(self) -> SSHHop:
        return self.hops[-1]

    @property
    def is_up(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None

    def command(self, *, probe: bool = False) -> list[str]:
        """The ssh command line; ``probe``: no forward, verbose, to read the host key."""
        bastion = self.bastion
        forward = f"{LOCAL_HOST}:{self.local_port}:{_bracket(self.remote_host)}:{self.remote_port}"
        cmd = [ssh_executable(), "-N", "-T"] + (["-v", "-o", "BatchMode=yes"] if probe else [])
        if self.config:
            cmd += ["-F", self.config]
        for option in (
            "ExitOnForwardFailure=yes",
            "StrictHostKeyChecking=yes",  # unknown or changed host keys are refused
            "PasswordAuthentication=no",  # keys from the agent or a key file only
            "KbdInteractiveAuthentication=no",
            "NumberOfPasswordPrompts=1",
            "ServerAliveInterval=5",
            "ServerAliveCountMax=3",
            f"ConnectTimeout={self.connect_timeout_s}",
            "ControlMaster=no",  # our own process: closing it closes the tunnel
            "ControlPath=none",
            "LogLevel=DEBUG1" if probe else "LogLevel=ERROR",
        ):
            cmd += ["-o", option]
        if self.key:
            cmd += ["-i", self.key, "-o", "IdentitiesOnly=yes"]
        if len(self.hops) > 1:
            cmd += ["-J", ",".join(h.jump_form() for h in self.hops[:-1])]
        if bastion.port:
            cmd += ["-p", str(bastion.port)]
        cmd += ([] if probe else ["-L", forward]) + [bastion.destination()]
        return cmd

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop(askpass.ENV_PASSPHRASE, None)
        env["SSH_ASKPASS"] = askpass_program()
        env["SSH_ASKPASS_REQUIRE"] = "force"
        env.setdefault("DISPLAY", ":0")  # OpenSSH < 8.4 uses askpass only with a DISPLAY
        if self.passphrase is not None:
            env[askpass.ENV_PASSPHRASE] = self.passphrase
        return env

    # -- opening -----------------------------------------------------------------------

    def open(self) -> None:
        """Start ssh and wait until the local port accepts connections."""
        with self._lock:
            self._closed.clear()
            self._start()
        if self._keeper is None or not self._keeper.is_alive():
            self._keeper = threading.Thread(
                target=self._keep, name=f"ssh-tunnel-{self.bastion.bare_host}", daemon=True
            )
            self._keeper.start()

    def ensure_open(self) -> None:
        """Reopen a tunnel whose ssh exited (called before each new database connection)."""
        if self.is_up:
            return
        with self._lock:
            if self._closed.is_set():
                raise TunnelFailed("SSH tunnel: closed with its profile", "tunnel")
            if not self.is_up:
                self._start()
                self.reopened += 1
                log.info("ssh tunnel via %s reopened", self.bastion.bare_host)

    def recheck(self, wait_s: float = 1.0) -> None:
        """After a failed database round trip: raise the tunnel's own error if ssh is gone."""
        proc = self._proc
        if proc is not None:
            try:
                proc.wait(wait_s)
            except subprocess.TimeoutExpired:
                return  # ssh is up: the database's error stands
        self.ensure_open()

    def _start(self) -> None:
        self._stop_process()
        self._stderr.clear()
        started = time.monotonic()
        kwargs: dict[str, Any] = {}
        if os.name == "nt":
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        else:
            kwargs["start_new_session"] = True  # no terminal: prompts go to the askpass helper
        proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=self._environment(),
            **kwargs,
        )
        self._proc = proc
        reader = threading.Thread(target=self._drain, args=(proc,), daemon=True)
        reader.start()
        deadline = started + self.connect_timeout_s * max(1, len(self.hops)) + 5
        while True:
            if proc.poll() is not None:
                reader.join(2)
                self.last_error = self._explain(proc.returncode)
                raise self.last_error
            if self._port_answers():
                break
            if time.monotonic() > deadline:
                self._stop_process()
                self.last_error = TunnelFailed(
                    f"SSH tunnel: {self.bastion.bare_host} did not answer in "
                    f"{self.connect_timeout_s} s",
                    "tunnel-unreachable",
                )
                raise self.last_error
            time.sleep(0.03)
        self.opened_ms = (time.monotonic() - started) * 1000
        self.last_error = None

    def _port_answers(self) -> bool:
        try:
            with socket.create_connection((LOCAL_HOST, self.local_port), timeout=0.5):
                return True
        except OSError:
            return False

    def _drain(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self._stderr.append(line)
                log.debug("ssh: %s", line)

    # -- keeping and closing -------------------------------------------------------------

    def _keep(self) -> None:
        """Reopen after ssh exits unexpectedly, with backoff, until the tunnel is closed."""
        delay = 1.0
        while not self._closed.is_set():
            proc = self._proc
            if proc is not None and proc.poll() is None:
                proc.wait()
                if not self._closed.is_set():
                    log.warning(
                        "ssh tunnel via %s dropped: %s",
                        self.bastion.bare_host,
                        self._last_line() or f"ssh exited with {proc.returncode}",
                    )
                continue
            if self._closed.wait(delay):
                break
            try:
                self.ensure_open()
                delay = 1.0
            except TunnelFailed as exc:
                self.last_error = exc
                delay = min(delay * 2, KEEPER_MAX_DELAY_S)

    def close(self) -> None:
        """Stop ssh for good (the profile is closed)."""
        self._closed.set()
        with self._lock:
            self._stop_process()

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def _last_line(self) -> str:
        lines = [line for line in self._stderr if not line.startswith(askpass.MARKER)]
        return lines[-1] if lines else ""

    # -- explaining failures -------------------------------------------------------------

    def _explain(self, returncode: int) -> TunnelFailed:
        return explain_ssh_failure(list(self._stderr), self, returncode)

    def probe_host_key(self) -> tuple[str, str] | None:
        """(key type, SHA256 fingerprint) the bastion offers, read from ``ssh -v``."""
        try:
            out = subprocess.run(
                self.command(probe=True),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=self.connect_timeout_s + 5,
                env={k: v for k, v in self._environment().items() if k != askpass.ENV_PASSPHRASE},
            ).stderr.decode("utf-8", "replace")
        except (OSError, subprocess.TimeoutExpired):
            return None
        found = re.findall(r"Server host key: (\S+) (SHA256:\S+)", out)
        return found[-1] if found else None


def profile_tunnel(profile: Profile, remote_host: str, remote_port: int) -> SSHTunnel:
    """A tunnel (not yet open) through the profile's bastion to ``remote_host:remote_port``."""
    from console.db import passphrases
    from console.db.transport import parse_ssh

    return SSHTunnel(
        parse_ssh(profile.ssh or ""),
        remote_host,
        remote_port,
        key=profile.ssh_key,
        config=profile.ssh_config,
        connect_timeout_s=max(profile.connect_timeout_s, 5),
        passphrase=passphrases.get(passphrases.SSH, profile.name),
    )


def url_through(url: URL, tunnel: SSHTunnel) -> URL:
    """``url`` reaching its server through ``tunnel``'s local port.

    The URL keeps the database's host name (verify-full checks the certificate against
    it) and connects to the tunnel's local port through ``hostaddr``.
    """
    query = {**url.query, "hostaddr": LOCAL_HOST}
    return url.set(host=tunnel.remote_host, port=tunnel.local_port, query=query)


def tunnel_profile_url(profile: Profile, url: URL) -> tuple[URL, SSHTunnel]:
    """Open the profile's tunnel and return ``(url through it, tunnel)``."""
    tunnel = profile_tunnel(profile, url.host or "localhost", url.port or 5432)
    try:
        tunnel.open()
    except BaseException:
        with contextlib.suppress(Exception):
            tunnel.close()
        raise
    return url_through(url, tunnel), tunnel


def replica_tunnel_url(profile: Profile, url: URL) -> tuple[URL, SSHTunnel]:
    """A replica's own forward through the profile's bastion (reads never bypass it).

    Never raises for a bastion that does not answer now: the replica is then
    unreachable, and each new connection to it tries the tunnel again first.
    """
    tunnel = profile_tunnel(profile, url.host or "localhost", url.port or 5432)
    try:
        tunnel.open()
    except TunnelFailed as exc:
        log.info("replica tunnel to %s not open yet: %s", tunnel.remote_host, exc)
    return url_through(url, tunnel), tunnel


def bind_to_engine(engine: Engine, tunnel: SSHTunnel) -> None:
    """Make every new pooled connection reopen the tunnel first if ssh went away."""
    from sqlalchemy import event

    @event.listens_for(engine, "do_connect")
    def _reopen(dialect: Any, conn_rec: Any, cargs: Any, cparams: Any) -> None:
        tunnel.ensure_open()
