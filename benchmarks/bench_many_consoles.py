"""Many consoles on one database while the demo simulator writes (issue 7, item 5).

Starts ``--consoles`` processes, each running the table query layer (first
window, a seek past it, a filtered window, an exact count, on every table) and
the overview queries in a loop for ``--seconds``, each through its own engine
with the console's pool settings and its own ``application_name``.  Meanwhile
the demo simulator writes in this process and a sampler reads
``pg_stat_activity`` every 50 ms: connections per console, and sessions
waiting on a lock (``wait_event_type = 'Lock'``).

    python benchmarks/bench_many_consoles.py --url 'postgresql+psycopg://postgres@localhost/autopr_many'

The database must hold the demo data (``autopr-console demo``).  Prints, per
console, loops done and errors; the simulator's counts and errors; the peak
connections per console against pool_size + max_overflow; lock-wait samples
(how many, the longest seen, and whether any was the simulator's).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Connection

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APP_PREFIX = "autopr-bench-console-"
SIMULATOR_APP = "autopr-bench-simulator"


def one_loop(conn: Connection) -> int:
    """One pass of what a console reads; returns the number of queries run."""
    from console.queries import counts, keyset, specs
    from console.queries import overview as ov

    filtered: dict[str, dict[str, Any]] = {
        "workflows": {"status": ["active"]},
        "executions": {"status": ["failed", "running"]},
        "logs": {"min_level": "WARNING"},
        "integrations": {"health": ["healthy", "degraded"]},
        "events": {"status": ["pending", "processing"]},
    }
    n = 0
    for spec in (specs.WORKFLOWS, specs.EXECUTIONS, specs.LOGS, specs.INTEGRATIONS, specs.EVENTS):
        q = keyset.WindowQuery.make(spec, {})
        rows = keyset.fetch_window(conn, q, "top", 100)
        n += 1
        if rows:
            anchor = keyset.sort_value(rows[-1], q)
            keyset.fetch_window(conn, q, "after", 100, anchor=anchor)
            n += 1
        fq = keyset.WindowQuery.make(spec, filtered[spec.key])
        keyset.fetch_window(conn, fq, "top", 100)
        counts.exact_count(conn, fq)
        n += 2
        conn.rollback()  # no transaction left open between reads, as the pages do
    ov.load_overview(conn)
    conn.rollback()
    return n + 1


def worker(url: str, seconds: float, index: int) -> dict[str, Any]:
    """Run one console's query loop; never raises (errors are counted and returned)."""
    from console.db.engine import EngineSettings, make_engine

    settings = EngineSettings(application_name=f"{APP_PREFIX}{index}")
    engine = make_engine(url, settings)
    loops = queries = errors = 0
    last_error = ""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            try:
                with engine.connect() as conn:
                    queries += one_loop(conn)
                loops += 1
            except Exception as exc:  # counted, reported by the parent
                errors += 1
                last_error = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        engine.dispose()
    return {
        "index": index,
        "loops": loops,
        "queries": queries,
        "errors": errors,
        "last_error": last_error,
        "pool_limit": settings.pool_size + settings.max_overflow,
    }


@dataclass
class Samples:
    peak_by_app: dict[str, int] = field(default_factory=dict)
    lock_samples: int = 0
    simulator_lock_samples: int = 0
    longest_lock_wait_s: float = 0.0
    samples: int = 0


def sample_activity(conninfo: str, stop: threading.Event, out: Samples) -> None:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        while not stop.is_set():
            rows = conn.execute(
                "SELECT application_name, wait_event_type,"
                " extract(epoch FROM now() - state_change)"
                " FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            ).fetchall()
            out.samples += 1
            per_app: dict[str, int] = {}
            for app, wait_type, age in rows:
                per_app[app] = per_app.get(app, 0) + 1
                if wait_type == "Lock":
                    out.lock_samples += 1
                    if app == SIMULATOR_APP:
                        out.simulator_lock_samples += 1
                    out.longest_lock_wait_s = max(out.longest_lock_wait_s, float(age or 0))
            for app, count in per_app.items():
                out.peak_by_app[app] = max(out.peak_by_app.get(app, 0), count)
            stop.wait(0.05)


def run(url: str, consoles: int, seconds: float) -> dict[str, Any]:
    """Consoles in subprocesses, the simulator and the sampler here; every figure."""
    from sqlalchemy.engine import make_url

    from console.actions.guard import WriteGuard
    from console.db.urls import libpq_conninfo
    from console.demo.simulator import DemoSimulator, SimulatorSettings

    conninfo = libpq_conninfo(make_url(url))
    sim = DemoSimulator(
        conninfo + f" application_name={SIMULATOR_APP}",
        SimulatorSettings(tick_s=0.05, max_concurrent=8, lines_per_second=50, seed=7),
        guard=WriteGuard("bench", "dev"),  # the simulator writes only where a dev profile may
    )
    stop = threading.Event()
    samples = Samples()
    sampler = threading.Thread(target=sample_activity, args=(conninfo, stop, samples))
    sim.start()
    sampler.start()
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", str(i), "--url", url, "--seconds", str(seconds)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for i in range(consoles)
    ]
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=seconds + 120)
        lines = out.strip().splitlines()
        if proc.returncode != 0 or not lines:
            results.append({"errors": 1, "last_error": f"exit {proc.returncode}", "loops": 0})
        else:
            results.append(json.loads(lines[-1]))
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()
    sim.stop()
    stats = sim.stats
    return {
        "consoles": results,
        "elapsed_s": elapsed,
        "simulator": {
            "started": stats.started,
            "finished": stats.finished,
            "log_lines": stats.log_lines,
            "events": stats.events_created,
            "errors": stats.errors,
            "last_error": stats.last_error,
        },
        "peak_connections": {
            app: n for app, n in samples.peak_by_app.items() if app.startswith(APP_PREFIX)
        },
        "lock_samples": samples.lock_samples,
        "simulator_lock_samples": samples.simulator_lock_samples,
        "longest_lock_wait_s": samples.longest_lock_wait_s,
        "activity_samples": samples.samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--consoles", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.url, args.seconds, args.worker)), flush=True)
        return
    report = run(args.url, args.consoles, args.seconds)
    print(f"{args.consoles} consoles for {args.seconds:.0f} s (wall {report['elapsed_s']:.1f} s)")
    print(f"{'console':>8} {'loops':>7} {'queries':>8} {'q/s':>7} {'errors':>6} {'peak conn':>9}")
    for r in report["consoles"]:
        app = f"{APP_PREFIX}{r.get('index')}"
        qps = r.get("queries", 0) / args.seconds
        print(
            f"{r.get('index', '?'):>8} {r.get('loops', 0):>7} {r.get('queries', 0):>8}"
            f" {qps:>7.1f} {r['errors']:>6} {report['peak_connections'].get(app, 0):>5}"
            f" / {r.get('pool_limit', '?')}"
        )
        if r["errors"]:
            print(f"         last error: {r['last_error']}")
    s = report["simulator"]
    print(
        f"simulator: {s['started']} executions started, {s['finished']} finished,"
        f" {s['log_lines']} log lines, {s['events']} events, {s['errors']} errors"
        + (f" (last: {s['last_error']})" if s["errors"] else "")
    )
    print(
        f"pg_stat_activity: {report['activity_samples']} samples every 50 ms;"
        f" {report['lock_samples']} lock waits seen ({report['simulator_lock_samples']} of the"
        f" simulator), longest {report['longest_lock_wait_s'] * 1000:.0f} ms in its state"
    )


if __name__ == "__main__":
    main()
