"""Time of the one statement that evaluates every watch of a profile (100 watches).

Against a database loaded with ``autopr-console demo --scale`` (or the palette
benchmark's ``--embedded DIR``, 1M executions / 10K workflows)::

    python benchmarks/bench_watches.py --url postgresql://postgres@localhost/autopr_scale
    python benchmarks/bench_watches.py --embedded DIR

100 watches: 50 executions (some failed), 40 workflows, 9 integrations and the
event queue.  Printed: p50 / p95 / max of :func:`console.queries.watches.evaluate`
over ``--runs`` rounds (the client's time, one statement each), and the problems.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from console.db.engine import EngineSettings, make_engine
from console.queries.watches import evaluate
from console.watches import Watch, WatchKind, WatchList


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--url")
    where.add_argument("--embedded", type=Path, metavar="DIR")
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    server = None
    if args.url:
        url = args.url
    else:
        from bench_palette import load_embedded

        url, server = load_embedded(args.embedded)
    eng = make_engine(url, EngineSettings(statement_timeout_ms=0))
    watches = WatchList()
    with eng.connect() as conn:
        samples: tuple[tuple[str, WatchKind, int], ...] = (
            ("SELECT execution_id FROM workflow_executions WHERE status = 'failed' LIMIT 10",
             "execution", 10),
            ("SELECT execution_id FROM workflow_executions TABLESAMPLE SYSTEM (0.1) LIMIT 40",
             "execution", 40),
            ("SELECT name FROM workflows TABLESAMPLE SYSTEM (10) LIMIT 40", "workflow", 40),
            ("SELECT name FROM integrations LIMIT 9", "integration", 9),
        )  # fmt: skip
        for sql, kind, n in samples:
            for name in list(conn.execute(text(sql)).scalars())[:n]:
                watches.add(Watch(kind, name))
        watches.add(Watch("queue"))
        count = conn.execute(text("SELECT count(*) FROM workflow_executions")).scalar()
        print(f"{count:,} executions; {len(watches.watches)} watches")
        evaluate(conn, watches, "bench")  # warm-up
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            problems = evaluate(conn, watches, "bench")
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    print(
        f"one statement for all watches: p50 {p(0.5):.1f} ms  p95 {p(0.95):.1f} ms"
        f"  max {times[-1]:.1f} ms  ({len(problems)} problems)"
    )
    eng.dispose()
    if server is not None:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
