"""The execution id generator before and after revision 0005, side by side.

    python benchmarks/bench_execution_ids.py [--conninfo "host=localhost user=postgres"]
        [--draws 2000,50000,200000] [--trials 50]

Creates a scratch database (``execution_ids_bench``) at the console's head, adds the
random-digit function of revisions 0001-0004 under another name, and prints for each
draw size: ids/s of each function in one statement (counted on the server), repeated
ids and shared six-digit suffixes.  Then ``--trials`` inserts of 2,000 executions in
one statement into an empty table, taking the column default: how many failed on
``uq_execution_id`` (the birthday bound says 1 - exp(-2000*1999/2/2**24), about 1 in
9, for the old one) and rows/s.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from psycopg import errors, sql

from console.db.engine import EngineSettings, make_engine
from console.db.migrator import ensure_schema

DB = "execution_ids_bench"
OLD = "bench_old_execution_id"
OLD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {OLD}() RETURNS varchar
LANGUAGE sql VOLATILE AS $$
  SELECT 'exec-' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD-HH24MISS')
      || '-' || substr(md5(random()::text || clock_timestamp()::text), 1, 6)
$$
"""
NEW = "autopr_new_execution_id"
INSERTED = 2000


def _draw(conn: psycopg.Connection, function: str, n: int) -> tuple[float, int, int]:
    """ids/s, repeated ids, shared suffixes of ``n`` ids from one statement."""
    started = time.perf_counter()
    row = conn.execute(
        f"SELECT count(*), count(DISTINCT v), count(DISTINCT right(v, 6)) "
        f"FROM (SELECT {function}() AS v FROM generate_series(1, %s)) s",
        (n,),
    ).fetchone()
    assert row is not None  # an aggregate answers one row
    total, ids, suffixes = row
    took = time.perf_counter() - started
    return n / took, total - ids, total - suffixes


def _insert_trials(conn: psycopg.Connection, trials: int) -> dict[str, tuple[int, float]]:
    """Per function: failed inserts of INSERTED executions (one statement each, into an
    empty table, the two functions taking turns) and rows/s of the others."""
    made = conn.execute("INSERT INTO workflows (name) VALUES ('bench') RETURNING id").fetchone()
    assert made is not None  # INSERT ... RETURNING of one row
    wf_id = made[0]
    failed = {OLD: 0, NEW: 0}
    rows = {OLD: 0, NEW: 0}
    seconds = {OLD: 0.0, NEW: 0.0}
    for _ in range(trials):
        for function in (OLD, NEW):
            conn.execute(
                f"ALTER TABLE workflow_executions ALTER execution_id SET DEFAULT {function}()"
            )
            started = time.perf_counter()
            try:
                conn.execute(
                    "INSERT INTO workflow_executions (workflow_id) "
                    "SELECT %s FROM generate_series(1, %s)",
                    (wf_id, INSERTED),
                )
                rows[function] += INSERTED
                seconds[function] += time.perf_counter() - started
            except errors.UniqueViolation:
                failed[function] += 1
            conn.execute("TRUNCATE workflow_executions, execution_logs")
    conn.execute(f"ALTER TABLE workflow_executions ALTER execution_id SET DEFAULT {NEW}()")
    return {f: (failed[f], rows[f] / seconds[f] if seconds[f] else 0.0) for f in (OLD, NEW)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conninfo", default="host=localhost user=postgres")
    parser.add_argument("--draws", default="2000,50000,200000")
    parser.add_argument("--trials", type=int, default=50)
    args = parser.parse_args()

    with psycopg.connect(args.conninfo + " dbname=postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB)))
    params = dict(p.split("=", 1) for p in args.conninfo.split())
    url = f"postgresql+psycopg://{params.get('user', 'postgres')}@/{DB}?host={params['host']}"
    if "port" in params:
        url += f"&port={params['port']}"
    engine = make_engine(url, EngineSettings(statement_timeout_ms=0))
    ensure_schema(engine, apply=True)
    engine.dispose()

    with psycopg.connect(f"{args.conninfo} dbname={DB}", autocommit=True) as conn:
        conn.execute(OLD_FUNCTION)
        print("ids from one statement (server-side count): old = six random digits, new = 0005")
        print(
            f"{'ids':>8} {'old ids/s':>11} {'new ids/s':>11} {'new/old':>8} "
            f"{'old repeats':>12} {'new repeats':>12} {'old shared':>11} {'new shared':>11}"
        )
        for n in [int(d) for d in args.draws.split(",")]:
            old_rate, old_rep, old_shared = max(_draw(conn, OLD, n) for _ in range(3))
            new_rate, new_rep, new_shared = max(_draw(conn, NEW, n) for _ in range(3))
            print(
                f"{n:>8,} {old_rate:>11,.0f} {new_rate:>11,.0f} {new_rate / old_rate:>8.2f} "
                f"{old_rep:>12} {new_rep:>12} {old_shared:>11} {new_shared:>11}"
            )
        expected = 1 - math.exp(-INSERTED * (INSERTED - 1) / 2 / 2**24)
        print(
            f"\n{args.trials} inserts of {INSERTED:,} executions in one statement each "
            f"(birthday bound for the old one: {expected:.3f} failing, 1 in {1 / expected:.1f})"
        )
        outcomes = _insert_trials(conn, args.trials)
        for name, function in (("old", OLD), ("new", NEW)):
            failed, rate = outcomes[function]
            print(
                f"{name}: {failed} of {args.trials} failed on uq_execution_id, {rate:,.0f} rows/s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
