"""What an SSH tunnel and TLS cost: open time and round trips, side by side.

Starts the tests' servers (Debian's sshd and a PostgreSQL with ssl = on, on loopback)
and prints, for plain TCP, TLS (verify-full) and TLS through the tunnel: the time to
open the profile, and the median / p99 of ``SELECT 1`` round trips, with ratios to
plain TCP.  Also the time to reopen the tunnel after ssh is killed.  Loopback hides
network latency: the figures are the overhead of the layers themselves.

    python benchmarks/bench_tunnel.py [--samples 2000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.db.connection import Database, open_database
from console.profiles import Profile
from tests.helpers.ssh_tls import TLS_ROLE, SSHServer, TLSPostgres, make_pki


def _round_trips(db: Database, samples: int) -> list[float]:
    times = []
    with db.engine.connect() as conn:
        for _ in range(samples):
            started = time.perf_counter()
            conn.exec_driver_sql("SELECT 1").scalar()
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    home = None
    if "AUTOPR_CONSOLE_HOME" not in os.environ:  # the operator's settings stay untouched
        home = tempfile.mkdtemp(prefix="bench-tunnel-home-")
        os.environ["AUTOPR_CONSOLE_HOME"] = home
    root = Path(tempfile.mkdtemp(prefix="bench-tunnel-"))
    pki = make_pki(root / "pki")
    pg = TLSPostgres(pki)
    ssh = SSHServer(root / "ssh")
    try:
        pg.start()
        with pg.admin() as conn:
            conn.execute("CREATE DATABASE bench")
        ssh.prepare()
        ssh.start()
        base: dict[str, Any] = {
            "environment": "dev",
            "host": "localhost",
            "port": pg.port,
            "dbname": "bench",
            "user": TLS_ROLE,
        }
        variants: dict[str, dict[str, Any]] = {
            "tcp, sslmode=require": {"sslmode": "require"},
            "tls verify-full": {"sslmode": "verify-full", "sslrootcert": str(pki.ca)},
            "tls verify-full via ssh": {
                "sslmode": "verify-full",
                "sslrootcert": str(pki.ca),
                "ssh": f"{ssh.user}@127.0.0.1:{ssh.port}",
                "ssh_key": str(ssh.user_key),
                "ssh_config": str(ssh.client_config),
            },
        }
        open_database(Profile("bench", **base, sslmode="require")).close()  # migrates once
        rows = []
        for label, extra in variants.items():
            started = time.perf_counter()
            db = open_database(Profile("bench", **{**base, **extra}))
            opened = (time.perf_counter() - started) * 1000
            try:
                times = sorted(_round_trips(db, args.samples))
                tunnel_ms = db.tunnel.opened_ms if db.tunnel is not None else None
                reopen_ms = None
                if db.tunnel is not None:
                    ssh_proc = db.tunnel._proc  # the tunnel's own ssh process (no public handle)
                    assert ssh_proc is not None  # the profile is open: its ssh runs
                    ssh_proc.kill()
                    ssh_proc.wait()
                    started = time.perf_counter()
                    db.ping()
                    reopen_ms = (time.perf_counter() - started) * 1000
            finally:
                db.close()
            rows.append((label, opened, tunnel_ms, reopen_ms, times))
        base_median = statistics.median(rows[0][4])
        print(f"{'variant':<26} {'open ms':>8} {'ssh ms':>7} {'median ms':>10} {'p99 ms':>8} ratio")
        for label, opened, tunnel_ms, reopen_ms, times in rows:
            median = statistics.median(times)
            p99 = times[int(len(times) * 0.99)]
            ssh_ms = f"{tunnel_ms:.0f}" if tunnel_ms is not None else "-"
            print(
                f"{label:<26} {opened:>8.0f} {ssh_ms:>7} {median:>10.3f} {p99:>8.3f} "
                f"{median / base_median:.2f}x"
            )
            if reopen_ms is not None:
                print(f"{'':<26} ssh killed -> ping through a reopened tunnel: {reopen_ms:.0f} ms")
    finally:
        ssh.kill()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
