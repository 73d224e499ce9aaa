"""Row totals: the cost of an exact count by table size, and how wrong a stale estimate is.

Runs on its own embedded server (or ``--url``, whose tables it only reads).
Part 1 loads ``execution_logs`` in steps (50K, 200K, 1M rows by default) and
prints, at each size, the median time of ``count(*)``, of the console's
``estimate_rows`` (which counts exactly below ``SMALL_ROWS``) and of the
planner-only estimate, side by side: the evidence for ``SMALL_ROWS``.
Part 2 adds rows after an ANALYZE (autovacuum off for the table, as
before its next round) and prints what ``reltuples`` says, what the
live counter says, the truth, and what the console shows.

    python benchmarks/bench_counts.py [--sizes 50000,200000,1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _median_ms(fn: Callable[..., object], runs: int) -> float:
    """Median ms of ``runs`` calls (``...``: the lambdas bind their connection as a default)."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _load(conninfo: str, execution: str, rows: int) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO execution_logs (execution_id, level, message, log_metadata) "
            "SELECT %s, 'INFO', 'line ' || g || ' of a long-running step', "
            "jsonb_build_object('n', g) FROM generate_series(1, %s) g",
            (execution, rows),
        )


def _wait_live(conninfo: str, at_least: int) -> None:
    deadline = time.monotonic() + 30
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT n_live_tup FROM pg_stat_all_tables WHERE relid = 'execution_logs'::regclass"
            ).fetchone()
            assert row is not None  # the table exists: the schema was migrated
            if row[0] >= at_least:
                return
            time.sleep(0.2)


def run(url: str, conninfo: str, sizes: list[int], runs: int) -> None:
    from sqlalchemy import text

    from console.db.engine import EngineSettings, make_engine
    from console.queries import counts
    from console.queries.keyset import WindowQuery
    from console.queries.specs import LOGS
    from tests.helpers.loadgen import make_execution

    engine = make_engine(url, EngineSettings(statement_timeout_ms=0))
    execution, _ = make_execution(conninfo)
    q = WindowQuery.make(LOGS, {})
    with engine.begin() as conn:  # as before autovacuum's next round (a fresh demo)
        conn.execute(text("ALTER TABLE execution_logs SET (autovacuum_enabled = false)"))
    print(f"load average {os.getloadavg()[0]:.2f}; SMALL_ROWS = {counts.SMALL_ROWS:,}")
    print(f"{'rows':>10} {'count(*) ms':>12} {'console ms':>11} {'estimate ms':>12}  console shows")
    loaded = 0
    for size in sizes:
        _load(conninfo, execution, size - loaded)
        loaded = size
        with engine.begin() as conn:
            conn.execute(text("ANALYZE execution_logs"))
        with engine.connect() as conn:
            exact_ms = _median_ms(lambda c=conn: counts.exact_count(c, q), runs)
            console_ms = _median_ms(lambda c=conn: counts.estimate_rows(c, q), runs)
            plain_ms = _median_ms(lambda c=conn: counts.table_estimate(c, "execution_logs"), runs)
            shown = counts.estimate_rows(conn, q)
        label = f"{shown.rows:,} ({'exact' if shown.exact else 'estimate'})"
        print(f"{size:>10,} {exact_ms:>12.1f} {console_ms:>11.1f} {plain_ms:>12.2f}  {label}")

    added = loaded  # double the table after its statistics were taken
    _load(conninfo, execution, added)
    _wait_live(conninfo, loaded + added)
    with engine.connect() as conn:
        truth = counts.exact_count(conn, q).rows
        reltuples = counts.table_estimate(conn, "execution_logs")
        facts = counts.table_facts(conn, "execution_logs")
        shown = counts.estimate_rows(conn, q)
    print()
    print(f"after adding {added:,} rows since ANALYZE: truth {truth:,}")
    print(f"  reltuples (what the console showed before): {reltuples:,}")
    print(f"  live counter: {facts.live:,}" if facts else "  live counter: n/a")
    print(f"  console shows: {shown.rows:,} (exact={shown.exact}, note={shown.note!r})")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000,200000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from console.db.embedded import EmbeddedServer
    from console.db.engine import EngineSettings, make_engine
    from console.db.migrator import ensure_schema

    root = Path(tempfile.mkdtemp(prefix="bench-counts-"))
    server = EmbeddedServer(root / "srv")
    address = server.start()
    try:
        with psycopg.connect(address.conninfo("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE counts")
        url = address.url("counts")
        engine = make_engine(url, EngineSettings(statement_timeout_ms=0))
        ensure_schema(engine, apply=True)
        engine.dispose()
        run(url, address.conninfo("counts"), sizes, args.runs)
    finally:
        server.stop(force=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
