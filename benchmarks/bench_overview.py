"""Query time of each Overview panel on a (large) database, with the indexes its plan uses.

    python benchmarks/bench_overview.py --url postgresql+psycopg://... [--runs 30] [--ranges 24h,7d]

Prints, per time range and panel, p50 / p95 over ``--runs`` runs (after one
warm-up) and the scans of the plan (index names; any sequential scan is named
too).  The URL defaults to $DATABASE_URL.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Connection, event

from console.db.engine import EngineSettings, make_engine
from console.queries import overview as ov

TARGET_MS = 100.0


def default_url() -> str | None:
    return os.environ.get("DATABASE_URL") or None


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def scans(conn: Connection, fn: Callable[[], Any]) -> str:
    """Run ``fn`` once, EXPLAIN every statement it sent, and name the scans used."""
    sent: list[tuple[str, Any]] = []

    def record(
        _c: object, _cursor: object, statement: str, parameters: Any, _ctx: object, _many: bool
    ) -> None:
        if not statement.lstrip().upper().startswith(("EXPLAIN", "SELECT NOW")):
            sent.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(conn, "before_cursor_execute", record)
    found: list[str] = []
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # a checked-out connection has its driver connection
    cursor = dbapi.cursor()
    for statement, parameters in sent:
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        row = cursor.fetchone()
        assert row is not None  # EXPLAIN answers one row
        plan = row[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        _walk(plan[0]["Plan"], found)
    cursor.close()
    unique = list(dict.fromkeys(found))
    return ", ".join(unique) or "-"


def _walk(node: dict[str, Any], found: list[str]) -> None:
    kind = node.get("Node Type", "")
    if "Index Name" in node:
        short = {"Index Only Scan": "ios", "Index Scan": "is", "Bitmap Index Scan": "bis"}
        found.append(f"{node['Index Name']} ({short.get(kind, kind)})")
    elif kind == "Seq Scan":
        found.append(f"SEQ SCAN {node.get('Relation Name')}")
    for child in node.get("Plans", []):
        _walk(child, found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=default_url())
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--ranges", default="24h,1h,7d,30d")
    args = parser.parse_args()
    if not args.url:
        parser.error("no --url and no $DATABASE_URL")
    engine = make_engine(args.url, EngineSettings(statement_timeout_ms=0, read_only=True))
    with engine.connect() as conn:
        sizes = {
            table: conn.exec_driver_sql(
                f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}'"
            ).scalar()
            for table in ("workflow_executions", "execution_logs", "integration_events")
        }
        print("rows (estimate):", ", ".join(f"{t} {n:,}" for t, n in sizes.items()))
        print(f"{args.runs} runs per figure; target < {TARGET_MS:.0f} ms each\n")
        print(f"{'range':<5} {'panel':<28} {'p50 ms':>8} {'p95 ms':>8}  plan")
        for key in args.ranges.split(","):
            now = ov.server_now(conn)
            window = ov.make_window(key, now)
            all_stats = ov.workflow_stats(conn, window, limit=None)
            p95s = ov.p95_map(all_stats)
            running = ov.running_executions(conn)
            cache = ov.BucketCache()
            cache.executions_by_status(conn, window)  # the full read of a long window
            stats_cache = ov.StatsCache()
            # Callable[..., Any]: the lambdas bind this round's values as defaults.
            panels: list[tuple[str, Callable[..., Any]]] = [
                ("1 executions by status", lambda w=window: ov.executions_by_status(conn, w)),
            ]
            if window.range.span > cache.min_span:
                panels.append(
                    (
                        "1 … refresh (bucket cache)",
                        lambda w=window, c=cache: c.executions_by_status(conn, w),
                    )
                )
            panels += [
                ("2 per-workflow rate p50/p95", lambda w=window: ov.workflow_stats(conn, w)),
                ("3 running executions", lambda: ov.running_executions(conn)),
                ("4 integration health", lambda: ov.integration_health(conn)),
                ("5 event queue", lambda: ov.event_queue(conn)),
                (
                    "6 stuck (given panels 2, 3)",
                    lambda w=window, p=p95s, r=running: ov.stuck(
                        conn, w, running=r, p95_by_workflow=p
                    ),
                ),
                (
                    "  whole snapshot, first",
                    lambda k=key: ov.load_overview(conn, ov.OverviewParams(range_key=k)),
                ),
                (
                    "  whole snapshot, refresh",
                    lambda k=key, c=cache, s=stats_cache: ov.load_overview(
                        conn, ov.OverviewParams(range_key=k), bucket_cache=c, stats_cache=s
                    ),
                ),
            ]
            for name, fn in panels:
                p50, p95 = timed(fn, args.runs)
                flag = "  <-- over target" if p50 > TARGET_MS and name[0].isdigit() else ""
                plan = scans(conn, fn) if not name.startswith("  ") else ""
                print(f"{key:<5} {name:<28} {p50:8.1f} {p95:8.1f}  {plan}{flag}")
            print()
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
