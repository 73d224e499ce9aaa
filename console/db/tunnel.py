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
from typing import TYPE_CHECKING

from console.db import askpass
from console.db.transport import SSHHop

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.engine import URL

    from console.profiles import Profile

log = logging.getLogger(__name__)

LOCAL_HOST = "127.0.0.1"
KEEPER_MAX_DELAY_S = 30.0


class TunnelFailed(RuntimeError):
    """The tunnel could not be opened; ``str()`` is one line for the operator.

    ``kind``: tunnel-unreachable | tunnel-auth | tunnel-hostkey | tunnel-passphrase |
    tunnel-client | tunnel
    """

    def __init__(self, reason: str, kind: str = "tunnel") -> None:
        super().__init__(reason)
        self.kind = kind


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
    """A tiny launcher for :mod:`console.db.askpass` (ssh wants one program path)."""
    global _askpass_dir
    with _askpass_lock:
        if _askpass_dir is None:
            _askpass_dir = Path(tempfile.mkdtemp(prefix="autopr-askpass-"))
            atexit.register(shutil.rmtree, _askpass_dir, True)
        script = Path(askpass.__file__).resolve()
        if os.name == "nt":
            launcher = _askpass_dir / "askpass.cmd"
            body = f'@"{sys.executable}" "{script}" %*\r\n'
        else:
            launcher = _askpass_dir / "askpass.sh"
            body = f"#!/bin/sh\nexec '{sys.executable}' '{script}' \"$@\"\n"
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
        self._proc: subprocess.Popen | None = None
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
        kwargs: dict = {}
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

    def _drain(self, proc: subprocess.Popen) -> None:
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


_UNREACHABLE = (
    "could not resolve hostname",
    "connection refused",
    "connection timed out",
    "operation timed out",
    "no route to host",
    "network is unreachable",
    "connection reset",
    "connection closed by",
    "kex_exchange_identification",
)


def explain_ssh_failure(lines: list[str], tunnel: SSHTunnel, returncode: int) -> TunnelFailed:
    """One line (and a kind) for why ssh exited, from what it printed."""
    text = "\n".join(lines)
    low = text.lower()
    bastion = tunnel.bastion
    where = bastion.bare_host + (f":{bastion.port}" if bastion.port else "")
    login = f"ssh -p {bastion.port or 22} {bastion.destination()}"
    if "remote host identification has changed" in low:
        key_type = re.search(r"fingerprint for the (\S+) key sent", text)
        fingerprint = re.search(r"(SHA256:[A-Za-z0-9+/=]+)", text)
        shown = " ".join(filter(None, [key_type and key_type[1], fingerprint and fingerprint[1]]))
        return TunnelFailed(
            f"SSH tunnel refused: the host key of {where} CHANGED (now {shown or 'unknown'}); "
            "this can be an attack. If its admin confirms the new key, remove the old one with "
            f"'ssh-keygen -R {_known_hosts_name(bastion)}' and accept the new one with '{login}'",
            "tunnel-hostkey",
        )
    if "host key verification failed" in low or "host key is known" in low:
        # A jump host asks (its StrictHostKeyChecking is the user's): the helper said no,
        # and the question carried the host and fingerprint.
        asked = re.search(
            r"authenticity of host '([^' ]+)[^']*' can't be established\.\s*(\S+) key "
            r"fingerprint is (SHA256:[A-Za-z0-9+/=]+)",
            text,
        )
        named = re.search(r"host key is known for (\S+)", text)
        if asked:
            where, shown = asked[1], f"{asked[2]} {asked[3]}"
        else:
            offered = tunnel.probe_host_key()
            shown = f"{offered[0]} {offered[1]}" if offered else "fingerprint unavailable"
            where = named[1] if named else where
        login = _login_for(where, tunnel.hops) or login
        return TunnelFailed(
            f"SSH tunnel refused: the host key of {where} is not in known_hosts ({shown}); "
            f"if its admin confirms this fingerprint, accept it once with '{login}'",
            "tunnel-hostkey",
        )
    given = [line for line in lines if line.startswith(f"{askpass.MARKER} given")]
    if "incorrect passphrase" in low or (given and "permission denied" in low):
        return TunnelFailed(
            f"SSH tunnel: wrong passphrase for the SSH key {tunnel.key or ''}".rstrip()
            + ("" if "incorrect passphrase" in low else " (or the bastion refuses that key)"),
            "tunnel-passphrase",
        )
    asked = [
        line.split(" ", 2)[-1]
        for line in lines
        if line.startswith(f"{askpass.MARKER} refused") and "passphrase" in line.lower()
    ]
    if asked and "permission denied" in low:
        key = re.search(r"for key '([^']+)'", asked[0])
        return TunnelFailed(
            f"SSH tunnel: the SSH key {key[1] if key else ''} needs its passphrase".replace(
                "  ", " "
            ),
            "tunnel-passphrase",
        )

    if "permission denied" in low or "too many authentication failures" in low:
        return TunnelFailed(
            f"SSH tunnel: {bastion.destination()} at {where} refused the login (no accepted "
            "key: add it to ssh-agent or set the profile's ssh key)",
            "tunnel-auth",
        )
    if any(marker in low for marker in _UNREACHABLE):
        detail = next((ln for ln in lines if any(m in ln.lower() for m in _UNREACHABLE)), "")
        return TunnelFailed(
            f"SSH tunnel: the bastion {where} cannot be reached ({_short(detail)})",
            "tunnel-unreachable",
        )
    if "address already in use" in low or "cannot listen" in low or "bind" in low:
        return TunnelFailed(
            f"SSH tunnel: local port {tunnel.local_port} is taken ({_short(text)})", "tunnel"
        )
    last = next((ln for ln in reversed(lines) if not ln.startswith(askpass.MARKER)), "")
    return TunnelFailed(
        f"SSH tunnel via {where} failed: {_short(last) or f'ssh exited with {returncode}'}",
        "tunnel",
    )


def _login_for(known_name: str, hops: list[SSHHop]) -> str | None:
    """The ``ssh`` command that accepts the key of the hop ssh named (``[host]:port``)."""
    for hop in hops:
        if _known_hosts_name(hop) == known_name or hop.bare_host == known_name:
            return f"ssh -p {hop.port or 22} {hop.destination()}"
    return None


def _known_hosts_name(hop: SSHHop) -> str:
    host = hop.bare_host
    return f"[{host}]:{hop.port}" if hop.port and hop.port != 22 else host


def _short(line: str) -> str:
    line = line.strip().splitlines()[0] if line.strip() else ""
    line = re.sub(r"^ssh: ", "", line)
    return line[:160]


def open_tunnel(
    hops: list[SSHHop],
    remote_host: str,
    remote_port: int,
    *,
    key: str | None = None,
    config: str | None = None,
    connect_timeout_s: int = 10,
    passphrase: str | None = None,
) -> SSHTunnel:
    """Open a tunnel (raises :class:`TunnelFailed`) that is kept open until closed."""
    tunnel = SSHTunnel(
        hops,
        remote_host,
        remote_port,
        key=key,
        config=config,
        connect_timeout_s=connect_timeout_s,
        passphrase=passphrase,
    )
    try:
        tunnel.open()
    except BaseException:
        with contextlib.suppress(Exception):
            tunnel.close()
        raise
    return tunnel


def tunnel_profile_url(profile: Profile, url: URL) -> tuple[URL, SSHTunnel]:
    """Open the profile's tunnel and return ``(url through it, tunnel)``.

    The URL keeps the database's host name (verify-full checks the certificate against
    it) and connects to the tunnel's local port through ``hostaddr``.
    """
    from console.db import passphrases
    from console.db.transport import parse_ssh

    remote_host = url.host or "localhost"
    remote_port = url.port or 5432
    tunnel = open_tunnel(
        parse_ssh(profile.ssh),
        remote_host,
        remote_port,
        key=profile.ssh_key,
        config=profile.ssh_config,
        connect_timeout_s=max(profile.connect_timeout_s, 5),
        passphrase=passphrases.get(passphrases.SSH, profile.name),
    )
    query = {**url.query, "hostaddr": LOCAL_HOST}
    return url.set(host=remote_host, port=tunnel.local_port, query=query), tunnel


def bind_to_engine(engine: Engine, tunnel: SSHTunnel) -> None:
    """Make every new pooled connection reopen the tunnel first if ssh went away."""
    from sqlalchemy import event

    @event.listens_for(engine, "do_connect")
    def _reopen(dialect, conn_rec, cargs, cparams) -> None:
        tunnel.ensure_open()
