"""p50/p99 of the schema document's "Query Performance" table, and the index each query used.

Run against a database loaded with ``autopr-console demo --scale`` (10K
workflows, 1M executions, 10M log lines, 1M events)::

    python benchmarks/bench_queries.py --url postgresql://postgres@localhost/autopr_scale

Each query runs ``--runs`` times (default 200, interleaved round-robin with the
others so background load hits all alike) with parameters drawn from the
data (different ids, statuses, workflows, executions of 1K-10K lines), over one
psycopg connection with server-side prepared statements, after a warm-up pass.
The time is the client's: execute plus fetching every row, in binary format,
with JSONB columns read as text (a view shows them as text and parses one only
when asked: decoding ``log_metadata`` of 5K log lines into Python objects cost
three times the rest of the query).  Every run is
also run as ``EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON)``: its "Execution
Time" is the server's time (no network, no Python decoding) and its plan names
the indexes used.  Both are printed; the target (the document's expected time
divided by 10) is checked against the server p99, the client figures show what
a Python caller adds on this machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.db.urls import libpq_conninfo, normalize_url

DEFAULT_URL = "postgresql://postgres@localhost/autopr_scale"
TARGET_FACTOR = 10
# List queries read one page, as the console's table views do (keyset windows of
# 200 rows, console/ui/tables); 200 is inside the document's "100-1K" row count.
PAGE = 200


@dataclass(frozen=True)
class Query:
    name: str
    expected_ms: float
    expected_index: str
    sql: str
    params: Callable[[random.Random], Sequence[Any]]


def _sample(conn: psycopg.Connection, sql: str, what: str) -> list[Any]:
    t = time.perf_counter()
    values = [r[0] for r in conn.execute(sql)]
    if not values:
        raise SystemExit(f"no {what} found: is this a database loaded with demo --scale?")
    print(f"  sampled {len(values):>5} {what:<40} {time.perf_counter() - t:6.2f} s")
    return values


def build_queries(conn: psycopg.Connection) -> list[Query]:
    """The document's seven queries with parameters sampled from the data."""
    print("sampling parameters")
    wf_ids = _sample(
        conn, "SELECT id FROM workflows TABLESAMPLE SYSTEM (20) LIMIT 500", "workflow ids"
    )
    exec_codes = _sample(
        conn,
        "SELECT execution_id FROM workflow_executions TABLESAMPLE SYSTEM (1) LIMIT 500",
        "execution_id values",
    )
    # workflows with 100-1K executions (the document's row count for this query)
    wf_mid = _sample(
        conn,
        "SELECT workflow_id FROM workflow_executions GROUP BY workflow_id "
        "HAVING count(*) BETWEEN 100 AND 1000 LIMIT 500",
        "workflows with 100-1K executions",
    )
    # executions with 1K-10K log lines; the statistics know the frequent ones
    log_execs = _sample(
        conn,
        "SELECT e.id FROM workflow_executions e WHERE e.id IN ("
        "  SELECT execution_id FROM execution_logs GROUP BY execution_id"
        "  HAVING count(*) BETWEEN 1000 AND 10000) LIMIT 300",
        "executions with 1K-10K log lines",
    )
    cutoffs = _sample(
        conn,
        "SELECT created_at FROM integration_events WHERE status IN ('pending', 'processing') "
        "ORDER BY created_at LIMIT 200",
        "queue cut-off times",
    )
    teams = [f"team-{n}" for n in range(50)]
    channels = ["slack", "email", "teams", "discord"]
    statuses = ["active", "inactive", "archived", "draft"]

    return [
        Query(
            "Get workflow by ID",
            1,
            "workflows_pkey",
            "SELECT id, name, description, status, config::text, created_by, created_at, "
            "updated_at FROM workflows WHERE id = %s",
            lambda r: (r.choice(wf_ids),),
        ),
        Query(
            "List workflows by status",
            10,
            "idx_workflows_status",
            "SELECT id, name, status, created_by, created_at, updated_at FROM workflows "
            f"WHERE status = %s ORDER BY created_at DESC, id DESC LIMIT {PAGE}",
            lambda r: (r.choice(statuses),),
        ),
        Query(
            "Get execution by execution_id",
            1,
            "uq_execution_id",
            "SELECT id, workflow_id, execution_id, status, started_at, completed_at, result::text, "
            "error_message, retry_count, parent_execution_id, trigger_type, trigger_data::text "
            "FROM workflow_executions WHERE execution_id = %s",
            lambda r: (r.choice(exec_codes),),
        ),
        Query(
            "List executions for workflow",
            20,
            "idx_workflow_executions_workflow_id",
            "SELECT id, execution_id, status, started_at, completed_at, retry_count, "
            "trigger_type FROM workflow_executions WHERE workflow_id = %s "
            f"ORDER BY started_at DESC LIMIT {PAGE}",
            lambda r: (r.choice(wf_mid),),
        ),
        Query(
            "Get logs for execution (1K-10K rows)",
            100,
            "idx_execution_logs_execution_id",
            "SELECT id, level, message, log_metadata::text, action_id, step_name, created_at "
            "FROM execution_logs WHERE execution_id = %s ORDER BY created_at, id",
            lambda r: (r.choice(log_execs),),
        ),
        Query(
            "Get pending events",
            20,
            "idx_integration_events_queue",
            "SELECT id, integration_id, event_type, event_id, status, retry_count, created_at "
            "FROM integration_events WHERE status = %s AND created_at >= %s "
            f"ORDER BY created_at LIMIT {PAGE}",
            lambda r: (r.choice(["pending", "processing"]), r.choice(cutoffs)),
        ),
        Query(
            "JSON config search (@>)",
            100,
            "idx_workflows_config",
            "SELECT id, name, status, config::text FROM workflows WHERE config @> %s::jsonb",
            lambda r: (
                Jsonb({"team": r.choice(teams)})
                if r.random() < 0.5
                else Jsonb(
                    {"team": r.choice(teams), "notification_channels": [r.choice(channels)]}
                ),
            ),
        ),
    ]


def _indexes(plan: dict[str, Any]) -> list[str]:
    found = []
    if "Index Name" in plan:
        found.append(plan["Index Name"])
    for child in plan.get("Plans", []):
        found += _indexes(child)
    return found


def explain(conn: psycopg.Connection, q: Query, params: Sequence[Any]) -> tuple[list[str], float]:
    """Indexes the plan uses, and the server's execution time (ms) without per-node timing."""
    stmt = "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + q.sql
    row = conn.execute(stmt, params).fetchone()
    assert row is not None
    plan = row[0][0]["Plan"]
    return _indexes(plan) or [plan.get("Node Type", "?")], float(row[0][0]["Execution Time"])


def measure_all(
    conn: psycopg.Connection, queries: list[Query], runs: int, seed: int
) -> list[dict[str, Any]]:
    """Time every query ``runs`` times, interleaved round-robin.

    Round r runs each query once with its r-th parameter set, so a burst of load
    from elsewhere on the machine hits every query alike instead of one of them.
    """
    rng = random.Random(seed)
    params = [[q.params(rng) for _ in range(runs)] for q in queries]
    cur = conn.cursor(binary=True)
    for q, ps in zip(queries, params, strict=True):  # warm-up: cache, prepared statements
        for p in ps[: min(20, runs)]:
            cur.execute(q.sql, p, prepare=True).fetchall()
    times: list[list[float]] = [[] for _ in queries]
    rows: list[list[int]] = [[] for _ in queries]
    server: list[list[float]] = [[] for _ in queries]
    used: list[Counter[str]] = [Counter() for _ in queries]
    for r in range(runs):
        for n, q in enumerate(queries):
            t = time.perf_counter()
            got = cur.execute(q.sql, params[n][r], prepare=True).fetchall()
            times[n].append((time.perf_counter() - t) * 1000)
            rows[n].append(len(got))
            names, ms = explain(conn, q, params[n][r])
            used[n].update(set(names))
            server[n].append(ms)
    cur.close()
    return [
        {
            "p50": statistics.median(times[n]),
            "p99": _p99(times[n]),
            "server p50": statistics.median(server[n]),
            "server p99": _p99(server[n]),
            "rows": (min(rows[n]), int(statistics.median(rows[n])), max(rows[n])),
            "used": used[n],
            "runs": runs,
        }
        for n in range(len(queries))
    ]


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]


def counts(conn: psycopg.Connection) -> str:
    parts = []
    for table in ("workflows", "workflow_executions", "execution_logs", "integration_events"):
        row = conn.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", (table,)
        ).fetchone()
        parts.append(f"{table} ~{row[0] if row else 0:,}")
    return ", ".join(parts)


def default_url() -> str:
    """$DATABASE_URL, else the dev server's."""
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=default_url())
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    conninfo = libpq_conninfo(normalize_url(args.url))
    with psycopg.connect(conninfo, autocommit=True, application_name="autopr-bench") as conn:
        server = conn.execute("SHOW server_version").fetchone()
        print(f"server {server[0] if server else '?'}; {counts(conn)}")
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        queries = build_queries(conn)
        print()
        header = (
            f"{'query':<37} {'rows min/med/max':>16} {'doc ms':>6} | {'server p50':>10} "
            f"{'p99':>7} {'x p99':>6} | {'client p50':>10} {'p99':>7} {'x p99':>6} | index used"
        )
        print(header)
        print("-" * (len(header) + 30))
        failures = 0
        for q, m in zip(queries, measure_all(conn, queries, args.runs, args.seed), strict=True):
            x_server = q.expected_ms / m["server p99"] if m["server p99"] else float("inf")
            x_client = q.expected_ms / m["p99"] if m["p99"] else float("inf")
            used = ", ".join(
                name + (f" ({n}/{m['runs']})" if n < m["runs"] else "")
                for name, n in m["used"].most_common()
            )
            ok = x_server >= TARGET_FACTOR and q.expected_index in m["used"]
            failures += not ok
            lo, med, hi = m["rows"]
            print(
                f"{q.name:<37} {f'{lo}/{med}/{hi}':>16} {q.expected_ms:6g} | "
                f"{m['server p50']:10.3f} {m['server p99']:7.3f} {x_server:5.0f}x | "
                f"{m['p50']:10.3f} {m['p99']:7.3f} {x_client:5.1f}x | {used}"
                + ("" if ok else "  <-- MISS")
            )
        print()
        print(f"load average after: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print(
            f"{len(queries) - failures}/{len(queries)} queries at least {TARGET_FACTOR}x under "
            "the document's expected time (server p99) with the expected index among those used"
        )
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
