"""How to write millions of log lines fast: the options measured side by side, one run.

Loads the same log lines (same executions, same number of lines each) into
``execution_logs`` several ways and prints rows/s for each:

* ``sql``        server-side ``INSERT ... SELECT generate_series`` (what ``demo --scale`` does),
                 indexes dropped first and rebuilt after (rebuild time included);
* ``sql+idx``    the same with every index in place;
* ``copy-text``  a Python producer streaming ``COPY ... FROM STDIN`` (text format), indexes
                 dropped and rebuilt;
* ``copy-bin``   the same producer with ``COPY ... (FORMAT BINARY)`` and ``write_row``.

Each runs on one connection, so the figures compare methods, not parallelism::

    python benchmarks/bench_scale_methods.py --lines 1000000 [--url URL]

(default URL: database ``bench_scale_methods`` on the dev server).

The database is created (and migrated through the console's own code) if it
does not exist; its tables are emptied first.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.db.engine import EngineSettings, make_engine
from console.db.migrator import ensure_schema
from console.db.urls import libpq_conninfo, normalize_url
from console.demo import schema_snapshot as snapshot
from console.demo.dataset import truncate_all
from console.demo.scale import LOG_MESSAGES, ScaleLoader, ScaleSize, _logs_sql, _Task

DEFAULT_URL = "postgresql://postgres@localhost/bench_scale_methods"
LOGS = ("execution_logs",)
COLUMNS = "id, execution_id, level, message, log_metadata, action_id, step_name, created_at"


def bench_size(lines: int) -> ScaleSize:
    return ScaleSize(
        workflows=1_000, integrations=10, executions=lines // 10, logs=lines, events=1_000
    )


def prepare(url: str, lines: int) -> str:
    """Create/migrate the database, load executions (and a first set of logs) with the loader."""
    u = normalize_url(url)
    admin = libpq_conninfo(u.set(database="postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (u.database,))
        if exists.fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(u.database or "")))
    engine = make_engine(u, EngineSettings(statement_timeout_ms=0))
    try:
        ensure_schema(engine, apply=True)
        with engine.begin() as conn:
            truncate_all(conn)
    finally:
        engine.dispose()
    conninfo = libpq_conninfo(u)
    ScaleLoader(conninfo, bench_size(lines), workers=1).run()
    return conninfo


class Bench:
    def __init__(self, conninfo: str, size: ScaleSize) -> None:
        self.conninfo = conninfo
        self.size = size
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.conn.execute("SET synchronous_commit = off")
        self.conn.execute("SELECT set_config('maintenance_work_mem', '1GB', false)")
        self.snap = snapshot.take(self.conn, LOGS)
        self.plan = self._plan()

    def _plan(self) -> list[tuple[uuid.UUID, int, datetime, float, list[tuple[uuid.UUID, str]]]]:
        """Per execution: id, number of lines, start, seconds, its workflow's actions."""
        rows = self.conn.execute(
            "SELECT e.id, l.n, e.started_at, "
            "  extract(epoch FROM coalesce(e.completed_at, now()) - e.started_at), "
            "  array_agg(a.id ORDER BY a.order_index), "
            "  array_agg(a.action_type ORDER BY a.order_index) "
            "FROM (SELECT execution_id, count(*) n FROM execution_logs GROUP BY 1) l "
            "JOIN workflow_executions e ON e.id = l.execution_id "
            "JOIN workflow_actions a ON a.workflow_id = e.workflow_id "
            "GROUP BY e.id, l.n, e.started_at, e.completed_at ORDER BY e.id"
        ).fetchall()
        return [(r[0], r[1], r[2], float(r[3]), list(zip(r[4], r[5], strict=True))) for r in rows]

    def lines(self) -> int:
        return sum(p[1] for p in self.plan)

    def reset(self, drop: bool) -> None:
        self.conn.execute("TRUNCATE execution_logs")
        if drop:
            snapshot.drop_all(self.conn, self.snap)

    def rebuild(self) -> None:
        present = snapshot.existing_names(self.conn)
        for step in snapshot.restore_steps(self.snap, present):
            for _name, stmt in step:
                assert isinstance(stmt, sql.SQL | sql.Composed)  # what the snapshot makes
                self.conn.execute(stmt)
        lost = snapshot.missing(self.conn, self.snap)
        if lost:
            raise RuntimeError(f"not restored: {lost}")

    # -- producers --------------------------------------------------------------------------
    def python_rows(self) -> Iterator[tuple]:
        rng = random.Random(1)
        levels = list(LOG_MESSAGES)
        weights = (20, 65, 10, 4, 1)
        for exec_id, n, start, seconds, actions in self.plan:
            for g in range(1, n + 1):
                level = rng.choices(levels, weights)[0]
                action_id, step = actions[min(len(actions) - 1, (g - 1) * len(actions) // n)]
                meta = {"line": g, "runner": f"runner-{g % 40}"} if rng.random() < 0.6 else None
                yield (
                    uuid.uuid4(),
                    exec_id,
                    level,
                    rng.choice(LOG_MESSAGES[level]),
                    meta,
                    action_id,
                    step,
                    start + timedelta(seconds=seconds * (g - 1) / n),
                )

    # -- methods --------------------------------------------------------------------------
    def sql_method(self) -> None:
        """The loader's own statement over the same executions, 5K executions a statement."""
        loader = ScaleLoader(self.conninfo, self.size, workers=1)
        ex = self.size.executions
        for lo in range(1, ex + 1, 5_000):
            task = _Task("execution_logs", _logs_sql(), lo, min(ex, lo + 4_999))
            self.conn.execute(loader._bind(task))

    def copy_text(self) -> None:
        def esc(v: object) -> str:
            if v is None:
                return "\\N"
            s = json.dumps(v) if isinstance(v, dict) else str(v)
            return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY execution_logs ({COLUMNS}) FROM STDIN") as cp,
        ):
            buf = io.StringIO()
            for n, row in enumerate(self.python_rows(), 1):
                buf.write("\t".join(esc(v) for v in row))
                buf.write("\n")
                if n % 20_000 == 0:
                    cp.write(buf.getvalue())
                    buf = io.StringIO()
            cp.write(buf.getvalue())

    def copy_binary(self) -> None:
        from psycopg.types.json import Jsonb

        copy_sql = f"COPY execution_logs ({COLUMNS}) FROM STDIN (FORMAT BINARY)"
        with self.conn.cursor() as cur, cur.copy(copy_sql) as cp:
            cp.set_types(
                ["uuid", "uuid", "varchar", "text", "jsonb", "uuid", "varchar", "timestamptz"]
            )
            for row in self.python_rows():
                meta = row[4]
                cp.write_row((*row[:4], Jsonb(meta) if meta is not None else None, *row[5:]))


def timed(label: str, lines: int, fn: Callable[[], None]) -> tuple[str, float]:
    t = time.perf_counter()
    fn()
    s = time.perf_counter() - t
    print(f"  {label:<44} {s:7.1f} s  {lines / s:>10,.0f} rows/s", flush=True)
    return label, s


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=DEFAULT_URL)
    ap.add_argument("--lines", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    print(f"preparing {args.lines:,} log lines' worth of executions ...", flush=True)
    bench = Bench(prepare(args.url, args.lines), bench_size(args.lines))
    lines = bench.lines()
    print(f"{lines:,} log lines over {len(bench.plan):,} executions, one connection each\n")
    results = []

    def run(label: str, load: Callable[[], None], drop: bool) -> None:
        bench.reset(drop)
        _, load_s = timed(f"{label}: load", lines, load)
        _, idx_s = timed(f"{label}: rebuild indexes", lines, bench.rebuild) if drop else ("", 0)
        results.append((label, load_s + idx_s))
        print(
            f"  {label + ': total':<44} {load_s + idx_s:7.1f} s  "
            f"{lines / (load_s + idx_s):>10,.0f} rows/s\n",
            flush=True,
        )

    run("sql (INSERT ... SELECT), indexes dropped", bench.sql_method, True)
    run("sql (INSERT ... SELECT), indexes kept", bench.sql_method, False)
    run("COPY text from Python, indexes dropped", bench.copy_text, True)
    run("COPY binary from Python, indexes dropped", bench.copy_binary, True)
    best = min(s for _, s in results)
    print(f"{'method':<44} {'total s':>8} {'rows/s':>11} {'vs best':>8}")
    for label, s in results:
        print(f"{label:<44} {s:8.1f} {lines / s:>11,.0f} {s / best:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
