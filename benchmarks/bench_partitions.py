"""Month-partitioned against plain execution_logs: pages, and retention of the oldest month.

Two databases with the same rows: ``--url`` (loaded by ``demo --scale``, plain
table) and its month-partitioned twin (``--prepare`` makes it: a copy of the
database whose execution_logs is rebuilt offline as one partition per month,
the layout ``logs partition`` reaches once the legacy partition has aged out).
Where the two do not fit on the disk together (factor 10: ~35 GB a layout),
the layouts are measured one after the other in the same database: ``--layout
plain``, then ``--prepare --in-place`` (the plain indexes are dropped first, so
the peak is the old heap beside the new one), then ``--layout monthly``; the
figures are kept in ``--results`` and the side-by-side table is printed once
both are there.  The copy refuses to start if it would leave less than
``--min-free-gb`` on the server's disk.

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

    python benchmarks/bench_partitions.py --url URL --layout plain --results R.json
    python benchmarks/bench_partitions.py --url URL --prepare --in-place
    python benchmarks/bench_partitions.py --url URL --layout monthly --results R.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.actions.context import ActionContext
from console.actions.guard import WriteGuard
from console.db.engine import EngineSettings, make_engine
from console.db.urls import libpq_conninfo
from console.logstore.layout import add_months, month_name, month_start, one
from console.logstore.retention import apply_plan, make_plan
from console.queries.counts import table_estimate
from console.queries.keyset import WindowQuery, fetch_window, window_sql
from console.queries.position import position_map
from console.queries.specs import LOGS

PAGE = 100
# a plain table has no partition tree; a partitioned parent's own size is zero
DISK_SQL = (
    "SELECT pg_database_size(current_database()), coalesce((SELECT "
    "sum(pg_total_relation_size(relid)) FROM pg_partition_tree('execution_logs')), "
    "pg_total_relation_size('execution_logs'))"
)


def twin_name(dbname: str) -> str:
    return f"{dbname}_monthly"


def database_of(url: URL) -> str:
    if not url.database:
        raise SystemExit(f"--url names no database: {url.render_as_string()}")
    return url.database


def prepare(url: str, *, in_place: bool = False, workers: int = 2, min_free_gb: float = 10) -> None:
    """Rebuild execution_logs as month partitions, offline: in a twin database, or in place.

    The twin is a ``FILE_COPY`` of the whole database (the plain layout stays for a
    side-by-side run) and needs the database's size plus the table's; ``in_place``
    (for scales where that does not fit) converts the ``--url`` database itself
    after its plain layout was measured: the plain indexes go first, so the peak
    is the old heap plus the new one, never a third copy.
    """
    src = make_url(url)
    source = database_of(src)
    target = source if in_place else twin_name(source)
    target_info = libpq_conninfo(src.set(database=target))
    if not in_place:
        t0 = time.perf_counter()
        with psycopg.connect(libpq_conninfo(src), autocommit=True) as conn:
            _check_room(
                conn,
                "pg_database_size(current_database()) + pg_relation_size('execution_logs')",
                1,
                min_free_gb,
            )
        with psycopg.connect(libpq_conninfo(src.set(database="postgres")), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(target)))
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(target), sql.Identifier(source)
                )
            )
        print(f"copied {source} to {target} in {time.perf_counter() - t0:.0f} s", flush=True)
    with psycopg.connect(target_info, autocommit=True) as conn:
        _maintenance(conn)
        if in_place:
            _check_room(conn, "pg_relation_size('execution_logs')", 1, min_free_gb)
        _partition_logs(conn, target_info, drop_plain_indexes=in_place, workers=workers)
        print(f"{target}: {_disk(conn)}")


def _maintenance(conn: psycopg.Connection) -> None:
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET statement_timeout = 0")
    conn.execute("SET synchronous_commit = off")


def _check_room(conn: psycopg.Connection, size_sql: str, copies: int, min_free_gb: float) -> None:
    """Refuse when ``copies`` x the size would leave under ``min_free_gb`` on the server's disk."""
    data_dir = one(conn.execute("SHOW data_directory"))[0]
    if not os.path.isdir(data_dir):
        print("(server disk not visible from here: free space not checked)", flush=True)
        return
    need = copies * one(conn.execute(f"SELECT {size_sql}"))[0]
    free = shutil.disk_usage(data_dir).free
    print(f"disk: {free / 2**30:.1f} GiB free, the copy needs about {need / 2**30:.1f} GiB")
    if free - need < min_free_gb * 2**30:
        raise SystemExit(
            f"refused: would leave {(free - need) / 2**30:.1f} GiB free "
            f"(--min-free-gb {min_free_gb:g}); try --in-place"
        )


def _disk(conn: psycopg.Connection) -> str:
    db, logs = one(conn.execute(DISK_SQL))
    return f"database {db / 2**30:.2f} GiB, execution_logs {int(logs) / 2**30:.2f} GiB"


def _partition_logs(
    conn: psycopg.Connection, conninfo: str, *, drop_plain_indexes: bool, workers: int
) -> None:
    lo, hi = one(conn.execute("SELECT min(created_at), max(created_at) FROM execution_logs"))
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
    if drop_plain_indexes:
        for (name,) in conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'execution_logs'::regclass "
            "AND contype IN ('p', 'f', 'u')"
        ).fetchall():
            conn.execute(
                sql.SQL("ALTER TABLE execution_logs DROP CONSTRAINT {}").format(
                    sql.Identifier(name)
                )
            )
        for (name,) in conn.execute(
            "SELECT c.relname FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "WHERE x.indrelid = 'execution_logs'::regclass"
        ).fetchall():
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        print(f"plain indexes and keys dropped: {_disk(conn)}", flush=True)
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
    copied = _copy_rows(conn, conninfo, workers)
    print(
        f"{copied:,} rows copied into month partitions in {time.perf_counter() - t:.0f} s; "
        f"{_disk(conn)} (peak: old and new heap side by side)",
        flush=True,
    )
    t = time.perf_counter()
    conn.execute("DROP TABLE execution_logs_plain")
    conn.execute("ALTER TABLE execution_logs ADD PRIMARY KEY (id, created_at)")
    for (definition,) in defs:
        conn.execute(definition)
    for name, definition in fks:
        conn.execute(
            sql.SQL("ALTER TABLE execution_logs ADD CONSTRAINT {} ").format(sql.Identifier(name))
            + sql.SQL(definition)
        )
    for (definition,) in trig:
        conn.execute(definition)
    conn.execute("VACUUM (ANALYZE) execution_logs")
    print(f"indexes, keys, vacuum in {time.perf_counter() - t:.0f} s", flush=True)
    print(f"rows from {lo:%Y-%m-%d} to {hi:%Y-%m-%d}")


def _copy_rows(conn: psycopg.Connection, conninfo: str, workers: int) -> int:
    """INSERT the plain rows into the partitions: block ranges (TID scans) over connections."""
    blocks = one(
        conn.execute(
            "SELECT pg_relation_size('execution_logs_plain') / current_setting('block_size')::int"
        )
    )[0]
    step = max(1, -(-blocks // (8 * max(1, workers))))
    ranges = [(b, b + step) for b in range(0, blocks + 1, step)]
    done = 0

    def run(r: tuple[int, int]) -> int:
        with psycopg.connect(conninfo, autocommit=True) as c:
            _maintenance(c)
            t = time.perf_counter()
            n = c.execute(
                "INSERT INTO execution_logs SELECT * FROM execution_logs_plain "
                "WHERE ctid >= %s::tid AND ctid < %s::tid",
                (f"({r[0]},0)", f"({r[1]},0)"),
            ).rowcount
            print(
                f"  blocks {r[0]:,}-{r[1]:,}: {n:,} rows in {time.perf_counter() - t:.0f} s",
                flush=True,
            )
            return n

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for n in pool.map(run, ranges):
            done += n
    return done


def _timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    return statistics.median(samples), p99


def pages(url: str, runs: int) -> dict[str, tuple[float, ...]]:
    """(p50, p99) ms of each case; ``_plan``: (partitions scanned, partitions, removed)."""
    engine = make_engine(url, EngineSettings(statement_timeout_ms=0))
    out: dict[str, tuple[float, ...]] = {}
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


def _find(node: Any, key: str) -> Iterator[Any]:
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
            now = conn.execute(text("SELECT now()")).scalar_one()
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


def print_table(plain: dict[str, tuple[float, ...]], monthly: dict[str, tuple[float, ...]]) -> None:
    print(
        f"{'case':<26}{'plain p50/p99 ms':>20}{'monthly p50/p99 ms':>22}"
        f"{'p50 ratio':>11}{'p99 ratio':>11}"
    )
    for name in plain:
        if name.startswith("_"):
            continue
        (a50, a99), (b50, b99) = plain[name], monthly[name]
        print(
            f"{name:<26}{a50:>9.1f} /{a99:>8.1f}{b50:>11.1f} /{b99:>8.1f}"
            f"{b50 / a50 if a50 else 0:>11.2f}{b99 / a99 if a99 else 0:>11.2f}"
        )
    scanned, parts, removed = monthly["_plan"]
    print(
        f"EXPLAIN of the last-24-h page on the monthly table: {scanned:.0f} of {parts:.0f} "
        f"partitions in the plan, {removed:.0f} more removed at executor start"
    )
    for label, figures in (("plain", plain), ("monthly", monthly)):
        if "_disk" in figures:
            db, logs = figures["_disk"]
            print(
                f"disk, {label}: database {db / 2**30:.2f} GiB, "
                f"execution_logs with its indexes {logs / 2**30:.2f} GiB"
            )


def measure_one(url: str, layout: str, results: str, runs: int) -> None:
    """Pages of one layout, kept in ``results``; the table once both layouts are there.

    For scales where the two layouts do not fit on the disk together: measure
    the plain one, ``--prepare --in-place``, measure the monthly one.
    """
    load = os.getloadavg()[0]
    print(f"{layout}: load average {load:.1f}; {runs} runs per case, {PAGE} rows a page")
    figures = pages(url, runs)
    with psycopg.connect(libpq_conninfo(make_url(url))) as conn:
        figures["_disk"] = tuple(float(v) for v in one(conn.execute(DISK_SQL)))
    figures["_load"] = (load,)
    try:
        with open(results) as f:
            kept = json.load(f)
    except FileNotFoundError:
        kept = {}
    kept[layout] = {k: list(v) for k, v in figures.items()}
    with open(results, "w") as f:
        json.dump(kept, f, indent=1)
    for name, value in figures.items():
        if not name.startswith("_"):
            print(f"  {name:<26}{value[0]:>9.1f} /{value[1]:>8.1f} ms")
    print(f"  {_disk_text(figures['_disk'])}")
    if {"plain", "monthly"} <= kept.keys():
        plain, monthly = kept["plain"], kept["monthly"]
        print(
            f"sequential runs (load average plain {plain['_load'][0]:.1f}, "
            f"monthly {monthly['_load'][0]:.1f}):"
        )
        print_table(plain, monthly)


def _disk_text(disk: Sequence[float]) -> str:
    return f"database {disk[0] / 2**30:.2f} GiB, execution_logs {disk[1] / 2**30:.2f} GiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--retention", action="store_true")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="with --prepare: convert --url itself (after measuring its plain layout)",
    )
    parser.add_argument("--workers", type=int, default=2, help="connections copying rows")
    parser.add_argument(
        "--min-free-gb", type=float, default=10, help="refuse a copy that leaves less free"
    )
    parser.add_argument(
        "--layout",
        choices=("plain", "monthly"),
        help="measure --url alone as this layout (with --results, for sequential runs)",
    )
    parser.add_argument(
        "--results", default="bench_partitions.json", help="where --layout runs are kept"
    )
    args = parser.parse_args()
    if not args.url:
        parser.error("--url (or DATABASE_URL) is required")
    if args.prepare:
        prepare(
            args.url, in_place=args.in_place, workers=args.workers, min_free_gb=args.min_free_gb
        )
        return
    if args.layout:
        measure_one(args.url, args.layout, args.results, args.runs)
        return
    twin = make_url(args.url).set(database=twin_name(database_of(make_url(args.url))))
    twin_url = twin.render_as_string(hide_password=False)
    print(f"load average {os.getloadavg()[0]:.1f}; {args.runs} runs per case, {PAGE} rows a page")
    plain, monthly = pages(args.url, args.runs), pages(twin_url, args.runs)
    print_table(plain, monthly)
    if args.retention:
        with psycopg.connect(libpq_conninfo(make_url(args.url))) as conn:
            lo = one(conn.execute("SELECT min(created_at) FROM execution_logs"))[0]
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
