"""Per-keystroke time of the command palette's database search, and its plan.

Against a database loaded with ``autopr-console demo --scale`` (1M executions,
10K workflows)::

    python benchmarks/bench_palette.py --url postgresql://postgres@localhost/autopr_scale

or, with ``--embedded DIR``, a throw-away embedded server in DIR loaded with the
palette's tables at full scale (1M executions, 10K workflows, 100 integrations;
1M log lines, few events: the palette reads neither).

Typing is replayed one character at a time over execution ids (``exec-…`` and
engine-format ``pr-review_…`` ids), workflow and integration names; every
keystroke runs :func:`console.queries.palette.search` as the palette does
(SQLAlchemy connection from the pool, the client's time).  Printed: p50 / p95 /
max per keystroke, the target (50 ms) and the plan's scan nodes (no Seq Scan).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.db.embedded import EmbeddedServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from console.db.engine import EngineSettings, make_engine
from console.queries.filters import escape_like, prefix_range
from console.queries.palette import palette_sql, search

TARGET_MS = 50.0


def load_embedded(root: Path) -> tuple[str, EmbeddedServer]:
    """(url, server): the embedded server in ``root`` started, loaded the first time."""
    from console.db.embedded import EmbeddedServer
    from console.db.migrator import ensure_schema
    from console.demo.scale import ScaleLoader, ScaleSize

    server = EmbeddedServer(root)
    server.start()
    url = server.address.url("autopr_palette")
    import psycopg

    with psycopg.connect(server.address.conninfo("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname='autopr_palette'").fetchone()
        if not exists:
            conn.execute("CREATE DATABASE autopr_palette")
    eng = make_engine(url, EngineSettings(statement_timeout_ms=0))
    ensure_schema(eng, apply=True)
    with eng.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM workflow_executions")).scalar()
    eng.dispose()
    if not have:
        size = ScaleSize(
            workflows=10_000, integrations=100, executions=1_000_000, logs=1_000_000, events=1_000
        )
        t = time.perf_counter()
        ScaleLoader(server.address.conninfo("autopr_palette"), size, workers=2).run()
        print(f"loaded 1M executions / 10K workflows in {time.perf_counter() - t:.0f} s")
        eng = make_engine(url, EngineSettings(statement_timeout_ms=0))
        with eng.begin() as conn:
            # Engine-format ids next to the exec-… ones (the engine writes both).
            conn.execute(
                text(
                    "UPDATE workflow_executions SET execution_id = 'pr-review_' ||"
                    " to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
                    " || '-' || left(id::text, 4)"
                    " WHERE id IN (SELECT id FROM workflow_executions ORDER BY id LIMIT 50000)"
                )
            )
            conn.execute(text("ANALYZE"))
        eng.dispose()
    return url, server


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--url")
    where.add_argument("--embedded", type=Path, metavar="DIR")
    ap.add_argument("--words", type=int, default=40, help="ids and names typed")
    args = ap.parse_args()
    server = None
    if args.url:
        url = args.url
    else:
        url, server = load_embedded(args.embedded)
    eng = make_engine(url, EngineSettings(statement_timeout_ms=0))
    rng = random.Random(7)
    with eng.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM workflow_executions),"
                " (SELECT count(*) FROM workflows), (SELECT count(*) FROM integrations)"
            )
        ).one()
        print(
            f"rows: {counts[0]:,} executions, {counts[1]:,} workflows, {counts[2]:,} integrations"
        )
        words: list[str] = []
        for sql in (
            "SELECT execution_id FROM workflow_executions TABLESAMPLE SYSTEM (0.1)"
            " WHERE execution_id LIKE 'exec-%' LIMIT 200",
            "SELECT execution_id FROM workflow_executions WHERE execution_id >= 'pr-'"
            " AND execution_id < 'pr.' LIMIT 200",
            "SELECT name FROM workflows TABLESAMPLE SYSTEM (5) LIMIT 200",
            "SELECT name FROM integrations LIMIT 100",
        ):
            pool = list(conn.execute(text(sql)).scalars())
            words += rng.sample(pool, min(len(pool), max(1, args.words // 4)))
        for _ in range(30):  # warm-up
            search(conn, words[0][:6])
        times: list[float] = []
        per_len: dict[int, list[float]] = {}
        for word in words:
            for n in range(1, len(word) + 1):
                t = time.perf_counter()
                search(conn, word[:n])
                ms = (time.perf_counter() - t) * 1000
                times.append(ms)
                per_len.setdefault(min(n, 12), []).append(ms)
        scans: set[str] = set()
        for typed in ("e", "exec-2026", "pr-review_2026-1", words[-1][:3]):
            lo, hi = prefix_range(typed)
            plan = conn.execute(
                text("EXPLAIN (FORMAT JSON) " + palette_sql(8, hi is not None)),
                {"lo": lo, "hi": hi, "pattern": f"{escape_like(typed)}%"},
            ).scalar_one()
            doc = plan if isinstance(plan, list) else json.loads(plan)

            def walk(node: dict[str, Any]) -> None:
                if node["Node Type"].endswith("Scan") and node["Node Type"] != "Subquery Scan":
                    name = node.get("Index Name", node.get("Relation Name", ""))
                    scans.add(f"{node['Node Type']} {name}")
                for child in node.get("Plans", []):
                    walk(child)

            walk(doc[0]["Plan"])
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    print(f"keystrokes: {len(times)} over {len(words)} ids/names")
    print(
        f"per keystroke: p50 {p(0.5):.2f} ms  p95 {p(0.95):.2f} ms  max {times[-1]:.2f} ms"
        f"  (target {TARGET_MS:.0f} ms: p95/target = {p(0.95) / TARGET_MS:.2f})"
    )
    print(
        "by typed length (median ms): "
        + "  ".join(f"{n}:{statistics.median(v):.2f}" for n, v in sorted(per_len.items()))
    )
    print("plan scans: " + "; ".join(sorted(scans)))
    big = [s for s in scans if s.startswith("Seq Scan") and not s.endswith("integrations")]
    print("seq scans of executions/workflows: " + (", ".join(big) if big else "none"))
    print("(integrations: 100 rows in a few pages, where PostgreSQL prefers reading them all)")
    eng.dispose()
    if server is not None:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
