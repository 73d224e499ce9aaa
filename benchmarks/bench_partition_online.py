"""``logs partition`` on a loaded plain table while writers and readers keep working.

Runs the conversion of ``--url`` (a database loaded by ``demo --scale``, plain
``execution_logs``) while the demo simulator writes like the engine, one more
writer inserts a line every 5 ms and times each insert, and a reader reads the
first page of the logs in a loop.  Prints the conversion's steps, every
exclusive lock it held (and how long it waited for it), and what the writer
and the reader saw: inserts and reads done, failures, the slowest of each.

Usage::

    python benchmarks/bench_partition_online.py --url URL [--months-ahead 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.actions.context import ActionContext  # noqa: E402
from console.actions.guard import WriteGuard  # noqa: E402
from console.db.engine import make_engine  # noqa: E402
from console.db.urls import libpq_conninfo, normalize_url  # noqa: E402
from console.demo.simulator import DemoSimulator, SimulatorSettings  # noqa: E402
from console.logstore.layout import one  # noqa: E402
from console.logstore.partition import Partitioner  # noqa: E402
from console.queries.keyset import WindowQuery, fetch_window  # noqa: E402
from console.queries.specs import LOGS  # noqa: E402


class Probe(threading.Thread):
    def __init__(self, work: Callable[[], None], pause_s: float) -> None:
        super().__init__(daemon=True)
        self.work, self.pause_s = work, pause_s
        self.stop = threading.Event()
        self.done = 0
        self.failures: list[str] = []
        self.slowest = 0.0

    def run(self) -> None:
        while not self.stop.is_set():
            t = time.perf_counter()
            try:
                self.work()
                self.done += 1
            except Exception as exc:  # counted and shown: the point is to see any
                self.failures.append(str(exc).splitlines()[0])
            self.slowest = max(self.slowest, time.perf_counter() - t)
            time.sleep(self.pause_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--months-ahead", type=int, default=3)
    args = parser.parse_args()
    conninfo = libpq_conninfo(normalize_url(args.url))
    with psycopg.connect(conninfo) as conn:
        rows = one(conn.execute("SELECT count(*) FROM execution_logs"))[0]
        execution = one(conn.execute("SELECT id FROM workflow_executions LIMIT 1"))[0]
    print(f"execution_logs: {rows:,} rows; load average {os.getloadavg()[0]:.1f}", flush=True)

    writer_conn = psycopg.connect(conninfo, autocommit=True)

    def insert() -> None:
        writer_conn.execute(
            "INSERT INTO execution_logs (execution_id, message) VALUES (%s, 'probe')",
            (execution,),
        )

    engine = make_engine(args.url)
    page = WindowQuery.make(LOGS, {})

    def read() -> None:
        with engine.connect() as conn:
            fetch_window(conn, page, "top", 100)

    sim = DemoSimulator(
        conninfo,
        SimulatorSettings(tick_s=0.05, max_concurrent=8, lines_per_second=50, seed=3),
        guard=WriteGuard("bench", "dev"),
    )
    writer, reader = Probe(insert, 0.005), Probe(read, 0.02)
    sim.start()
    writer.start()
    reader.start()
    time.sleep(1)
    t = time.perf_counter()
    report = Partitioner(
        conninfo, months_ahead=args.months_ahead, progress=lambda m: print(m, flush=True)
    ).run(ActionContext(engine, "bench", "dev", WriteGuard("bench", "dev")))
    total = time.perf_counter() - t
    time.sleep(1)
    for probe in (writer, reader):
        probe.stop.set()
        probe.join()
    sim.stop()
    engine.dispose()
    writer_conn.close()
    print(f"conversion took {total:.1f} s in all")
    for step, seconds in report.steps.items():
        print(f"  {step:<45} {seconds:8.2f} s")
    print(f"{'lock held':<45}{'mode':<20}{'held ms':>9}{'waited ms':>11}")
    for hold in report.locks:
        print(
            f"{hold.step:<45}{hold.mode:<20}{hold.held_s * 1000:>9.1f}{hold.waited_s * 1000:>11.1f}"
        )
    longest = report.longest_exclusive
    if longest:
        print(f"longest exclusive lock: {longest.held_s * 1000:.1f} ms ({longest.step})")
    for name, probe in (("inserts (every 5 ms)", writer), ("log pages (every 20 ms)", reader)):
        print(
            f"{name:<26} {probe.done:>7,} done, {len(probe.failures)} failed, slowest "
            f"{probe.slowest * 1000:.0f} ms{': ' + probe.failures[0] if probe.failures else ''}"
        )
    print(f"simulator: {sim.stats.log_lines:,} lines written, {sim.stats.errors} errors")


if __name__ == "__main__":
    main()
