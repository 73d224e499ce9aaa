"""Month-partitioned against plain execution_logs: pages, and retention of the oldest month.

Two databases with the same rows: ``--url`` (loaded by ``demo --scale``, plain
table) and its month-partitioned twin (``--prepare`` makes it: a copy of the
database whose execution_logs is rebuilt offline as one partition per month,
the layout ``logs partition`` reaches once the legacy partition has aged out).

Prints, side by side with ratios:

* pages (p50/p99 over ``--runs``): the first rows, jump to the end, a jump to
  the middle (histogram + keyset seek), a filtered page (ERROR and above), a
  page of the last 24 hours, and the EXPLAIN of the time-bounded page
  (partitions scanned);
* retention of the oldest month through ``console.logstore.retention``
  (``--retention``, destructive: run it last): batched deletes on the plain
  table against dropping the partition, each audited like the CLI does.

Usage::

    python benchmarks/bench_partitions.py --url URL --prepare
    python benchmarks/bench_partitions.py --url URL [--runs 50] [--retention]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from console.actions.context import ActionContext
from console.actions.guard import WriteGuard
from console.db.engine import EngineSettings, make_engine
from console.db.urls import libpq_conninfo
from console.logstore.layout import add_months, month_name, month_start
from console.logstore.retention import apply_plan, make_plan
from console.queries.counts import table_estimate
from console.queries.keyset import WindowQuery, fetch_window, window_sql
from console.queries.position import position_map
from console.queries.specs import LOGS

PAGE = 100


def twin_name(dbname: str) -> str:
    return f"{dbname}_monthly"


def prepare(url: str) -> None:
    """Copy the database and rebuild its execution_logs as month partitions (offline)."""
    src = make_url(url)
    twin = twin_name(src.database)
    admin = libpq_conninfo(src.set(database="postgres"))
    t0 = time.perf_counter()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(twin)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(twin), sql.Identifier(src.database)
            )
        )
    print(f"copied {src.database} to {twin} in {time.perf_counter() - t0:.0f} s", flush=True)
    with psycopg.connect(libpq_conninfo(src.set(database=twin)), autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET statement_timeout = 0")
        lo, hi = conn.execute(
            "SELECT min(created_at), max(created_at) FROM execution_logs"
        ).fetchone()
        defs = conn.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index x JOIN pg_class c "
            "ON c.oid = x.indexrelid WHERE x.indrelid = 'execution_logs'::regclass "
            "AND NOT x.indisprimary"
        ).fetchall()
        fks = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'execution_logs'::regclass AND contype = 'f'"
        ).fetchall()
        trig = conn.execute(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = 'execution_logs'::regclass AND NOT tgisinternal"
        ).fetchall()
        t = time.perf_counter()
        conn.execute("ALTER TABLE execution_logs RENAME TO execution_logs_plain")
        for (name,) in conn.execute(
            "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid = 'execution_logs_plain'::regclass"
        ).fetchall():
            conn.execute(
                sql.SQL("ALTER INDEX {} RENAME TO {}").format(
                    sql.Identifier(name), sql.Identifier(f"old_{name}"[:63])
                )
            )
        conn.execute(
            "CREATE TABLE execution_logs (LIKE execution_logs_plain INCLUDING DEFAULTS "
            "INCLUDING CONSTRAINTS) PARTITION BY RANGE (created_at)"
        )
        start = month_start(lo)
        end = add_months(month_start(datetime.now(UTC)), 4)
        while start < end:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {} PARTITION OF execution_logs FOR VALUES FROM ({}) TO ({})"
                ).format(
                    sql.Identifier(month_name(start)),
                    sql.Literal(start),
                    sql.Literal(add_months(start, 1)),
                )
            )
            start = add_months(start, 1)
        conn.execute("CREATE TABLE execution_logs_default PARTITION OF execution_logs DEFAULT")
        conn.execute("INSERT INTO execution_logs SELECT * FROM execution_logs_plain")
        print(f"rows copied into month partitions in {time.perf_counter() - t:.0f} s", flush=True)
        t = time.perf_counter()
        conn.execute("DROP TABLE execution_logs_plain")
        conn.execute("ALTER TABLE execution_logs ADD PRIMARY KEY (id, created_at)")
        for (definition,) in defs:
            conn.execute(definition)
        for name, definition in fks:
            conn.execute(
                sql.SQL("ALTER TABLE execution_logs ADD CONSTRAINT {} ").format(
                    sql.Identifier(name)
                )
                + sql.SQL(definition)
            )
        for (definition,) in trig:
            conn.execute(definition)
        conn.execute("VACUUM (ANALYZE) execution_logs")
        print(f"indexes, keys, vacuum in {time.perf_counter() - t:.0f} s", flush=True)
        size = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()
        print(f"{twin}: {size[0]}; rows from {lo:%Y-%m-%d} to {hi:%Y-%m-%d}")


def _timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    return statistics.median(samples), p99


def pages(url: str, runs: int) -> dict[str, tuple[float, float]]:
    engine = make_engine(url, EngineSettings(statement_timeout_ms=0))
    out: dict[str, tuple[float, float]] = {}
    try:
        with engine.connect() as conn:
            q = WindowQuery.make(LOGS, {})
            pm = position_map(conn, q)
            middle = pm.value_at(0.5)
            errors = WindowQuery.make(LOGS, {"min_level": "ERROR"})
            day = WindowQuery.make(LOGS, {"time_range": "24h"})
            cases = {
                "first rows": lambda: fetch_window(conn, q, "top", PAGE),
                "jump to end": lambda: fetch_window(conn, q, "bottom", PAGE),
                "jump to middle": lambda: (
                    position_map(conn, q),
                    fetch_window(conn, q, "seek", PAGE, value=middle),
                ),
                "filtered page (ERROR+)": lambda: fetch_window(conn, errors, "top", PAGE),
                "last 24 h page": lambda: fetch_window(conn, day, "top", PAGE),
                "row estimate": lambda: table_estimate(conn, "execution_logs"),
            }
            for name, fn in cases.items():
                fn()  # warm
                out[name] = _timed(fn, runs)
            stmt, params = window_sql(day, "top", PAGE)
            plan = conn.execute(text("EXPLAIN (FORMAT JSON) " + stmt), params).scalar()
            doc = json.dumps(plan)
            parts = conn.execute(
                text(
                    "SELECT count(*) FROM pg_inherits WHERE inhparent = 'execution_logs'::regclass"
                )
            ).scalar()
            scanned = doc.count('"Relation Name": "execution_logs_')
            removed = sum(int(x) for x in _find(plan, "Subplans Removed"))
            out["_plan"] = (float(scanned), float(parts or 0), float(removed))
    finally:
        engine.dispose()
    return out


def _find(node, key: str):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            else:
                yield from _find(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _find(v, key)


def retention(url: str, cut: datetime) -> tuple[float, int, int, str, float, bool]:
    """(apply seconds, lines, audit rows, how, plan seconds, rows estimated)."""
    engine = make_engine(url, EngineSettings(statement_timeout_ms=0))
    try:
        with engine.connect() as conn:
            now = conn.execute(text("SELECT now()")).scalar()
            t = time.perf_counter()
            plan = make_plan(conn, now - cut)
            planned = time.perf_counter() - t
        ctx = ActionContext(engine, "bench", "dev", WriteGuard("bench", "dev"))
        t = time.perf_counter()
        report = apply_plan(ctx, plan, confirmed=True)
        seconds = time.perf_counter() - t
    finally:
        engine.dispose()
    how = "drop" if report.dropped else "batched delete"
    rows = report.dropped_rows + report.deleted_rows
    return seconds, rows, report.audit_rows, how, planned, report.estimated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--retention", action="store_true")
    args = parser.parse_args()
    if not args.url:
        parser.error("--url (or DATABASE_URL) is required")
    if args.prepare:
        prepare(args.url)
        return
    twin = make_url(args.url).set(database=twin_name(make_url(args.url).database))
    twin_url = twin.render_as_string(hide_password=False)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.runs} runs per case, {PAGE} rows a page")
    plain, monthly = pages(args.url, args.runs), pages(twin_url, args.runs)
    print(f"{'case':<26}{'plain p50/p99 ms':>20}{'monthly p50/p99 ms':>22}{'p99 ratio':>11}")
    for name in plain:
        if name.startswith("_"):
            continue
        (a50, a99), (b50, b99) = plain[name], monthly[name]
        print(
            f"{name:<26}{a50:>9.1f} /{a99:>8.1f}{b50:>11.1f} /{b99:>8.1f}"
            f"{b99 / a99 if a99 else 0:>11.2f}"
        )
    scanned, parts, removed = monthly["_plan"]
    print(
        f"EXPLAIN of the last-24-h page on the monthly table: {scanned:.0f} of {parts:.0f} "
        f"partitions in the plan, {removed:.0f} more removed at executor start"
    )
    if args.retention:
        with psycopg.connect(libpq_conninfo(make_url(args.url))) as conn:
            lo = conn.execute("SELECT min(created_at) FROM execution_logs").fetchone()[0]
        cut = add_months(month_start(lo), 1)
        print(f"retention: every line before {cut:%Y-%m-%d} (the oldest month)", flush=True)
        a = retention(twin_url, cut)
        b = retention(args.url, cut)
        print(
            f"{'layout':<10}{'how':<16}{'lines':>14}{'plan s':>9}{'apply s':>9}{'total s':>9}"
            f"{'audit rows':>12}"
        )
        for label, (s, rows, audits, how, planned, est) in (("monthly", a), ("plain", b)):
            shown = f"~{rows:,}" if est else f"{rows:,}"
            print(
                f"{label:<10}{how:<16}{shown:>14}{planned:>9.2f}{s:>9.2f}{planned + s:>9.2f}"
                f"{audits:>12}"
            )
        print(
            f"partition drop is {b[0] / a[0] if a[0] else 0:,.0f}x faster for the same month "
            f"(apply), {(b[0] + b[4]) / (a[0] + a[4]) if a[0] + a[4] else 0:,.0f}x with the plan "
            "(its confirmation figures) included"
        )


if __name__ == "__main__":
    main()
