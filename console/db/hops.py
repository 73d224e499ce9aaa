"""What ``profile test`` reports: each hop from this machine to the database server."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from sqlalchemy import text

from console.db.connection import Database
from console.db.tls import server_certificate
from console.db.transport import prod_tls_warning


@dataclass(frozen=True)
class Hop:
    name: str  # tunnel | tls | certificate | client-cert | user | server | round-trip | warning
    text: str


def connect_address(db: Database) -> tuple[str, int]:
    """Where the driver connects: the tunnel's local end, or the server's address."""
    hostaddr = db.url.query.get("hostaddr")
    host = hostaddr if isinstance(hostaddr, str) else (db.url.host or "localhost")
    return host, db.url.port or 5432


def sslmode_of(db: Database) -> str | None:
    mode = db.url.query.get("sslmode")
    return mode if isinstance(mode, str) else None


def report_hops(db: Database, samples: int = 5) -> list[Hop]:
    """Measure and describe each hop of an open database (a few quick queries)."""
    hops: list[Hop] = []
    tunnel = db.tunnel
    if tunnel is not None:
        via = " → ".join(h.jump_form() for h in tunnel.hops)
        took = f"{tunnel.opened_ms:.0f} ms" if tunnel.opened_ms is not None else "?"
        hops.append(
            Hop(
                "tunnel",
                f"up via {via} in {took} (127.0.0.1:{tunnel.local_port} → "
                f"{tunnel.remote_host}:{tunnel.remote_port} as the bastion sees it)",
            )
        )
    mode = sslmode_of(db)
    tls = db.tls
    if tls is None or not tls.encrypted:
        hops.append(Hop("tls", f"not encrypted (sslmode {mode or 'prefer'})"))
    else:
        bits = f", {tls.bits} bits" if tls.bits else ""
        hops.append(
            Hop(
                "tls", f"{tls.version} {tls.cipher}{bits}; sslmode {mode}: {tls.verification(mode)}"
            )
        )
        try:
            cert = server_certificate(*connect_address(db))
            hops.append(
                Hop(
                    "certificate",
                    f"server {cert.subject}, issued by {cert.issuer}, {cert.expiry_text()}",
                )
            )
        except Exception as exc:  # a report line, never a failure of the test
            hops.append(Hop("certificate", f"could not be read: {exc}"))
        if tls.client_dn:
            hops.append(Hop("client-cert", f"sent {tls.client_dn}"))
    with db.engine.connect() as conn:
        user, session_user, version = conn.execute(
            text("SELECT current_user, session_user, version()")
        ).one()
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            conn.exec_driver_sql("SELECT 1").scalar()
            times.append((time.perf_counter() - started) * 1000)
    shown_user = user if user == session_user else f"{session_user} (acting as {user})"
    hops.append(Hop("user", f"authenticated as {shown_user}"))
    hops.append(Hop("server", str(version)))
    hops.append(
        Hop("round-trip", f"{statistics.median(times):.1f} ms (median of {samples} SELECT 1)")
    )
    warning = prod_tls_warning(db.profile, mode)
    if warning:
        hops.append(Hop("warning", warning))
    return hops
