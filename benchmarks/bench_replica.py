"""Reads on a streaming replica against reads on the primary, while the simulator writes.

Starts its own primary (embedded), loads it with the scale loader
(``--scale-factor``, 0.05 by default), makes a standby with ``pg_basebackup -R``
on its own socket, runs the demo simulator against the primary, and then, for
``--seconds`` each, reads pages the way the console does (first rows of the
logs and executions, the end of the logs, a filtered log page) through the
primary and through the replica router.  Prints, side by side: read p50/p99,
reads per second, and the CPU seconds the primary's and the standby's server
processes used in the phase (the simulator's share is in both).

Usage::

    python benchmarks/bench_replica.py [--scale-factor 0.05] [--seconds 20]
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

import psutil
from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.actions.guard import WriteGuard  # noqa: E402
from console.db.embedded import EmbeddedServer  # noqa: E402
from console.db.engine import EngineSettings, make_engine  # noqa: E402
from console.db.migrator import ensure_schema  # noqa: E402
from console.db.replica import ReadRouter, replica_engine  # noqa: E402
from console.demo.scale import ScaleLoader, ScaleSize  # noqa: E402
from console.demo.simulator import DemoSimulator, SimulatorSettings  # noqa: E402
from console.queries.keyset import Mode, WindowQuery, fetch_window  # noqa: E402
from console.queries.specs import EXECUTIONS, LOGS  # noqa: E402
from tests.helpers.standby import make_standby  # noqa: E402

DB = "bench_replica"


def server_cpu(server: EmbeddedServer) -> float:
    """User + system CPU seconds of the postmaster and all its children now."""
    pid = int((server.pgdata / "postmaster.pid").read_text().splitlines()[0])
    total = 0.0
    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def read_phase(engine: Engine, seconds: float) -> list[float]:
    logs = WindowQuery.make(LOGS, {})
    errors = WindowQuery.make(LOGS, {"min_level": "ERROR"})
    execs = WindowQuery.make(EXECUTIONS, {})
    cases: list[tuple[WindowQuery, Mode]] = [
        (logs, "top"),
        (logs, "bottom"),
        (errors, "top"),
        (execs, "top"),
    ]
    samples: list[float] = []
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        q, mode = cases[i % len(cases)]
        t = time.perf_counter()
        with engine.connect() as conn:
            fetch_window(conn, q, mode, 100)
        samples.append((time.perf_counter() - t) * 1000)
        i += 1
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-factor", type=float, default=0.05)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-replica-"))
    primary = EmbeddedServer(root / "primary")
    standby: EmbeddedServer | None = None
    try:
        primary.start()
        primary.ensure_database(DB)
        url = primary.address.url(DB)
        engine = make_engine(url, EngineSettings(statement_timeout_ms=0))
        ensure_schema(engine, apply=True)
        size = ScaleSize().scaled(args.scale_factor)
        t = time.perf_counter()
        ScaleLoader(primary.address.conninfo(DB), size).run()
        print(f"loaded {size.logs:,} log lines in {time.perf_counter() - t:.0f} s", flush=True)
        t = time.perf_counter()
        standby = make_standby(primary, root / "standby")
        print(f"standby by pg_basebackup -R in {time.perf_counter() - t:.0f} s", flush=True)
        from sqlalchemy.engine import make_url

        rurl = make_url(standby.address.url(DB))
        router = ReadRouter(engine, replica_engine(rurl, EngineSettings()), rurl)
        sim = DemoSimulator(
            primary.address.conninfo(DB),
            SimulatorSettings(tick_s=0.05, max_concurrent=8, lines_per_second=50, seed=7),
            guard=WriteGuard("bench", "dev"),
        )
        sim.start()
        time.sleep(2)
        results = {}
        for label, reader in (("primary", engine), ("replica", router.replica)):
            read_phase(reader, 1.0)  # warm the pool and the caches
            p0, s0 = server_cpu(primary), server_cpu(standby)
            samples = read_phase(reader, args.seconds)
            p1, s1 = server_cpu(primary), server_cpu(standby)
            samples.sort()
            results[label] = (
                statistics.median(samples),
                samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))],
                len(samples) / args.seconds,
                p1 - p0,
                s1 - s0,
            )
        lag = router.check()
        sim.stop()
        router.dispose()
        engine.dispose()
        print(
            f"load average {os.getloadavg()[0]:.1f}; simulator wrote {sim.stats.log_lines:,} "
            f"lines; replica at the end: {lag.text()}"
        )
        print(
            f"{'reads on':<10}{'p50 ms':>9}{'p99 ms':>9}{'reads/s':>9}"
            f"{'primary CPU s':>15}{'standby CPU s':>15}"
        )
        for label, (p50, p99, rate, pcpu, scpu) in results.items():
            print(f"{label:<10}{p50:>9.1f}{p99:>9.1f}{rate:>9.0f}{pcpu:>15.1f}{scpu:>15.1f}")
        a, b = results["primary"][3], results["replica"][3]
        print(f"primary CPU taken by the reads moved to the replica: {a:.1f} s -> {b:.1f} s")
    finally:
        if standby is not None:
            standby.stop(force=True)
        primary.stop(force=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
