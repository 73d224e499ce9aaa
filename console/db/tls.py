"""TLS to PostgreSQL: what the session negotiated and the server's certificate.

libpq's TLS errors in words (unknown CA, name mismatch, expired, client certificate)
are :func:`console.db.errors.explain_tls_error`, with the other connection errors."""

from __future__ import annotations

import socket
import ssl
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

SSL_REQUEST = struct.pack("!ii", 8, 80877103)


@dataclass(frozen=True)
class SessionTLS:
    """``pg_stat_ssl`` for the current session."""

    encrypted: bool
    version: str | None = None
    cipher: str | None = None
    bits: int | None = None
    client_dn: str | None = None

    def summary(self, sslmode: str | None) -> str:
        """The banner's words: "TLS 1.3 · verified (verify-full)" or "not encrypted"."""
        if not self.encrypted:
            return "not encrypted"
        return f"encrypted {self.version or 'TLS'} · {self.verification(sslmode)}"

    @staticmethod
    def verification(sslmode: str | None) -> str:
        """How far libpq checked the server under ``sslmode``."""
        return {
            "verify-full": "server verified (name and CA)",
            "verify-ca": "server CA verified, name not checked",
        }.get(sslmode or "", "server NOT verified")


def session_tls(conn: Connection) -> SessionTLS:
    """Read ``pg_stat_ssl`` for this backend."""
    row = conn.execute(
        text(
            "SELECT ssl, version, cipher, bits, client_dn FROM pg_stat_ssl "
            "WHERE pid = pg_backend_pid()"
        )
    ).one_or_none()
    if row is None or not row[0]:
        return SessionTLS(False)
    return SessionTLS(True, row[1], row[2], row[3], row[4])


@dataclass(frozen=True)
class ServerCertificate:
    subject: str
    issuer: str
    not_after: datetime

    def expiry_text(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        days = (self.not_after - now).days
        when = self.not_after.strftime("%Y-%m-%d")
        return f"expired {when}" if days < 0 else f"expires {when} (in {days} days)"


def server_certificate(connect_host: str, port: int, timeout_s: float = 5) -> ServerCertificate:
    """The certificate the server presents (PostgreSQL's SSLRequest, then a TLS handshake).

    Nothing is verified here: this only reads what the server shows, for reports and
    for explaining a refused verification.
    """
    from cryptography import x509

    with socket.create_connection((connect_host, port), timeout=timeout_s) as raw:
        raw.sendall(SSL_REQUEST)
        if raw.recv(1) != b"S":
            raise ssl.SSLError("the server does not offer TLS")
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError("the server sent no certificate")
    cert = x509.load_der_x509_certificate(der)
    return ServerCertificate(
        cert.subject.rfc4514_string(), cert.issuer.rfc4514_string(), cert.not_valid_after_utc
    )


def encrypted_key_file(path: str | None) -> bool:
    """True when ``path`` is a PEM private key protected by a passphrase.

    Checked before connecting: without ``sslpassword`` libpq would let OpenSSL prompt
    on the terminal (or fail obscurely without one) instead of the console asking.
    """
    if not path:
        return False
    try:
        head = Path(path).expanduser().read_bytes()[:4096]
    except OSError:
        return False  # libpq reports the unreadable file itself
    return b"ENCRYPTED" in head


def key_passphrase_needed(url: URL) -> str | None:
    """The URL's client key path when it is encrypted (the console must ask first)."""
    key = url.query.get("sslkey")
    key = key if isinstance(key, str) else None
    return key if encrypted_key_file(key) else None
